import { ConfigError } from './errors';
import { ADDRESS_MODES, DEFAULT_QUERY_ALLOW_LIST, MIN_ADDRESS_SECRET_BYTES, type AddressMode } from './privacy';
import { DEFAULT_ENVIRONMENT, DEFAULT_PROJECT, METRICS_NAMESPACE, resourceNames, type ResourceNames } from './topology';

/**
 * The environment-variable contract, owned here and nowhere else. The cdktf function construct
 * and the local stack build a function's environment with `functionEnvironment`, and every
 * handler reads it back with `loadConfig`.
 */
export const ENV = {
  region: 'AWS_REGION',
  project: 'PROJECT_NAME',
  environment: 'ENVIRONMENT',
  service: 'SERVICE_NAME',
  streamName: 'KINESIS_STREAM_NAME',
  pageMetricsTable: 'PAGE_METRICS_TABLE',
  sessionMetricsTable: 'SESSION_METRICS_TABLE',
  countersTable: 'COUNTERS_TABLE',
  alertsTable: 'ALERTS_TABLE',
  archiveBucket: 'ARCHIVE_BUCKET',
  alertsTopicArn: 'ALERTS_TOPIC_ARN',
  logLevel: 'LOG_LEVEL',
  metricsNamespace: 'METRICS_NAMESPACE',
  aggregateTtlDays: 'AGGREGATE_TTL_DAYS',
  sessionTtlDays: 'SESSION_TTL_DAYS',
  maxFutureSkewSeconds: 'MAX_FUTURE_SKEW_SECONDS',
  maxEventAgeHours: 'MAX_EVENT_AGE_HOURS',
  maxRecordBytes: 'MAX_RECORD_BYTES',
  maxSeenEventsPerSession: 'MAX_SEEN_EVENTS_PER_SESSION',
  awsMaxAttempts: 'AWS_MAX_ATTEMPTS',
  /** Privacy (README "Privacy"; read by every function, the collector and the consumers alike). */
  clientAddressMode: 'CLIENT_ADDRESS_MODE',
  clientAddressHmacSecret: 'CLIENT_ADDRESS_HMAC_SECRET',
  clientAddressHmacSecretParameter: 'CLIENT_ADDRESS_HMAC_SECRET_PARAMETER',
  clientAddressHmacSecretId: 'CLIENT_ADDRESS_HMAC_SECRET_ID',
  clientAddressHmacSecretCacheSeconds: 'CLIENT_ADDRESS_HMAC_SECRET_CACHE_SECONDS',
  urlQueryAllowList: 'URL_QUERY_ALLOW_LIST',
  /** anomaly-detector switches and rule thresholds (parsed in services/anomaly-detector/src/config.ts). */
  enableAnomalyDetection: 'ENABLE_ANOMALY_DETECTION',
  enableSnsAlerts: 'ENABLE_SNS_ALERTS',
  anomalyCooldownMinutes: 'ANOMALY_COOLDOWN_MINUTES',
  anomalySessionRatePerMinute: 'ANOMALY_SESSION_RATE_PER_MINUTE',
  anomalyBotMinEvents: 'ANOMALY_BOT_MIN_EVENTS',
  anomalyCheckoutMinPriorEvents: 'ANOMALY_CHECKOUT_MIN_PRIOR_EVENTS',
  anomalyTrafficZThreshold: 'ANOMALY_TRAFFIC_Z_THRESHOLD',
  anomalyTrafficEwmaAlpha: 'ANOMALY_TRAFFIC_EWMA_ALPHA',
  anomalyTrafficMinHistoryMinutes: 'ANOMALY_TRAFFIC_MIN_HISTORY_MINUTES',
  anomalyTrafficMinEventsPerMinute: 'ANOMALY_TRAFFIC_MIN_EVENTS_PER_MINUTE',
  anomalyTrafficMinChangeRatio: 'ANOMALY_TRAFFIC_MIN_CHANGE_RATIO',
  anomalyMinuteGraceSeconds: 'ANOMALY_MINUTE_GRACE_SECONDS',
  anomalyErrorRateThreshold: 'ANOMALY_ERROR_RATE_THRESHOLD',
  anomalyErrorRateMinEvents: 'ANOMALY_ERROR_RATE_MIN_EVENTS',
  anomalyTravelWindowMinutes: 'ANOMALY_TRAVEL_WINDOW_MINUTES',
  anomalyStateTtlHours: 'ANOMALY_STATE_TTL_HOURS',
  anomalyHistoryTtlDays: 'ANOMALY_HISTORY_TTL_DAYS',
  /** compactor settings (parsed in services/compactor/src/config.ts). */
  compactorLookbackHours: 'COMPACTOR_LOOKBACK_HOURS',
  compactorCloseGraceMinutes: 'COMPACTOR_CLOSE_GRACE_MINUTES',
  compactorRetireAfterMinutes: 'COMPACTOR_RETIRE_AFTER_MINUTES',
  compactorPartitionRows: 'COMPACTOR_PARTITION_ROWS',
  compactorSpillDir: 'COMPACTOR_SPILL_DIR',
  compactorFreshnessP99Seconds: 'COMPACTOR_FRESHNESS_P99_SECONDS',
  /** forget settings (parsed in services/forget/src/config.ts). */
  forgetCompactorFunction: 'FORGET_COMPACTOR_FUNCTION',
  forgetBucketVersioned: 'FORGET_BUCKET_VERSIONED',
  /** collector settings (parsed in services/collector/src/config.ts; README "Send events from your website"). */
  collectorAllowedOrigins: 'COLLECTOR_ALLOWED_ORIGINS',
  collectorAllowLoopbackOrigins: 'COLLECTOR_ALLOW_LOOPBACK_ORIGINS',
  collectorWriteKeys: 'COLLECTOR_WRITE_KEYS',
  collectorRequireWriteKey: 'COLLECTOR_REQUIRE_WRITE_KEY',
  collectorRateLimitPerSecond: 'COLLECTOR_RATE_LIMIT_PER_SECOND',
  collectorRateLimitBurst: 'COLLECTOR_RATE_LIMIT_BURST',
  collectorTrustedProxyHops: 'COLLECTOR_TRUSTED_PROXY_HOPS',
  collectorMaxEventsPerRequest: 'COLLECTOR_MAX_EVENTS_PER_REQUEST',
  collectorMaxBodyBytes: 'COLLECTOR_MAX_BODY_BYTES',
  collectorPutAttempts: 'COLLECTOR_PUT_ATTEMPTS',
  collectorHonorGlobalPrivacyControl: 'COLLECTOR_HONOR_GPC',
  /** Standard AWS SDK endpoint overrides; set only when talking to emulators. */
  endpointUrl: 'AWS_ENDPOINT_URL',
  endpointKinesis: 'AWS_ENDPOINT_URL_KINESIS',
  endpointDynamoDb: 'AWS_ENDPOINT_URL_DYNAMODB',
  endpointS3: 'AWS_ENDPOINT_URL_S3',
  endpointSns: 'AWS_ENDPOINT_URL_SNS',
  endpointSqs: 'AWS_ENDPOINT_URL_SQS',
  endpointCloudWatch: 'AWS_ENDPOINT_URL_CLOUDWATCH',
  endpointSsm: 'AWS_ENDPOINT_URL_SSM',
  endpointSecretsManager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  accessKeyId: 'AWS_ACCESS_KEY_ID',
  secretAccessKey: 'AWS_SECRET_ACCESS_KEY',
  sessionToken: 'AWS_SESSION_TOKEN',
} as const;

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * How long the tables keep their items (DynamoDB TTL, counted from the item's last event): the
 * functions' defaults, which the stack's variables start from (README "Privacy", "Retention").
 */
export const TABLE_RETENTION_DEFAULTS = {
  /** Page metrics and counters per minute (no personal data). */
  aggregateTtlDays: 90,
  /** Session items (session id, user id, pages, funnel). */
  sessionTtlDays: 30,
  /** Alert history (may name a session or a user). */
  alertHistoryTtlDays: 30,
  /** The anomaly-detector's working state and cooldowns (per session and user). */
  alertStateTtlHours: 48,
} as const;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Endpoints {
  kinesis?: string;
  dynamodb?: string;
  s3?: string;
  sns?: string;
  sqs?: string;
  cloudwatch?: string;
  ssm?: string;
  secretsManager?: string;
}

/**
 * Where the HMAC secret of the `hmac` address mode comes from: the variable itself (local use and
 * tests), an SSM Parameter Store parameter (a SecureString) or a Secrets Manager secret, re-read
 * every `cacheMs` so a rotated secret takes over without a deployment.
 */
export type AddressSecretSource = { kind: 'value'; value: string } | { kind: 'ssm'; name: string } | { kind: 'secrets-manager'; id: string };

/** The privacy settings every function reads (shared/src/contract/privacy.ts applies them). */
export interface PrivacySettings {
  addressMode: AddressMode;
  addressSecret?: AddressSecretSource;
  secretCacheMs: number;
  /** Lower-case query parameter names (or `prefix*`) stored URLs keep. */
  queryAllowList: readonly string[];
}

export interface Config {
  region: string;
  project: string;
  environment: string;
  service: string;
  names: ResourceNames;
  streamName: string;
  tables: ResourceNames['tables'];
  archiveBucket: string;
  alertsTopicArn?: string;
  logLevel: LogLevel;
  metricsNamespace: string;
  aggregateTtlDays: number;
  sessionTtlDays: number;
  maxFutureSkewMs: number;
  maxEventAgeMs: number;
  maxRecordBytes: number;
  maxSeenEventsPerSession: number;
  awsMaxAttempts: number;
  privacy: PrivacySettings;
  endpoints: Endpoints;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * Parses the environment once, at cold start. Resource names default to
 * `<PROJECT_NAME>-<ENVIRONMENT>-<name>` (see topology) and can each be overridden; anything
 * malformed throws a `ConfigError` naming the variable.
 */
export function loadConfig(env: Env): Config {
  const project = text(env, ENV.project) ?? DEFAULT_PROJECT;
  const environment = text(env, ENV.environment) ?? DEFAULT_ENVIRONMENT;
  const names = resourceNames(project, environment);
  const logLevel = text(env, ENV.logLevel) ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(ENV.logLevel, `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const accessKeyId = text(env, ENV.accessKeyId);
  const secretAccessKey = text(env, ENV.secretAccessKey);
  const sessionToken = text(env, ENV.sessionToken);
  const config: Config = {
    region: text(env, ENV.region) ?? text(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1',
    project,
    environment,
    service: text(env, ENV.service) ?? 'clickstream',
    names,
    streamName: text(env, ENV.streamName) ?? names.stream,
    tables: {
      pageMetrics: text(env, ENV.pageMetricsTable) ?? names.tables.pageMetrics,
      sessionMetrics: text(env, ENV.sessionMetricsTable) ?? names.tables.sessionMetrics,
      counters: text(env, ENV.countersTable) ?? names.tables.counters,
      alerts: text(env, ENV.alertsTable) ?? names.tables.alerts,
    },
    archiveBucket: text(env, ENV.archiveBucket) ?? names.archiveBucket,
    logLevel: logLevel as LogLevel,
    metricsNamespace: text(env, ENV.metricsNamespace) ?? METRICS_NAMESPACE,
    aggregateTtlDays: number(env, ENV.aggregateTtlDays, TABLE_RETENTION_DEFAULTS.aggregateTtlDays, { min: 1 }),
    sessionTtlDays: number(env, ENV.sessionTtlDays, TABLE_RETENTION_DEFAULTS.sessionTtlDays, { min: 1 }),
    maxFutureSkewMs: number(env, ENV.maxFutureSkewSeconds, 300, { min: 0 }) * 1000,
    maxEventAgeMs: number(env, ENV.maxEventAgeHours, 24 * 7, { min: 1 }) * 3_600_000,
    maxRecordBytes: number(env, ENV.maxRecordBytes, 1_048_576, { min: 1, integer: true }),
    maxSeenEventsPerSession: number(env, ENV.maxSeenEventsPerSession, 20_000, { min: 100, integer: true }),
    awsMaxAttempts: number(env, ENV.awsMaxAttempts, 5, { min: 1, integer: true }),
    privacy: privacySettings(env),
    endpoints: {
      kinesis: url(env, ENV.endpointKinesis) ?? url(env, ENV.endpointUrl),
      dynamodb: url(env, ENV.endpointDynamoDb) ?? url(env, ENV.endpointUrl),
      s3: url(env, ENV.endpointS3) ?? url(env, ENV.endpointUrl),
      sns: url(env, ENV.endpointSns) ?? url(env, ENV.endpointUrl),
      sqs: url(env, ENV.endpointSqs) ?? url(env, ENV.endpointUrl),
      cloudwatch: url(env, ENV.endpointCloudWatch) ?? url(env, ENV.endpointUrl),
      ssm: url(env, ENV.endpointSsm) ?? url(env, ENV.endpointUrl),
      secretsManager: url(env, ENV.endpointSecretsManager) ?? url(env, ENV.endpointUrl),
    },
  };
  const topicArn = text(env, ENV.alertsTopicArn);
  if (topicArn !== undefined) {
    if (!topicArn.startsWith('arn:')) throw new ConfigError(ENV.alertsTopicArn, `must be an SNS topic ARN, got "${topicArn}"`);
    config.alertsTopicArn = topicArn;
  }
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    config.credentials = sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken };
  }
  return config;
}

/**
 * The privacy settings: `CLIENT_ADDRESS_MODE` (`truncate`, `hmac`, `keep`), in `hmac` mode exactly
 * one secret source, and `URL_QUERY_ALLOW_LIST` (comma-separated names, `utm_*` by default; `none`
 * keeps no parameter).
 */
function privacySettings(env: Env): PrivacySettings {
  const mode = text(env, ENV.clientAddressMode) ?? 'truncate';
  if (!(ADDRESS_MODES as readonly string[]).includes(mode)) throw new ConfigError(ENV.clientAddressMode, `must be one of ${ADDRESS_MODES.join(', ')}, got "${mode}"`);
  const sources: AddressSecretSource[] = [];
  const value = text(env, ENV.clientAddressHmacSecret);
  const parameter = text(env, ENV.clientAddressHmacSecretParameter);
  const secretId = text(env, ENV.clientAddressHmacSecretId);
  if (value !== undefined) {
    if (Buffer.byteLength(value) < MIN_ADDRESS_SECRET_BYTES) throw new ConfigError(ENV.clientAddressHmacSecret, `must be at least ${MIN_ADDRESS_SECRET_BYTES} bytes`);
    sources.push({ kind: 'value', value });
  }
  if (parameter !== undefined) sources.push({ kind: 'ssm', name: parameter });
  if (secretId !== undefined) sources.push({ kind: 'secrets-manager', id: secretId });
  const names = `${ENV.clientAddressHmacSecret}, ${ENV.clientAddressHmacSecretParameter} or ${ENV.clientAddressHmacSecretId}`;
  if (mode === 'hmac' && sources.length !== 1) throw new ConfigError(ENV.clientAddressMode, `hmac needs exactly one of ${names}, got ${sources.length}`);
  const allowText = text(env, ENV.urlQueryAllowList);
  const queryAllowList = allowText === undefined ? DEFAULT_QUERY_ALLOW_LIST : allowText.toLowerCase() === 'none' ? [] : allowText.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  for (const name of queryAllowList) if (!/^[\w.\-[\]]+\*?$/.test(name)) throw new ConfigError(ENV.urlQueryAllowList, `"${name}" is not a parameter name (letters, digits, . - _ [ ], optionally ending in *)`);
  const settings: PrivacySettings = {
    addressMode: mode as AddressMode,
    secretCacheMs: number(env, ENV.clientAddressHmacSecretCacheSeconds, 300, { min: 0 }) * 1000,
    queryAllowList,
  };
  if (mode === 'hmac') settings.addressSecret = sources[0]!;
  return settings;
}

/** The environment a function of `service` receives; used by cdktf and the local stack alike. */
export function functionEnvironment(options: {
  service: string;
  project: string;
  environment: string;
  names: ResourceNames;
  alertsTopicArn?: string;
  logLevel?: LogLevel;
  extra?: Record<string, string>;
}): Record<string, string> {
  const env: Record<string, string> = {
    [ENV.project]: options.project,
    [ENV.environment]: options.environment,
    [ENV.service]: options.service,
    [ENV.streamName]: options.names.stream,
    [ENV.pageMetricsTable]: options.names.tables.pageMetrics,
    [ENV.sessionMetricsTable]: options.names.tables.sessionMetrics,
    [ENV.countersTable]: options.names.tables.counters,
    [ENV.alertsTable]: options.names.tables.alerts,
    [ENV.archiveBucket]: options.names.archiveBucket,
    [ENV.metricsNamespace]: METRICS_NAMESPACE,
    [ENV.logLevel]: options.logLevel ?? 'info',
  };
  if (options.alertsTopicArn !== undefined) env[ENV.alertsTopicArn] = options.alertsTopicArn;
  return { ...env, ...options.extra };
}

/** Reads a trimmed, non-empty variable (services parse their own settings with these). */
export function readText(env: Env, name: string): string | undefined {
  return text(env, name);
}

/** Reads a number, failing loudly with the variable's name when malformed or below `min`. */
export function readNumber(env: Env, name: string, fallback: number, rules: { min?: number; max?: number; integer?: boolean } = {}): number {
  const value = number(env, name, fallback, rules);
  if (rules.max !== undefined && value > rules.max) throw new ConfigError(name, `must be at most ${rules.max}, got ${value}`);
  return value;
}

/** Reads `true`/`false` (also 1/0, yes/no). */
export function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function number(env: Env, name: string, fallback: number, rules: { min?: number; integer?: boolean }): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new ConfigError(name, `must be a number, got "${raw}"`);
  if (rules.integer && !Number.isInteger(value)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  if (rules.min !== undefined && value < rules.min) throw new ConfigError(name, `must be at least ${rules.min}, got ${value}`);
  return value;
}

function url(env: Env, name: string): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  try {
    const parsed = new URL(raw);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`);
  }
  return raw;
}
