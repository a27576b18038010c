import type { Refusal } from '../access';
import { defined, isObject, numeric, snakeCase, text } from './common';

/**
 * The Segment tracking spec (Segment's analytics.js / analytics-next, RudderStack and others)
 * mapped to the canonical event. Routes: `/v1/track`, `/v1/page`, `/v1/screen`, `/v1/identify`,
 * `/v1/group`, `/v1/alias`, `/v1/batch` and the short forms the browser library posts to
 * (`/v1/t`, `/v1/p`, `/v1/s`, `/v1/i`, `/v1/g`, `/v1/a`, `/v1/b`). The write key comes in the
 * body (`writeKey`) or as the HTTP Basic user. The mapping table is docs/TRACKER_PROTOCOLS.md;
 * what has no canonical field is kept in `properties` (the event's own properties and traits, and
 * `segment`: the message's other fields), so nothing the library sent is lost.
 * https://segment.com/docs/connections/spec/
 */

const TYPES_BY_PATH: Readonly<Record<string, string>> = {
  track: 'track',
  t: 'track',
  page: 'page',
  p: 'page',
  screen: 'screen',
  s: 'screen',
  identify: 'identify',
  i: 'identify',
  group: 'group',
  g: 'group',
  alias: 'alias',
  a: 'alias',
  batch: 'batch',
  b: 'batch',
};

/** The Segment route a path is, if it is one (`/v1/t` → `track`). */
export function segmentRoute(path: string): string | undefined {
  const match = /^\/v1\/([a-z]+)$/.exec(path);
  return match ? TYPES_BY_PATH[match[1]!] : undefined;
}

/** E-commerce spec v2 event names and their canonical types. https://segment.com/docs/connections/spec/ecommerce/v2/ */
export const SEGMENT_EVENT_TYPES: Readonly<Record<string, string>> = {
  'Product Viewed': 'product_view',
  'Product Added': 'add_to_cart',
  'Product Removed': 'remove_from_cart',
  'Checkout Started': 'checkout',
  'Order Completed': 'purchase',
  'Products Searched': 'search',
  'Product Clicked': 'click',
};

const OTHER_TYPES: Readonly<Record<string, string>> = { page: 'page_view', screen: 'screen_view', identify: 'identify', group: 'group', alias: 'alias' };
/** Message fields that become canonical ones. */
const MAPPED = new Set(['type', 'event', 'messageId', 'timestamp', 'sentAt', 'originalTimestamp', 'receivedAt', 'userId', 'properties', 'context', 'writeKey']);

export interface SegmentMessages {
  messages: unknown[];
  writeKey?: string;
  /** A batch's own `sentAt`, when its messages carry none. */
  sentAt?: string;
}

/** The messages of a request: one message, or `{ batch: [ … ] }` for `/v1/batch`. */
export function segmentMessages(route: string, body: unknown): { ok: true; value: SegmentMessages } | ({ ok: false } & Refusal) {
  if (!isObject(body)) return { ok: false, code: 'not_an_event', message: 'expected a Segment message (a JSON object)' };
  const writeKey = text(body.writeKey);
  if (route === 'batch') {
    if (!Array.isArray(body.batch)) return { ok: false, code: 'not_an_event', message: 'expected { "batch": [ … ] }' };
    if (body.batch.length === 0) return { ok: false, code: 'empty_body', message: 'the batch holds no messages' };
    const sentAt = text(body.sentAt);
    const firstKey = body.batch.map((message) => (isObject(message) ? text(message.writeKey) : undefined)).find(Boolean);
    return { ok: true, value: { messages: body.batch, ...defined({ writeKey: writeKey ?? firstKey, sentAt }) } };
  }
  return { ok: true, value: { messages: [{ type: route, ...body }], ...defined({ writeKey }) } };
}

