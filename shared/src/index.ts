export { backoffDelay, chunk, mapWithConcurrency, sleep } from './runtime/concurrency';
export { createDynamoDbClient, createKinesisClient, clientOptions, httpHandler } from './runtime/clients';
export { ENV, functionEnvironment, loadConfig, readBoolean, readNumber, readText, LOG_LEVELS, type Config, type Endpoints, type Env, type LogLevel } from './contract/config';
export { ClickstreamError, ConfigError, StoreWriteError } from './contract/errors';
export { addFenced, fenceAttribute, type FenceStats, type FencedContribution } from './dynamo/fenced-increment';
export { eventRevenue, isKnownEventType, KNOWN_EVENT_TYPES, type ClickstreamEvent, type KnownEventType, type Product } from './contract/event';
export { compareSequenceNumbers, decodeKinesisRecord, sequenceKey, type StreamRecord } from './runtime/kinesis';
export { createLogger, requestLogger, type Logger } from './runtime/logger';
export { MetricsLogger, parseEmfLine, stdoutEmfWriter, type EmfDatapoint, type EmfWriter, type MetricUnit } from './runtime/metrics';
export { observability, type ObservedContext } from './runtime/middleware';
export { coldStartHandler, streamHandler, validationLimits, type StreamBatchResult, type StreamHandler, type StreamHandlerOptions } from './runtime/stream-handler';
export { normalizePagePath } from './contract/page-url';
export { minuteWindow, ttlAfter, windowStartMs } from './contract/time';
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
} from './contract/topology';
export { decodeEvent, REJECTION_REASONS, type Accepted, type RecordOrigin, type Rejection, type RejectionReason, type ValidationOptions, type ValidationResult } from './contract/validate';
export { cloudWatchDashboardBody, DASHBOARD, fillPlaceholders, searchExpression, type DashboardDefinition, type DashboardNames, type DashboardWidget, type MetricSearch, type MetricStat, type MetricTemplate, type WidgetView } from './contract/dashboard';
export { putRecords, PUT_RECORDS_LIMIT, type PutResult } from './runtime/put-records';
