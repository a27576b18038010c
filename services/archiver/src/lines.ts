import type { ClickstreamEvent, Product, Rejection, StreamRecord } from '@clickstream/shared';
import { SCHEMA_VERSION, type ArchiveLine, type QuarantineLine } from './contract';

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
    ...(event.properties === undefined ? {} : { properties: event.properties }),
    received_at: new Date(record.arrivalMs).toISOString(),
    shard_id: record.shardId,
    sequence_number: record.sequenceNumber,
  };
  return line;
}

/** `data`: the bytes the quarantine keeps (`RejectedRecord.data`: sanitized by the privacy policy). */
export function toQuarantineLine(rejection: Rejection, record: StreamRecord, data: Uint8Array = record.data): QuarantineLine {
  return {
    schema_version: SCHEMA_VERSION,
    reason: rejection.reason,
    message: rejection.message,
    ...(rejection.field === undefined ? {} : { field: rejection.field }),
    received_at: new Date(record.arrivalMs).toISOString(),
    shard_id: record.shardId,
    sequence_number: record.sequenceNumber,
    partition_key: record.partitionKey,
    raw_size_bytes: data.length,
    raw_base64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
  };
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
