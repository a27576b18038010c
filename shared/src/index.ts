export { backoffDelay, chunk, mapWithConcurrency, sleep } from './runtime/concurrency';
export { clientOptions, createCloudWatchClient, createDynamoDbClient, createKinesisClient, createLambdaClient, createS3Client, createSecretsManagerClient, createSnsClient, createSqsClient, createSsmClient, httpHandler, type ClientConfig } from './runtime/clients';
export { ENV, functionEnvironment, loadConfig, TABLE_RETENTION_DEFAULTS, readBoolean, readNumber, readText, LOG_LEVELS, type AddressSecretSource, type Config, type Endpoints, type Env, type LogLevel, type PrivacySettings } from './contract/config';
export { ClickstreamError, ConfigError, isPermanentError, StoreWriteError } from './contract/errors';
export { putVersioned, type VersionedResult, type VersionedWrite, type WriteStats } from './dynamo/versioned';
export { addFenced, addFencedItems, contribution, fenceAttribute, type FenceStats, type FencedContribution, type FencedItem, type FencedItemsResult } from './dynamo/fenced-increment';
export { CapacityMeter, meterCapacity, processCapacity, type TableCapacity } from './dynamo/capacity';
export { batchGetItems, type BatchGetResult, type ItemKey, type ReadStats } from './dynamo/batch-get';
export { ttlAfter } from './dynamo/ttl';
export { WRITTEN_SESSIONS_BYTES, WrittenItems } from './dynamo/written-items';
export { queryItems, scanItems } from './dynamo/pages';
export { decideBatch, groupBy, lowestSequenceNumber, validationLimits, type AcceptedRecord, type DecidedBatch, type RejectedRecord, type ValidationLimits } from './runtime/batch';
export { eventRevenue, isKnownEventType, KNOWN_EVENT_TYPES, type ClickstreamEvent, type KnownEventType, type Product } from './contract/event';
export { compareSequenceNumbers, decodeKinesisRecord, sequenceKey, type StreamRecord } from './runtime/kinesis';
export { createLogger, requestLogger, type Logger } from './runtime/logger';
export { MetricsLogger, parseEmfLine, stdoutEmfWriter, type EmfDatapoint, type EmfWriter, type MetricUnit } from './runtime/metrics';
export { observability, type ObservedContext } from './runtime/middleware';
export { coldStartHandler, serviceDependencies, streamHandler, type BatchOutcome, type Observe, type ServiceDependencies, type StreamHandler, type StreamHandlerOptions } from './runtime/stream-handler';
export { normalizePagePath } from './contract/page-url';
export { minuteWindow, windowStartMs } from './contract/time';
export { PART_SEPARATOR, partRange, partSortKey, partWindow, partWriter } from './contract/parts';
export {
  ARCHIVE_PREFIXES,
  COLLECTOR,
  CONSUMERS,
  DEFAULT_ENVIRONMENT,
  DEFAULT_PROJECT,
  keyAttributes,
  LAMBDA_FUNCTIONS,
  FORGET_SERVICE,
  METRICS_NAMESPACE,
  resourceNames,
  SERVICES,
  STREAM_DEFAULTS,
  TABLES,
  type ConsumerSettings,
  type KeyAttribute,
  type LambdaFunctionName,
  type ResourceNames,
  type ServiceName,
  type StartingPosition,
  type TableDefinition,
  type TableKey,
} from './contract/topology';
export { decodeEvent, isCamelCasePayload, MAX_FIELD_BYTES, NUMBER_RANGE, REJECTION_REASONS, type Accepted, type OptedOut, type RecordOrigin, type Rejection, type RejectionReason, type ValidationOptions, type ValidationResult } from './contract/validate';
export { cloudWatchDashboardBody, DASHBOARD, fillPlaceholders, searchExpression, type DashboardDefinition, type DashboardNames, type DashboardWidget, type MetricSearch, type MetricStat, type MetricTemplate, type WidgetView } from './contract/dashboard';
export {
  ARCHIVE_OBJECT_SUFFIX,
  ARCHIVE_SCHEMA_VERSION,
  eventFromArchiveLine,
  eventsPrefix,
  FORGOTTEN_PREFIX,
  FORGET_AUDIT_PREFIX,
  forgottenPrefix,
  forgottenTallyKey,
  hourPartition,
  hourPrefixes,
  isCovered,
  listArchiveKeys,
  listArchiveObjects,
  listStartAfter,
  objectKey,
  overlapping,
  parseObjectKey,
  quarantinePrefix,
  readArchiveLines,
  type ArchiveLine,
  type ArchiveObject,
  type ArchiveReader,
  type ForgottenTally,
  type QuarantineLine,
  type SequenceRange,
} from './contract/archive';
export { ALL_EVENTS_COUNTER, counterKey, counterName, readCounterWindows, type CounterKey } from './contract/counters';
export {
  CURATED_EVENT_COLUMNS,
  hourLabel,
  LAKE_PREFIXES,
  LAKE_TABLES,
  lakeNames,
  NAMED_QUERIES,
  parseHourLabel,
  PARTITION_COLUMNS,
  QUARANTINE_COLUMNS,
  RAW_EVENT_COLUMNS,
  type LakeColumn,
  type LakeNames,
  type LakeTableKey,
  type NamedQuery,
} from './contract/lake';
export { putRecords, PUT_RECORDS_LIMIT, type PutRecordsOptions, type PutResult, type RecordPlacement } from './runtime/put-records';
export { IP_TRUNCATION, truncateIpAddress } from './contract/client-address';
export {
  ADDRESS_MODES,
  ADDRESS_PSEUDONYM,
  addressKey,
  applyPrivacy,
  canonicalAddress,
  DEFAULT_PRIVACY_POLICY,
  DEFAULT_QUERY_ALLOW_LIST,
  hmacAddress,
  isOptedOut,
  MIN_ADDRESS_SECRET_BYTES,
  pseudonymizeAddress,
  queryParameterAllowed,
  sanitizeRecordBytes,
  scrubAddresses,
  stripUrl,
  type AddressKey,
  type AddressMode,
  type PrivacyPolicy,
} from './contract/privacy';
export { fixedPrivacySource, privacySource, secretReader, type PrivacySource, type SecretReader } from './runtime/privacy-source';
