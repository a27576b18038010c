import { isKnownEventType } from '@clickstream/shared';
import type { Refusal } from '../access';
import { defined, isObject, isoFromMs, numeric, snakeCase, text } from './common';

/**
 * Snowplow's tracker protocol (what `@snowplow/browser-tracker` sends) mapped to the canonical
 * event: `POST /com.snowplowanalytics.snowplow/tp2` with the `payload_data` envelope
 * (`{ schema, data: [ {…}, … ] }`, every value a string) and `GET /i?<one event>`. The mapping
 * table is docs/TRACKER_PROTOCOLS.md; whatever has no canonical field is kept in `properties`
 * (`snowplow`: the unmapped fields, `contexts`: the decoded entities, `self_describing` or
 * `structured`: the event's own data), so nothing the tracker sent is lost.
 * https://docs.snowplow.io/docs/sources/trackers/snowplow-tracker-protocol/
 */

export const SNOWPLOW_PATHS = { post: '/com.snowplowanalytics.snowplow/tp2', pixel: '/i' } as const;

const PAYLOAD_DATA = /^iglu:com\.snowplowanalytics\.snowplow\/payload_data\/jsonschema\/1-/;
/** Fields that become canonical ones, or are decoded into `contexts`/`self_describing`. */
const MAPPED = new Set(['e', 'eid', 'dtm', 'stm', 'ttm', 'sid', 'uid', 'url', 'refr', 'ua', 'co', 'cx', 'ue_pr', 'ue_px', 'se_ca', 'se_ac', 'se_la', 'se_pr', 'se_va', 'tr_tt']);

interface Entity {
  schema: string;
  data: Record<string, unknown>;
}

/** The events of a POST body: the `data` array of a `payload_data` envelope. */
export function snowplowPayloads(body: unknown): { ok: true; payloads: unknown[] } | ({ ok: false } & Refusal) {
  if (!isObject(body) || !Array.isArray(body.data)) return { ok: false, code: 'not_an_event', message: 'expected the Snowplow payload_data envelope: { "schema": "iglu:…/payload_data/…", "data": [ … ] }' };
  if (typeof body.schema === 'string' && !PAYLOAD_DATA.test(body.schema)) return { ok: false, code: 'not_an_event', message: `unsupported Snowplow schema ${body.schema}: send payload_data` };
  if (body.data.length === 0) return { ok: false, code: 'empty_body', message: 'the payload_data envelope holds no events' };
  return { ok: true, payloads: body.data };
}

/** The payload of a `GET /i` pixel request (its query parameters). */
export function snowplowQueryPayload(query: URLSearchParams): Record<string, string> {
  return Object.fromEntries(query);
}

/**
 * One tracker-protocol event as a canonical event. Not every payload is valid: what cannot be
 * mapped (no session id, a bad time) goes through unmapped, and the shared validation decides.
 */