/**
 * One Segment message as a canonical event. The event time follows the spec's correction for the
 * device clock: `receivedAt − (sentAt − timestamp)` when both are there, else `timestamp`, else
 * the receive time. The session is `context.sessionId` when the library sends one (RudderStack
 * does, as do Segment plugins), else one session per anonymous visitor and UTC day
 * (`segment:<anonymousId or userId>:<YYYY-MM-DD>`): Segment's own library has no session.
 */
export function fromSegment(message: unknown, receivedAtMs: number, batchSentAt?: string): unknown {
  if (!isObject(message)) return message;
  const context = isObject(message.context) ? message.context : {};
  const page = isObject(context.page) ? context.page : {};
  const properties = isObject(message.properties) ? message.properties : {};
  const type = text(message.type) ?? 'track';
  const eventName = text(message.event);
  const eventType = type === 'track' ? (eventName === undefined ? undefined : (SEGMENT_EVENT_TYPES[eventName] ?? (snakeCase(eventName) || undefined))) : (OTHER_TYPES[type] ?? snakeCase(type));
  const timestamp = eventTime(message, receivedAtMs, batchSentAt);
  const visitor = text(message.anonymousId) ?? text(message.userId);
  const contextSession = context.sessionId;
  const session = typeof contextSession === 'string' || typeof contextSession === 'number' ? String(contextSession) : visitor === undefined ? undefined : `segment:${visitor}:${(timestamp ?? new Date(receivedAtMs).toISOString()).slice(0, 10)}`;
  const { product, rest } = productOf(properties);
  const value = eventType === 'purchase' ? (numeric(properties.revenue) ?? numeric(properties.total) ?? numeric(properties.value)) : undefined;
  const { page: _page, userAgent: _userAgent, ip: _ip, sessionId: _session, ...otherContext } = context;
  const unmapped = Object.fromEntries(Object.entries(message).filter(([key]) => !MAPPED.has(key)));
  return defined({
    event_id: text(message.messageId),
    event_type: eventType,
    session_id: session,
    user_id: text(message.userId),
    timestamp: timestamp ?? (message.timestamp === undefined ? new Date(receivedAtMs).toISOString() : message.timestamp),
    page_url: text(page.url) ?? text(properties.url),
    referrer: text(page.referrer) ?? text(properties.referrer),
    user_agent: text(context.userAgent),
    ip_address: text(context.ip),
    product,
    value,
    properties: defined({
      ...rest,
      segment: defined({ type, event: eventName, context: Object.keys(otherContext).length > 0 ? otherContext : undefined, page: Object.keys(page).length > 0 ? page : undefined, ...unmapped }),
    }),
  });
}

function eventTime(message: Record<string, unknown>, receivedAtMs: number, batchSentAt: string | undefined): string | undefined {
  const timestamp = text(message.timestamp) ?? text(message.originalTimestamp);
  if (timestamp === undefined) return undefined;
  const eventMs = Date.parse(timestamp);
  const sentMs = Date.parse(text(message.sentAt) ?? batchSentAt ?? '');
  if (Number.isNaN(eventMs)) return undefined;
  if (Number.isNaN(sentMs)) return new Date(eventMs).toISOString();
  return new Date(receivedAtMs - (sentMs - eventMs)).toISOString();
}

/** The product of an e-commerce event: its own `product_id`/`sku`/… fields, or the first of `products`. */
function productOf(properties: Record<string, unknown>): { product?: Record<string, unknown>; rest: Record<string, unknown> } {
  const source = properties.product_id !== undefined || properties.sku !== undefined ? properties : Array.isArray(properties.products) && isObject(properties.products[0]) ? properties.products[0] : undefined;
  if (source === undefined) return { rest: { ...properties } };
  const product = defined({
    id: text(source.product_id) ?? text(source.sku) ?? (typeof source.product_id === 'number' ? String(source.product_id) : undefined),
    name: text(source.name),
    category: text(source.category),
    brand: text(source.brand),
    price: numeric(source.price),
  });
  const rest = { ...properties };
  if (source === properties) for (const key of ['product_id', 'sku', 'name', 'category', 'brand', 'price']) delete rest[key];
  return { product, rest };
}
