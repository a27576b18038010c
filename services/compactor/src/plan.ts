import type { ArchiveObject } from '@clickstream/shared';
import { builtFrom, parseGenerationName } from './contract';

export const HOUR_MS = 3_600_000;

/**
 * The event hours a scheduled run looks at: every hour that started within `lookbackHours` and
 * has been closed for `closeGraceMs` (the archiver writes a shard's batch up to its batching
 * window after the events, and a consumer may be a little behind). Oldest first.
 */
export function closedHours(nowMs: number, lookbackHours: number, closeGraceMs: number): number[] {
  const hours: number[] = [];
  const current = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  for (let hour = current - lookbackHours * HOUR_MS; hour < current; hour += HOUR_MS) {
    if (hour + HOUR_MS + closeGraceMs <= nowMs) hours.push(hour);
  }
  return hours;
}

/** What a scheduled run does with an hour, given its raw objects and its live generation. */
export type HourDecision = { action: 'skip'; reason: 'no raw objects' | 'up to date' } | { action: 'compact'; reason: 'never compacted' | 'sources changed' };

export function decideHour(rawObjects: readonly ArchiveObject[], liveGeneration: string | undefined): HourDecision {
  if (rawObjects.length === 0) return { action: 'skip', reason: 'no raw objects' };
  if (liveGeneration === undefined) return { action: 'compact', reason: 'never compacted' };
  if (parseGenerationName(liveGeneration) !== undefined && builtFrom(liveGeneration, rawObjects)) return { action: 'skip', reason: 'up to date' };
  return { action: 'compact', reason: 'sources changed' };
}

/**
 * How many partitions an hour is deduplicated in, from its compressed size: each partition's rows
 * are held in memory at once, so this is what bounds memory whatever the hour's size. The
 * estimate assumes 40 compressed bytes per line (the traffic model's lines take about 60), so a
 * partition rarely holds more than `partitionRows`.
 */
export function partitionCount(sourceBytes: number, partitionRows: number): number {
  return Math.max(1, Math.ceil(sourceBytes / 40 / partitionRows));
}

/** The partition of an event id: FNV-1a over its UTF-16 code units, so all copies meet. */
export function partitionOf(eventId: string, partitions: number): number {
  if (partitions === 1) return 0;
  let hash = 0x811c9dc5;
  for (let index = 0; index < eventId.length; index++) {
    hash ^= eventId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

/**
 * Generations of an hour that can be deleted. A superseded generation goes once the live one is
 * `retireAfterMs` old: by then every reader that read the old manifest before the switch has
 * finished (the switch happened after the live generation was created; set `retireAfterMs` to
 * at least the longest compaction plus the longest query). A generation newer than the live one
 * was left by a run that never switched (it crashed, or lost a race); it goes once it is
 * `retireAfterMs` old itself, long after any run that could still switch to it has ended.
 */
export function generationsToDelete(generations: readonly string[], live: string | undefined, nowMs: number, retireAfterMs: number): string[] {
  const liveAt = live === undefined ? undefined : parseGenerationName(live)?.compactedAtMs;
  return generations.filter((name) => {
    if (name === live) return false;
    const parsed = parseGenerationName(name);
    if (parsed === undefined) return false;
    const since = liveAt === undefined ? parsed.compactedAtMs : Math.max(parsed.compactedAtMs, liveAt);
    return nowMs - since >= retireAfterMs;
  });
}

/**
 * The event id of an archive line without parsing the whole line: the archiver writes
 * `{"schema_version":N,"event_id":"…",` first. Anything else falls back to JSON.parse.
 */
export function eventIdOf(text: string): string {
  const match = /^\{"schema_version":\d+,"event_id":"([^"\\]*)"/.exec(text);
  if (match !== null) return match[1]!;
  return String((JSON.parse(text) as { event_id?: unknown }).event_id);
}