export function fromSnowplow(payload: unknown, receivedAtMs: number): unknown {
  if (!isObject(payload)) return payload;
  const contexts = [...decodeContexts(payload.co, false), ...decodeContexts(payload.cx, true)];
  const selfDescribing = decodeSelfDescribing(payload.ue_pr, payload.ue_px);
  const session = text(payload.sid) ?? text(contexts.find((entity) => /\/client_session\//.test(entity.schema))?.data.sessionId) ?? visitOf(payload);
  const { eventType, product, value } = eventOf(payload, selfDescribing, contexts);
  const unmapped: Record<string, unknown> = Object.fromEntries(Object.entries(payload).filter(([key]) => !MAPPED.has(key)));
  // Encoded fields that did not decode stay as sent.
  for (const key of ['co', 'cx'] as const) if (text(payload[key]) !== undefined && decodeContexts(payload[key], key === 'cx').length === 0) unmapped[key] = payload[key];
  if (selfDescribing === undefined) for (const key of ['ue_pr', 'ue_px'] as const) if (text(payload[key]) !== undefined) unmapped[key] = payload[key];
  const structured =
    payload.e === 'se' ? defined({ category: text(payload.se_ca), action: text(payload.se_ac), label: text(payload.se_la), property: text(payload.se_pr), value: numeric(payload.se_va) }) : undefined;
  return defined({
    event_id: text(payload.eid),
    event_type: eventType,
    session_id: session,
    user_id: text(payload.uid),
    timestamp: eventTime(payload, receivedAtMs),
    page_url: text(payload.url),
    referrer: text(payload.refr),
    user_agent: text(payload.ua),
    product,
    value,
    properties: defined({
      snowplow: unmapped,
      contexts: contexts.length > 0 ? contexts : undefined,
      self_describing: selfDescribing,
      structured,
    }),
  });
}

/**
 * The event time: the true timestamp (`ttm`) when the sender set one; else the device time
 * corrected by the device clock's offset (`dtm` + (receive time − `stm`)), Snowplow's own
 * `derived_tstamp`; else the device time; else the receive time.
 */
function eventTime(payload: Record<string, unknown>, receivedAtMs: number): string {
  const trueTime = isoFromMs(numeric(payload.ttm));
  if (trueTime) return trueTime;
  const device = numeric(payload.dtm);
  const sent = numeric(payload.stm);
  if (device !== undefined && sent !== undefined && isoFromMs(device) && isoFromMs(sent)) return isoFromMs(device + (receivedAtMs - sent)) ?? new Date(receivedAtMs).toISOString();
  return isoFromMs(device) ?? new Date(receivedAtMs).toISOString();
}

/** Without `sid` or a client_session entity: one session per domain user and visit (`duid`, `vid`). */
function visitOf(payload: Record<string, unknown>): string | undefined {
  const user = text(payload.duid);
  return user === undefined ? undefined : `snowplow:${user}:${text(payload.vid) ?? '1'}`;
}

/** Snowplow e-commerce actions (the snowplow_ecommerce_action event's `type`) and older schemas, as canonical types. */
const ECOMMERCE_TYPES: Readonly<Record<string, string>> = {
  product_view: 'product_view',
  add_to_cart: 'add_to_cart',
  remove_from_cart: 'remove_from_cart',
  checkout_step: 'checkout',
  transaction: 'purchase',
  list_click: 'click',
};
const SCHEMA_TYPES: Readonly<Record<string, string>> = {
  link_click: 'click',
  add_to_cart: 'add_to_cart',
  remove_from_cart: 'remove_from_cart',
  site_search: 'search',
  application_error: 'error',
};

function eventOf(payload: Record<string, unknown>, selfDescribing: Entity | undefined, contexts: Entity[]): { eventType: string | undefined; product?: Record<string, unknown>; value?: number } {
  const productEntity = contexts.find((entity) => /\.ecommerce\/product\//.test(entity.schema))?.data;
  const product = productEntity === undefined ? undefined : defined({ id: text(productEntity.id), name: text(productEntity.name), category: text(productEntity.category), brand: text(productEntity.brand), price: numeric(productEntity.price) });
  switch (payload.e) {
    case 'pv':
      return { eventType: 'page_view' };
    case 'pp':
      return { eventType: 'page_ping' };
    case 'tr':
      return { eventType: 'purchase', ...defined({ value: numeric(payload.tr_tt) }) };
    case 'ti':
      return { eventType: 'transaction_item' };
    case 'se': {
      const action = text(payload.se_ac);
      const eventType = action === undefined ? 'structured_event' : isKnownEventType(action) ? action : snakeCase(action) || 'structured_event';
      return { eventType, ...(product ? { product } : {}), ...(eventType === 'purchase' ? defined({ value: numeric(payload.se_va) }) : {}) };
    }
    case 'ue': {
      if (selfDescribing === undefined) return { eventType: 'self_describing_event' };
      const name = /^iglu:[^/]+\/([^/]+)\//.exec(selfDescribing.schema)?.[1] ?? 'self_describing_event';
      if (name === 'snowplow_ecommerce_action') {
        const action = text(selfDescribing.data.type) ?? 'ecommerce_action';
        const eventType = ECOMMERCE_TYPES[action] ?? snakeCase(action);
        const revenue = numeric(contexts.find((entity) => /\.ecommerce\/transaction\//.test(entity.schema))?.data.revenue);
        return { eventType, ...(product ? { product } : {}), ...(eventType === 'purchase' && revenue !== undefined ? { value: revenue } : {}) };
      }
      if (name === 'add_to_cart' || name === 'remove_from_cart') {
        const data = selfDescribing.data;
        return { eventType: SCHEMA_TYPES[name]!, product: defined({ id: text(data.sku), name: text(data.name), category: text(data.category), price: numeric(data.unitPrice) }) };
      }
      return { eventType: SCHEMA_TYPES[name] ?? snakeCase(name), ...(product ? { product } : {}) };
    }
    default:
      return { eventType: typeof payload.e === 'string' && payload.e !== '' ? `snowplow_${snakeCase(payload.e)}` : undefined };
  }
}

/** Contexts (`co` plain JSON, `cx` base64url JSON): `{ schema: …/contexts/…, data: [entities] }`. */
function decodeContexts(value: unknown, base64: boolean): Entity[] {
  const decoded = decodeJson(value, base64);
  if (!isObject(decoded) || !Array.isArray(decoded.data)) return [];
  return decoded.data.filter((entity): entity is Entity => isObject(entity) && typeof entity.schema === 'string' && isObject(entity.data));
}

/** A self-describing event (`ue_pr` plain, `ue_px` base64url): `{ schema: …/unstruct_event/…, data: { schema, data } }`. */
function decodeSelfDescribing(plain: unknown, encoded: unknown): Entity | undefined {
  const decoded = decodeJson(plain, false) ?? decodeJson(encoded, true);
  const inner = isObject(decoded) ? decoded.data : undefined;
  return isObject(inner) && typeof inner.schema === 'string' && isObject(inner.data) ? { schema: inner.schema, data: inner.data } : undefined;
}

function decodeJson(value: unknown, base64: boolean): unknown {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    return JSON.parse(base64 ? Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8') : value);
  } catch {
    return undefined;
  }
}
