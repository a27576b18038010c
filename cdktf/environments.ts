/**
 * The three environments and what differs between them. Everything here becomes a variable
 * default or a guard of that environment's stack; the shapes that are the same everywhere
 * (names, keys, batch settings) come from the shared topology instead.
 */
import { STREAM_DEFAULTS } from '@clickstream/shared';

export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

export const STREAM_MODES = ['PROVISIONED', 'ON_DEMAND'] as const;
export type StreamMode = (typeof STREAM_MODES)[number];

/** Every shard-level ("enhanced") metric Kinesis offers; each costs one custom metric per shard. */
export const SHARD_LEVEL_METRICS = [
  'IncomingBytes',
  'IncomingRecords',
  'IteratorAgeMilliseconds',
  'OutgoingBytes',
  'OutgoingRecords',
  'ReadProvisionedThroughputExceeded',
  'WriteProvisionedThroughputExceeded',
] as const;

export interface EnvironmentDefaults {
  streamMode: StreamMode;
  /** Used when stream_mode is PROVISIONED. */
  kinesisShardCount: number;
  kinesisRetentionHours: number;
  shardLevelMetrics: readonly string[];
  logRetentionDays: number;
  /** Subscriptions to the operations topic exist only when this is on (and an endpoint is given). */
  alarmNotifications: boolean;
  onFailureExpirationDays: number;
}

export interface EnvironmentProfile {
  /** Stack environment; the `environment` variable of its stack must equal it. */
  environment: EnvironmentName;
  /** Lets `cdktn destroy` delete buckets that still hold objects (dev only). */
  bucketForceDestroy: boolean;
  /** DynamoDB deletion protection. */
  deletionProtection: boolean;
  /** Plan fails unless allowed_account_ids names the account(s) this environment may touch. */
  requireAllowedAccountIds: boolean;
  /** Plan warns (a Terraform check block) when no alarm subscriber is configured. */
  warnWithoutAlarmSubscriber: boolean;
  /** Synth warns when this environment keeps its state in a local file. */
  warnOnLocalState: boolean;
  defaults: EnvironmentDefaults;
}

/**
 * dev is sized for trying things (two provisioned shards, a day of retention, no paging); prod
 * for running a shop: on-demand capacity (no shard arithmetic when traffic is unknown), seven
 * days of retention (a weekend outage is replayed, not lost: records are retried until the
 * dependency is back, within retention), every shard-level metric, 90 days of logs.
 */
export const ENVIRONMENT_PROFILES: readonly EnvironmentProfile[] = [
  {
    environment: 'dev',
    bucketForceDestroy: true,
    deletionProtection: false,
    requireAllowedAccountIds: false,
    warnWithoutAlarmSubscriber: false,
    warnOnLocalState: false,
    defaults: {
      streamMode: 'PROVISIONED',
      kinesisShardCount: STREAM_DEFAULTS.shardCount,
      kinesisRetentionHours: STREAM_DEFAULTS.retentionHours,
      shardLevelMetrics: [],
      logRetentionDays: 14,
      alarmNotifications: false,
      onFailureExpirationDays: 30,
    },
  },
  {
    environment: 'staging',
    bucketForceDestroy: true,
    deletionProtection: false,
    requireAllowedAccountIds: false,
    warnWithoutAlarmSubscriber: false,
    warnOnLocalState: true,
    defaults: {
      streamMode: 'PROVISIONED',
      kinesisShardCount: STREAM_DEFAULTS.shardCount,
      kinesisRetentionHours: 72,
      shardLevelMetrics: [],
      logRetentionDays: 30,
      alarmNotifications: true,
      onFailureExpirationDays: 30,
    },
  },
  {
    environment: 'prod',
    bucketForceDestroy: false,
    deletionProtection: true,
    requireAllowedAccountIds: true,
    warnWithoutAlarmSubscriber: true,
    warnOnLocalState: true,
    defaults: {
      streamMode: 'ON_DEMAND',
      kinesisShardCount: 4,
      kinesisRetentionHours: 168,
      shardLevelMetrics: SHARD_LEVEL_METRICS,
      logRetentionDays: 90,
      alarmNotifications: true,
      onFailureExpirationDays: 90,
    },
  },
];

export const stackId = (environment: string) => `clickstream-${environment}`;

export function profileOf(environment: string): EnvironmentProfile {
  const profile = ENVIRONMENT_PROFILES.find((candidate) => candidate.environment === environment);
  if (profile === undefined) throw new Error(`no environment "${environment}" (known: ${ENVIRONMENTS.join(', ')})`);
  return profile;
}
