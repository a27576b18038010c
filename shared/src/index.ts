export { backoffDelay, chunk, mapWithConcurrency, sleep } from './concurrency';
export { createDynamoDbClient, createKinesisClient, clientOptions, httpHandler } from './clients';
export { ENV, functionEnvironment, loadConfig, readBoolean, readNumber, readText, LOG_LEVELS, type Config, type Endpoints, type Env, type LogLevel } from './config';
export { ClickstreamError, ConfigError, StoreWriteError } from './errors';
export { addFenced, fenceAttribute, type FenceStats, type FencedContribution } from './fenced-increment';
export { eventRevenue, isKnownEventType, KNOWN_EVENT_TYPES, type ClickstreamEvent, type KnownEventType, type Product } from './event';
export { compareSequenceNumbers, decodeKinesisRecord, sequenceKey, type StreamRecord } from './kinesis';
export { createLogger, requestLogger, type Logger } from './logger';
export { MetricsLogger, parseEmfLine, stdoutEmfWriter, type EmfDatapoint, type EmfWriter, type MetricUnit } from './metrics';
export { observability, type ObservedContext } from './middleware';
export { coldStartHandler, streamHandler, validationLimits, type StreamBatchResult, type StreamHandler, type StreamHandlerOptions } from './stream-handler';
export { normalizePagePath } from './page-url';
export { minuteWindow, ttlAfter, windowStartMs } from './time';
export {
  ARCHIVE_PREFIXES,
  CONSUMERS,
  DEFAULT_ENVIRONMENT,
  DEFAULT_PROJECT,
  METRICS_NAMESPACE,
  resourceNames,
  SERVICES,
  STREAM_DEFAULTS,
  TABLES,
  type ConsumerSettings,
  type ResourceNames,
  type ServiceName,
  type StartingPosition,
  type TableDefinition,
  type TableKey,
} from './topology';
export { decodeEvent, REJECTION_REASONS, type Accepted, type RecordOrigin, type Rejection, type RejectionReason, type ValidationOptions, type ValidationResult } from './validate';
export { cloudWatchDashboardBody, DASHBOARD, fillPlaceholders, searchExpression, type DashboardDefinition, type DashboardNames, type DashboardWidget, type MetricSearch, type MetricStat, type MetricTemplate, type WidgetView } from './dashboard';
