import type { TrafficRecord } from '../testkit/traffic';

/**
 * Hostile records, each with the fate the event contract gives it (docs/ARCHITECTURE.md), stated
 * here by hand rather than computed by the pipeline's code: what `npm run chaos` and the fault
 * suite mix into their traffic.
 */
export function hostileCorpus(nowMs: number): TrafficRecord[] {
  const timestamp = new Date(nowMs).toISOString();
  const event = (name: string, fields: Record<string, unknown>) => ({ event_id: `hostile-${name}`, session_id: `hostile-${name}`, event_type: 'click', timestamp, ...fields });
  const cases: Array<{ name: string; data: string | Record<string, unknown>; expected: string; eventType?: string; pagePath?: string }> = [
    { name: 'huge-value', data: event('huge-value', { event_type: 'purchase', value: 1e16 }), expected: 'invalid_field_value' },
    { name: 'huge-price', data: event('huge-price', { event_type: 'product_view', product: { id: 'p', price: 9007199254740993 } }), expected: 'invalid_field_value' },
    { name: 'negative-value', data: event('negative-value', { event_type: 'purchase', value: -1 }), expected: 'invalid_field_value' },
    { name: 'type-all', data: event('type-all', { event_type: 'all', page_url: '/hostile/all' }), expected: 'accepted', eventType: 'all', pagePath: '/hostile/all' },
    { name: 'long-multibyte-path', data: event('long-multibyte-path', { event_type: 'page_view', page_url: `/${'é'.repeat(2001)}` }), expected: 'field_too_long' },
    { name: 'long-multibyte-session', data: event('long-multibyte-session', { session_id: '€'.repeat(100) }), expected: 'field_too_long' },
    { name: 'february-31', data: event('february-31', { timestamp: '2026-02-31T10:00:00Z' }), expected: 'invalid_timestamp' },
    { name: 'hour-24', data: event('hour-24', { timestamp: '2026-11-22T24:00:00Z' }), expected: 'invalid_timestamp' },
    { name: 'lone-surrogate', data: `{"event_id":"hostile-lone-surrogate","event_type":"click","session_id":"hostile-\\ud800","timestamp":"${timestamp}"}`, expected: 'invalid_field_value' },
    { name: 'not-json', data: '{"event_type":"click","session_id":', expected: 'invalid_json' },
    { name: 'proto', data: `{"__proto__":{"admin":true},"event_type":"click","session_id":"hostile-proto","timestamp":"${timestamp}"}`, expected: 'forbidden_key' },
    { name: 'control-characters', data: event('control-characters', { page_url: '/p/1\u0000\r\nSet-Cookie: x' }), expected: 'control_characters' },
  ];
  return cases.map(({ name, data, expected, eventType, pagePath }) => ({
    partitionKey: `hostile-${name}`,
    data: typeof data === 'string' ? data : JSON.stringify(data),
    kind: expected === 'accepted' ? 'valid' : 'invalid',
    sessionId: `hostile-${name}`,
    eventTimeMs: nowMs,
    expected,
    ...(eventType === undefined ? {} : { eventType }),
    ...(pagePath === undefined ? {} : { pagePath }),
  }));
}
