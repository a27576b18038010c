import { ENV, readNumber, readText, type Env } from '@clickstream/shared';

/** The compactor's own settings, parsed once at cold start (names in shared/src/contract/config.ts). */
export interface CompactorSettings {
  /** Hours a scheduled run looks back over for hours to (re)compact. */
  lookbackHours: number;
  /** How long after an hour ends it counts as closed. */
  closeGraceMs: number;
  /** How long a superseded generation is kept after the switch (readers still on it). */
  retireAfterMs: number;
  /** Rows one dedup partition holds in memory (what bounds memory). */
  partitionRows: number;
  /** Local directory for partition spill files (Lambda: /tmp). */
  spillDir?: string;
  /** The p99 freshness (arrival minus event time) above which FreshnessBreached is 1. */
  freshnessP99ThresholdMs: number;
}

export function loadCompactorSettings(env: Env): CompactorSettings {
  const spillDir = readText(env, ENV.compactorSpillDir);
  return {
    lookbackHours: readNumber(env, ENV.compactorLookbackHours, 3, { min: 1, max: 24 * 14, integer: true }),
    closeGraceMs: readNumber(env, ENV.compactorCloseGraceMinutes, 10, { min: 0, max: 24 * 60 }) * 60_000,
    retireAfterMs: readNumber(env, ENV.compactorRetireAfterMinutes, 30, { min: 0 }) * 60_000,
    partitionRows: readNumber(env, ENV.compactorPartitionRows, 200_000, { min: 1, integer: true }),
    ...(spillDir === undefined ? {} : { spillDir }),
    freshnessP99ThresholdMs: readNumber(env, ENV.compactorFreshnessP99Seconds, 300, { min: 1 }) * 1000,
  };
}
