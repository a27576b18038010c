import type { ClickstreamEvent, Product, Rejection, RejectionReason, StreamRecord } from '@clickstream/shared';

/**
 * The line schemas of the archive and the quarantine. Field names and types are a public contract
 * (docs/DATA_DICTIONARY.md, the Athena tables): add fields only, never rename or retype; bump
 * `schema_version` when the meaning of a field changes.
 */
export const SCHEMA_VERSION = 1;

/**
 * One archived event: the normalized canonical event plus where it came from. The internal
 * `event_time_ms` becomes `event_time`, the same instant as an ISO-8601 UTC string with
 * milliseconds (what the hour partition is derived from, and what Athena's
 * `from_iso8601_timestamp` reads); `timestamp` keeps the producer's text as sent. `page_path`
 * stays: it is the key the page-metrics table aggregates by. Optional fields are omitted when
 * absent (NULL in Athena).
 */
export interface ArchiveLine {
  schema_version: number;
  event_id: string;
  event_type: string;
  session_id: string;
  user_id?: string;
  timestamp: string;
  event_time: string;
  page_url?: string;
  page_path?: string;
  referrer?: string;
  user_agent?: string;
  ip_address?: string;
  country?: string;
  device_type?: string;
  user_login_state?: string;
  product?: Product;
  value?: number;
  /** Kinesis approximate arrival time, ISO-8601 UTC. */
  received_at: string;
  shard_id: string;
  /** Kinesis sequence number: a decimal string (up to 128 digits, too long for a bigint). */
  sequence_number: string;
}

/** One quarantined record: why it was rejected, the raw bytes, and where they came from. */
export interface QuarantineLine {
  schema_version: number;
  reason: RejectionReason;
  message: string;
  /** Offending field path (`page_url`, `product.price`, `__proto__`), when there is one. */
  field?: string;
  received_at: string;
  shard_id: string;
  sequence_number: string;
  partition_key: string;
  raw_size_bytes: number;
  /** The record's bytes exactly as Kinesis delivered them, base64. */
  raw_base64: string;
}

/** Builds the archive line in a fixed field order, so objects are byte-stable across retries. */
export function toArchiveLine(event: ClickstreamEvent, record: StreamRecord): ArchiveLine {
  const line: ArchiveLine = {
    schema_version: SCHEMA_VERSION,
    event_id: event.event_id,
    event_type: event.event_type,
    session_id: event.session_id,
    ...(event.user_id === undefined ? {} : { user_id: event.user_id }),
    timestamp: event.timestamp,
    event_time: new Date(event.event_time_ms).toISOString(),
    ...(event.page_url === undefined ? {} : { page_url: event.page_url }),
    ...(event.page_path === undefined ? {} : { page_path: event.page_path }),
    ...(event.referrer === undefined ? {} : { referrer: event.referrer }),
    ...(event.user_agent === undefined ? {} : { user_agent: event.user_agent }),
    ...(event.ip_address === undefined ? {} : { ip_address: event.ip_address }),
    ...(event.country === undefined ? {} : { country: event.country }),
    ...(event.device_type === undefined ? {} : { device_type: event.device_type }),
    ...(event.user_login_state === undefined ? {} : { user_login_state: event.user_login_state }),
    ...(event.product === undefined ? {} : { product: orderedProduct(event.product) }),
    ...(event.value === undefined ? {} : { value: event.value }),
    received_at: new Date(record.arrivalMs).toISOString(),
    shard_id: record.shardId,
    sequence_number: record.sequenceNumber,
  };
  return line;
}

export function toQuarantineLine(rejection: Rejection, record: StreamRecord): QuarantineLine {
  return {
    schema_version: SCHEMA_VERSION,
    reason: rejection.reason,
    message: rejection.message,
    ...(rejection.field === undefined ? {} : { field: rejection.field }),
    received_at: new Date(record.arrivalMs).toISOString(),
    shard_id: record.shardId,
    sequence_number: record.sequenceNumber,
    partition_key: record.partitionKey,
    raw_size_bytes: record.data.length,
    raw_base64: Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength).toString('base64'),
  };
}

/** Reads an archive line back into the canonical event (replays and backfills). */
export function eventFromArchiveLine(line: ArchiveLine): ClickstreamEvent {
  const { schema_version: _version, event_time, received_at: _received, shard_id: _shard, sequence_number: _sequence, ...fields } = line;
  return { ...fields, event_time_ms: Date.parse(event_time) };
}

function orderedProduct(product: Product): Product {
  const ordered: Product = {};
  if (product.id !== undefined) ordered.id = product.id;
  if (product.name !== undefined) ordered.name = product.name;
  if (product.category !== undefined) ordered.category = product.category;
  if (product.brand !== undefined) ordered.brand = product.brand;
  if (product.price !== undefined) ordered.price = product.price;
  if (product.discount_price !== undefined) ordered.discount_price = product.discount_price;
  return ordered;
}
