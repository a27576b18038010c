/**
 * The one source of truth for the pipeline's shape: resource names, table keys, consumer
 * settings and the environment each function receives. The cdktf stacks and the embedded local
 * stack both read this module, so what runs on a laptop is what runs on AWS.
 */

export const SERVICES = ['event-processor', 'anomaly-detector', 'archiver'] as const;
export type ServiceName = (typeof SERVICES)[number];

/**
 * The front door: an HTTP function (not a stream consumer) that writes what web pages send to the
 * stream. Its limits are part of its public contract (README "Send events from your website").
 */
export const COLLECTOR = {
  service: 'collector',
  /** Events in one request, at most (one PutRecords call holds 500). */
  maxEventsPerRequest: 500,
  /** Request body, at most. */
  maxBodyBytes: 1_048_576,
  memorySizeMb: 256,
  timeoutSeconds: 10,
} as const;
/** The function that forgets one user on request (README "Privacy", "Forgetting a user"). */
export const FORGET_SERVICE = 'forget';

/** Every Lambda function the project bundles: the stream consumers, the scheduled compactor, the collector and forget. */
export const LAMBDA_FUNCTIONS = [...SERVICES, 'compactor', COLLECTOR.service, FORGET_SERVICE] as const;
export type LambdaFunctionName = (typeof LAMBDA_FUNCTIONS)[number];

export const DEFAULT_PROJECT = 'clickstream-analytics';
export const DEFAULT_ENVIRONMENT = 'dev';
export const METRICS_NAMESPACE = 'Clickstream';

export const STREAM_DEFAULTS = {
  shardCount: 2,
  retentionHours: 24,
  /** Producers partition by session so a session's events stay ordered on one shard. */
  partitionKeyField: 'session_id',
} as const;

export type AttributeType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  name: string;
  type: AttributeType;
}

export interface IndexDefinition {
  indexName: string;
  hashKey: KeyAttribute;
  rangeKey?: KeyAttribute;
  nonKeyAttributes: readonly string[];
}

export interface TableDefinition {
  /** Appended to `<project>-<environment>-`. */
  suffix: string;
  hashKey: KeyAttribute;
  rangeKey?: KeyAttribute;
  globalSecondaryIndexes: readonly IndexDefinition[];
  ttlAttribute: 'ttl';
}

export const TABLES = {
  pageMetrics: {
    suffix: 'page-metrics',
    hashKey: { name: 'page_url', type: 'S' },
    rangeKey: { name: 'window_start', type: 'S' },
    // No index: top pages over the last N minutes read the minutes' top-pages rollup items (one
    // write per batch and minute) instead of an index that doubled every page write and put a
    // whole minute's writes on one index partition.
    globalSecondaryIndexes: [] as readonly IndexDefinition[],
    ttlAttribute: 'ttl',
  },
  sessionMetrics: {
    suffix: 'session-metrics',
    hashKey: { name: 'session_id', type: 'S' },
    globalSecondaryIndexes: [],
    ttlAttribute: 'ttl',
  },
  counters: {
    suffix: 'counters',
    hashKey: { name: 'metric_name', type: 'S' },
    rangeKey: { name: 'window_start', type: 'S' },
    globalSecondaryIndexes: [],
    ttlAttribute: 'ttl',
  },
  alerts: {
    suffix: 'alerts',
    hashKey: { name: 'pk', type: 'S' },
    rangeKey: { name: 'sk', type: 'S' },
    globalSecondaryIndexes: [],
    ttlAttribute: 'ttl',
  },
} as const satisfies Record<string, TableDefinition>;

export type TableKey = keyof typeof TABLES;

/**
 * Every attribute a table's keys or its indexes' keys name, once each: the attribute definitions
 * DynamoDB needs to create the table (cdktf and the local stack both build tables from this).
 */
export function keyAttributes(definition: TableDefinition): KeyAttribute[] {
  const keys = [definition.hashKey, definition.rangeKey, ...definition.globalSecondaryIndexes.flatMap((index) => [index.hashKey, index.rangeKey])];
  const byName = new Map<string, KeyAttribute>();
  for (const key of keys) if (key !== undefined && !byName.has(key.name)) byName.set(key.name, key);
  return [...byName.values()];
}

/** Top-level prefixes of the archive bucket: the archive itself and the quarantine of bad records. */
export const ARCHIVE_PREFIXES = { events: 'events/', quarantine: 'quarantine/' } as const;

export type StartingPosition = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';

