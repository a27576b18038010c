import type { ClickstreamEvent, Product } from './event';
import { normalizePagePath } from './page-url';
import { isOptedOut } from './privacy';

/** Machine-readable reasons a record is rejected; the archiver quarantines under these codes. */
export const REJECTION_REASONS = [
  'empty_record',
  'record_too_large',
  'invalid_utf8',
  'invalid_json',
  'not_an_object',
  'forbidden_key',
  'missing_field',
  'invalid_field_type',
  'invalid_field_value',
  'field_too_long',
  'control_characters',
  'invalid_timestamp',
  'future_timestamp',
  'stale_timestamp',
] as const;

export type RejectionReason = (typeof REJECTION_REASONS)[number];

export interface Rejection {
  ok: false;
  optedOut?: false;
  reason: RejectionReason;
  /** The offending field, where there is one. */
  field?: string;
  message: string;
}

export interface Accepted {
  ok: true;
  event: ClickstreamEvent;
}

/**
 * An event that carries the documented opt-out (`opt_out: true`, see `isOptedOut` in privacy.ts):
 * not collected at all, neither counted nor archived nor quarantined.
 */
export interface OptedOut {
  ok: false;
  optedOut: true;
  message: string;
}

export type ValidationResult = Accepted | Rejection | OptedOut;

export interface ValidationOptions {
  /** Current time in epoch ms; injected so tests and replays are deterministic. */
  nowMs: number;
  /** Events further in the future than this are rejected (docs/ARCHITECTURE.md: 5 minutes). */
  maxFutureSkewMs: number;
  /** Events older than this are rejected as stale. */
  maxEventAgeMs: number;
  /** Largest accepted record, in bytes (Kinesis allows 1 MiB). */
  maxRecordBytes: number;
}

/** Where a record came from; used to derive a stable id for events without `event_id`. */
export interface RecordOrigin {
  shardId: string;
  sequenceNumber: string;
}

/**
 * Longest accepted value of each string field, in UTF-8 bytes (what DynamoDB counts): keys stay
 * within its limits (partition key 2,048 bytes, sort key 1,024 bytes) with room for the prefixes
 * the tables add (`state#session#…`, `<time>#<rule>#<subject>` in the alert history).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
 */
export const MAX_FIELD_BYTES = {
  event_id: 128,
  event_type: 64,
  session_id: 128,
  user_id: 256,
  page_url: 2048,
  referrer: 2048,
  user_agent: 1024,
  ip_address: 64,
  country: 64,
  device_type: 32,
  user_login_state: 32,
  product_field: 256,
  /** `properties`, serialized as JSON. */
  properties: 8192,
} as const;

/**
 * The range of every numeric field (`value`, `product.price`, `product.discount_price`): finite,
 * not negative, at most one billion. A session's revenue is summed in whole cents, so it stays
 * exact (below 2^53 cents) for any session the pipeline can hold, and no number ever reaches the
 * document client's MAX_SAFE_INTEGER limit.
 */
export const NUMBER_RANGE = { min: 0, max: 1_000_000_000 } as const;

const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
// C0 controls, DEL and C1 controls: never legitimate inside identifiers or URLs.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
// A UTF-16 surrogate without its pair (JSON allows "\ud800"): not a character, and UTF-8 cannot hold it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** camelCase e-commerce SDK event names that differ from the canonical `event_type`. */
const SDK_EVENT_NAMES: Readonly<Record<string, string>> = {
  view_product: 'product_view',
  view_item: 'product_view',
  view_page: 'page_view',
  begin_checkout: 'checkout',
};

