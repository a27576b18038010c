import { ConfigError, ENV, readBoolean, readNumber, readText, TABLE_RETENTION_DEFAULTS, type Env } from '@clickstream/shared';

/** The forget function's settings, read once at cold start. */
export interface ForgetSettings {
  /** The compactor function re-compacting affected hours (AWS); the local command runs the compactor in-process instead. */
  compactorFunction?: string;
  /** The archive bucket keeps versions: older versions of rewritten objects are deleted too. */
  bucketVersioned: boolean;
  /** How far back the alert history is searched: its TTL. */
  historyDays: number;
}

export function loadForgetSettings(env: Env): ForgetSettings {
  const compactorFunction = readText(env, ENV.forgetCompactorFunction);
  if (compactorFunction !== undefined && !/^[\w:-]{1,170}$/.test(compactorFunction)) throw new ConfigError(ENV.forgetCompactorFunction, `must be a Lambda function name or ARN, got "${compactorFunction}"`);
  return {
    ...(compactorFunction === undefined ? {} : { compactorFunction }),
    bucketVersioned: readBoolean(env, ENV.forgetBucketVersioned, false),
    historyDays: readNumber(env, ENV.anomalyHistoryTtlDays, TABLE_RETENTION_DEFAULTS.alertHistoryTtlDays, { min: 1 }),
  };
}
