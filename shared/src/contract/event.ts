/**
 * The event contract (docs/ARCHITECTURE.md, "Event contract"): one canonical, snake_case clickstream event.
 * Producers may also send the camelCase e-commerce SDK payload; `decodeEvent` (validate.ts) maps both here.
 */

export const KNOWN_EVENT_TYPES = [
  'page_view',
  'click',
  'product_view',
  'add_to_cart',
  'remove_from_cart',
  'checkout',
  'purchase',
  'search',
  'error',
] as const;

export type KnownEventType = (typeof KNOWN_EVENT_TYPES)[number];

export interface Product {
  id?: string;
  name?: string;
  category?: string;
  brand?: string;
  price?: number;
  discount_price?: number;
}

export interface ClickstreamEvent {
  /** Client UUID, or `derived:<shardId>:<sequenceNumber>` when the producer sent none. */
  event_id: string;
  /** A known type, or any other string (counted as a custom type). */
  event_type: string;
  session_id: string;
  user_id?: string;
  /** ISO-8601 event time as sent. */
  timestamp: string;
  /** Event time in epoch milliseconds, parsed once. */
  event_time_ms: number;
  /** The URL as sent. */
  page_url?: string;
  /** Normalized path used for aggregation (`https://a.b/p/1?x=2#f` → `/p/1`). */
  page_path?: string;
  referrer?: string;
  user_agent?: string;
  ip_address?: string;
  country?: string;
  device_type?: string;
  user_login_state?: string;
  product?: Product;
  value?: number;
  /** What the sender sent beyond these fields (custom properties, unmapped protocol fields), as JSON. */
  properties?: Record<string, unknown>;
}

const knownTypes: ReadonlySet<string> = new Set(KNOWN_EVENT_TYPES);

export function isKnownEventType(eventType: string): eventType is KnownEventType {
  return knownTypes.has(eventType);
}

/** Revenue carried by an event: `value`, or the product's (discount) price for a purchase without one. */
export function eventRevenue(event: ClickstreamEvent): number {
  if (event.event_type !== 'purchase') return 0;
  if (typeof event.value === 'number') return event.value;
  return event.product?.discount_price ?? event.product?.price ?? 0;
}