/** Event source mapping and function settings, named as Lambda names them. */
export interface ConsumerSettings {
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  startingPosition: StartingPosition;
  parallelizationFactor: number;
  bisectBatchOnFunctionError: boolean;
  /** -1 retries until the record expires. */
  maximumRetryAttempts: number;
  /** -1 keeps records until the stream's retention drops them. */
  maximumRecordAgeInSeconds: number;
  reportBatchItemFailures: boolean;
  timeoutSeconds: number;
  memorySizeMb: number;
}

const consumerDefaults: ConsumerSettings = {
  batchSize: 100,
  maximumBatchingWindowInSeconds: 0,
  startingPosition: 'TRIM_HORIZON',
  // The sequence-number fences assume one batch in flight per shard: keep this at 1.
  parallelizationFactor: 1,
  bisectBatchOnFunctionError: true,
  // Transient failures retry until the dependency is back (bisect and the handlers' own quarantine
  // keep a poison record from blocking a shard); only the stream's retention ends a retry.
  maximumRetryAttempts: -1,
  maximumRecordAgeInSeconds: -1,
  reportBatchItemFailures: true,
  timeoutSeconds: 60,
  memorySizeMb: 256,
};

/**
 * Per-service consumer settings, chosen from measurement (docs/BENCHMARKS.md, "Consumer
 * settings"): every batch writes each session, page and counter item it touches once, so the
 * write units per event fall with the events a batch spans. The event-processor feeds the
 * dashboards (per-minute items): up to 500 records or 3 s. A busy shard fills 500 records first
 * (at 1,000 events/s a session is written 0.84 times per event instead of 1.00, a page 0.05
 * instead of 0.26); a quiet one waits up to 3 s, which at 10 events/s takes the cost from $2.19
 * to $1.86 per million events (1 s: end-to-end p50 1.1 s; 3 s: 1.8 s). The anomaly-detector's alerts can wait a few seconds:
 * up to 2,000 records or 5 s (sessions 0.67 writes per event). The archiver batches most, to
 * write fewer, larger objects. The local stack and cdktf both deploy exactly these.
 */
export const CONSUMERS: Readonly<Record<ServiceName, ConsumerSettings>> = {
  'event-processor': { ...consumerDefaults, batchSize: 500, maximumBatchingWindowInSeconds: 3 },
  'anomaly-detector': { ...consumerDefaults, batchSize: 2000, maximumBatchingWindowInSeconds: 5 },
  archiver: { ...consumerDefaults, batchSize: 1000, maximumBatchingWindowInSeconds: 10 },
};

export interface ResourceNames {
  prefix: string;
  stream: string;
  tables: Record<TableKey, string>;
  archiveBucket: string;
  alertsTopic: string;
  /** SQS queue subscribed to the alerts topic (local stack: how users read alerts). */
  alertsQueue: string;
  onFailureQueues: Record<ServiceName, string>;
  /**
   * S3 bucket that receives discarded batches with their records (Lambda's S3 on-failure
   * destination writes the whole invocation record under `aws/lambda/<mapping>/<shardId>/…`).
   */
  onFailureBucket: string;
  functions: Record<ServiceName, string>;
  /** The collector's function (the front door; not a stream consumer). */
  collectorFunction: string;
  forgetFunction: string;
}

/** Every resource name, from the project and environment: `<project>-<environment>-<name>`. */
export function resourceNames(project = DEFAULT_PROJECT, environment = DEFAULT_ENVIRONMENT): ResourceNames {
  const prefix = `${project}-${environment}`;
  const perService = (suffix: string) =>
    Object.fromEntries(SERVICES.map((service) => [service, `${prefix}-${service}${suffix}`])) as Record<ServiceName, string>;
  return {
    prefix,
    stream: `${prefix}-events`,
    tables: {
      pageMetrics: `${prefix}-${TABLES.pageMetrics.suffix}`,
      sessionMetrics: `${prefix}-${TABLES.sessionMetrics.suffix}`,
      counters: `${prefix}-${TABLES.counters.suffix}`,
      alerts: `${prefix}-${TABLES.alerts.suffix}`,
    },
    archiveBucket: `${prefix}-archive`,
    alertsTopic: `${prefix}-alerts`,
    alertsQueue: `${prefix}-alerts-inbox`,
    onFailureQueues: perService('-on-failure'),
    onFailureBucket: `${prefix}-on-failure`,
    functions: perService(''),
    collectorFunction: `${prefix}-${COLLECTOR.service}`,
    forgetFunction: `${prefix}-${FORGET_SERVICE}`,
  };
}