class RejectedError extends Error {
  constructor(
    readonly reason: RejectionReason,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

function reject(reason: RejectionReason, message: string, field?: string): never {
  throw new RejectedError(reason, message, field);
}

/**
 * Decodes raw record bytes (UTF-8 JSON) and validates them against the event contract.
 * Never throws: every problem becomes a `Rejection` with its own reason code; an event carrying
 * the opt-out becomes `OptedOut`, whatever else is wrong with it.
 */
export function decodeEvent(bytes: Uint8Array, origin: RecordOrigin, options: ValidationOptions): ValidationResult {
  try {
    if (bytes.length === 0) reject('empty_record', 'record has no data');
    if (bytes.length > options.maxRecordBytes) {
      reject('record_too_large', `record is ${bytes.length} bytes, limit is ${options.maxRecordBytes}`);
    }
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      return reject('invalid_utf8', 'record is not valid UTF-8');
    }
    if (text.trim() === '') reject('empty_record', 'record is blank');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return reject('invalid_json', `record is not JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      reject('not_an_object', 'record is JSON but not an object');
    }
    if (isOptedOut(parsed as Record<string, unknown>)) return { ok: false, optedOut: true, message: 'the event carries an opt-out (opt_out): not collected' };
    // Cheap pre-check on the text; only walk the object when a suspicious word appears at all.
    if (/__proto__|constructor|prototype/.test(text)) assertNoForbiddenKeys(parsed, '');
    return { ok: true, event: toCanonical(parsed as Record<string, unknown>, origin, options) };
  } catch (error) {
    if (error instanceof RejectedError) {
      return error.field === undefined
        ? { ok: false, reason: error.reason, message: error.message }
        : { ok: false, reason: error.reason, field: error.field, message: error.message };
    }
    throw error;
  }
}

function assertNoForbiddenKeys(value: unknown, path: string): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => assertNoForbiddenKeys(item, `${path}[${index}]`));
    return;
  }
  for (const key of Object.keys(value)) {
    const keyPath = path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) reject('forbidden_key', `key "${key}" is not allowed`, keyPath);
    assertNoForbiddenKeys((value as Record<string, unknown>)[key], keyPath);
  }
}

/**
 * True when an object is the camelCase e-commerce SDK payload rather than the canonical one (no
 * `event_type`/`session_id`, but `eventName` or `sessionId`): the collector adds its server-side
 * fields in the casing the event already uses.
 */
export function isCamelCasePayload(raw: Record<string, unknown>): boolean {
  return raw.event_type === undefined && raw.session_id === undefined && (raw.eventName !== undefined || raw.sessionId !== undefined);
}

function toCanonical(raw: Record<string, unknown>, origin: RecordOrigin, options: ValidationOptions): ClickstreamEvent {
  const camel = isCamelCasePayload(raw);
  const pick = (snake: string, camelName: string): unknown => (camel ? raw[camelName] : raw[snake]);

  const sessionId = requiredString(pick('session_id', 'sessionId'), 'session_id', MAX_FIELD_BYTES.session_id);
  let eventType = requiredString(pick('event_type', 'eventName'), 'event_type', MAX_FIELD_BYTES.event_type);
  if (camel) eventType = SDK_EVENT_NAMES[eventType] ?? eventType;
  const eventId =
    optionalString(pick('event_id', 'eventId'), 'event_id', MAX_FIELD_BYTES.event_id) ??
    `derived:${origin.shardId}:${origin.sequenceNumber}`;
  const { timestamp, eventTimeMs } = parseTimestamp(camel ? (raw.timestamp ?? raw.eventTime) : raw.timestamp, options);

  const pageUrl = optionalString(pick('page_url', 'pageUrl'), 'page_url', MAX_FIELD_BYTES.page_url);
  if (eventType === 'page_view' && pageUrl === undefined) reject('missing_field', 'page_view events need page_url', 'page_url');

  const event: ClickstreamEvent = {
    event_id: eventId,
    event_type: eventType,
    session_id: sessionId,
    timestamp,
    event_time_ms: eventTimeMs,
  };
  if (pageUrl !== undefined) {
    const pagePath = normalizePagePath(pageUrl);
    if (pagePath !== undefined) {
      event.page_url = pageUrl;
      event.page_path = pagePath;
    }
  }
  assign(event, 'user_id', optionalString(pick('user_id', 'userId'), 'user_id', MAX_FIELD_BYTES.user_id));
  assign(event, 'referrer', optionalString(raw.referrer, 'referrer', MAX_FIELD_BYTES.referrer));
  assign(event, 'user_agent', optionalString(pick('user_agent', 'userAgent'), 'user_agent', MAX_FIELD_BYTES.user_agent));
  assign(event, 'ip_address', optionalString(pick('ip_address', 'ipAddress'), 'ip_address', MAX_FIELD_BYTES.ip_address));
  assign(event, 'country', optionalString(raw.country, 'country', MAX_FIELD_BYTES.country));
  assign(event, 'device_type', optionalString(pick('device_type', 'deviceType'), 'device_type', MAX_FIELD_BYTES.device_type));
  assign(
    event,
    'user_login_state',
    optionalString(pick('user_login_state', 'userLoginState'), 'user_login_state', MAX_FIELD_BYTES.user_login_state),
  );
  assign(event, 'value', optionalNumber(raw.value, 'value'));
  if (raw.product !== undefined && raw.product !== null) event.product = parseProduct(raw.product, camel);
  if (raw.properties !== undefined && raw.properties !== null) event.properties = parseProperties(raw.properties);
  return event;
}

function assign<K extends keyof ClickstreamEvent>(event: ClickstreamEvent, key: K, value: ClickstreamEvent[K] | undefined): void {
  if (value !== undefined) event[key] = value;
}

function requiredString(value: unknown, field: string, maxLength: number): string {
  if (value === undefined || value === null) reject('missing_field', `${field} is required`, field);
  const text = optionalString(value, field, maxLength);
  if (text === undefined || text.trim() === '') reject('invalid_field_value', `${field} must not be empty`, field);
  return text;
}

function optionalString(value: unknown, field: string, maxBytes: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') reject('invalid_field_type', `${field} must be a string, got ${describeType(value)}`, field);
  // Characters are at most 4 bytes: only a long enough string needs counting.
  if (value.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > maxBytes) reject('field_too_long', `${field} is ${bytes} bytes (UTF-8), limit is ${maxBytes}`, field);
  }
  if (CONTROL_CHARACTERS.test(value)) reject('control_characters', `${field} contains control characters`, field);
  if (LONE_SURROGATE.test(value)) reject('invalid_field_value', `${field} contains a lone UTF-16 surrogate`, field);
  return value;
}

function optionalNumber(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    reject('invalid_field_type', `${field} must be a finite number, got ${describeType(value)}`, field);
  }
  if (value < NUMBER_RANGE.min || value > NUMBER_RANGE.max) {
    reject('invalid_field_value', `${field} is ${value}, must be from ${NUMBER_RANGE.min} to ${NUMBER_RANGE.max.toLocaleString('en-US')}`, field);
  }
  return value;
}

function parseProduct(value: unknown, camel: boolean): Product {
  if (typeof value !== 'object' || Array.isArray(value)) {
    reject('invalid_field_type', `product must be an object, got ${describeType(value)}`, 'product');
  }
  const raw = value as Record<string, unknown>;
  const product: Product = {};
  for (const key of ['id', 'name', 'category', 'brand'] as const) {
    const text = raw[key] === undefined || typeof raw[key] !== 'number' ? raw[key] : String(raw[key]);
    const parsed = optionalString(text, `product.${key}`, MAX_FIELD_BYTES.product_field);
    if (parsed !== undefined) product[key] = parsed;
  }
  const price = optionalNumber(raw.price, 'product.price');
  if (price !== undefined) product.price = price;
  const discount = optionalNumber(camel ? raw.discountPrice : raw.discount_price, 'product.discount_price');
  if (discount !== undefined) product.discount_price = discount;
  return product;
}

/**
 * `properties`: what a tracker sent beyond the canonical fields (a track call's custom properties,
 * a protocol's unmapped fields), kept so nothing is lost; a JSON object of at most 8 KiB.
 */
function parseProperties(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    reject('invalid_field_type', `properties must be an object, got ${describeType(value)}`, 'properties');
  }
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > MAX_FIELD_BYTES.properties) reject('field_too_long', `properties is ${bytes} bytes of JSON, limit is ${MAX_FIELD_BYTES.properties}`, 'properties');
  if (hasLoneSurrogate(value)) reject('invalid_field_value', 'properties contains a lone UTF-16 surrogate', 'properties');
  return value as Record<string, unknown>;
}

function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  return Object.entries(value).some(([key, inner]) => LONE_SURROGATE.test(key) || hasLoneSurrogate(inner));
}

function parseTimestamp(value: unknown, options: ValidationOptions): { timestamp: string; eventTimeMs: number } {
  if (value === undefined || value === null) reject('missing_field', 'timestamp is required', 'timestamp');
  let eventTimeMs: number;
  let timestamp: string;
  if (typeof value === 'number') {
    // Only epoch milliseconds are meaningful as a number; seconds would land in 1970.
    if (!Number.isFinite(value) || value < 1e12) reject('invalid_timestamp', 'numeric timestamp must be epoch milliseconds', 'timestamp');
    eventTimeMs = value;
    timestamp = new Date(value).toISOString();
  } else if (typeof value === 'string') {
    if (!ISO_TIMESTAMP.test(value)) reject('invalid_timestamp', `timestamp "${value.slice(0, 40)}" is not ISO-8601`, 'timestamp');
    const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/.test(value);
    eventTimeMs = Date.parse(hasZone ? value : `${value}Z`);
    if (Number.isNaN(eventTimeMs) || !isCalendarTime(value)) reject('invalid_timestamp', `timestamp "${value.slice(0, 40)}" is not a valid date`, 'timestamp');
    timestamp = value;
  } else {
    return reject('invalid_field_type', `timestamp must be an ISO-8601 string, got ${describeType(value)}`, 'timestamp');
  }
  if (eventTimeMs - options.nowMs > options.maxFutureSkewMs) {
    reject('future_timestamp', `timestamp is ${Math.round((eventTimeMs - options.nowMs) / 1000)} s in the future`, 'timestamp');
  }
  if (options.nowMs - eventTimeMs > options.maxEventAgeMs) {
    reject('stale_timestamp', `timestamp is older than ${Math.round(options.maxEventAgeMs / 3_600_000)} h`, 'timestamp');
  }
  return { timestamp, eventTimeMs };
}

/**
 * True when the date and time of an ISO-8601 text exist: `Date.parse` rolls `2024-02-31` over to
 * March 2 and accepts hour 24, which would put an event in a minute it never had.
 */
function isCalendarTime(text: string): boolean {
  const [year, month, day, hour, minute, second] = [text.slice(0, 4), text.slice(5, 7), text.slice(8, 10), text.slice(11, 13), text.slice(14, 16), text.slice(17, 19)].map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return false;
  if (hour > 23 || minute > 59 || (text.length > 17 && text[16] === ':' && second > 59)) return false;
  const zone = /([+-])(\d{2}):?(\d{2})$/.exec(text);
  return zone === null || (Number(zone[2]) <= 23 && Number(zone[3]) <= 59);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
