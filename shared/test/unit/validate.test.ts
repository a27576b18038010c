import { decodeEvent, decodeKinesisRecord, normalizePagePath, sequenceKey, compareSequenceNumbers, type ValidationOptions } from '@clickstream/shared';
import { lambdaRecord, pageView, streamRecord } from '../../../testkit/records';

const NOW = Date.parse('2026-11-22T10:16:00.000Z');
const options: ValidationOptions = { nowMs: NOW, maxFutureSkewMs: 300_000, maxEventAgeMs: 7 * 86_400_000, maxRecordBytes: 1_048_576 };
const origin = { shardId: 'shardId-000000000001', sequenceNumber: '49600000000000000000000000000000000000000000000000000001' };
const decode = (data: string | Uint8Array | Record<string, unknown>, nowMs = NOW) =>
  decodeEvent(typeof data === 'string' ? Buffer.from(data) : data instanceof Uint8Array ? data : Buffer.from(JSON.stringify(data)), origin, { ...options, nowMs });

describe('event contract', () => {
  it('accepts a canonical page_view and normalizes its page to the path', () => {
    const result = decode(pageView());
    expect(result).toMatchObject({ ok: true, event: { event_type: 'page_view', session_id: 'session-1', page_path: '/products/42', event_time_ms: Date.parse('2026-11-22T10:15:30.000Z') } });
  });

  it('normalizes the camelCase e-commerce SDK payload to the canonical shape', () => {
    const result = decode({
      eventId: 'abc',
      eventName: 'view_product',
      userId: 'u-9',
      sessionId: 's-9',
      timestamp: NOW - 1_000,
      pageUrl: '/p/sku-1?ref=home',
      referrer: 'https://google.com',
      userLoginState: 'logged_in',
      product: { id: 'sku-1', name: 'Boot', category: 'shoes', brand: 'Acme', price: 100, discountPrice: 80 },
    });
    expect(result).toEqual({
      ok: true,
      event: {
        event_id: 'abc',
        event_type: 'product_view',
        session_id: 's-9',
        user_id: 'u-9',
        timestamp: new Date(NOW - 1_000).toISOString(),
        event_time_ms: NOW - 1_000,
        page_url: '/p/sku-1?ref=home',
        page_path: '/p/sku-1',
        referrer: 'https://google.com',
        user_login_state: 'logged_in',
        product: { id: 'sku-1', name: 'Boot', category: 'shoes', brand: 'Acme', price: 100, discount_price: 80 },
      },
    });
  });

  it('derives a stable event id from shard and sequence number when the producer sent none', () => {
    const { event_id: _omit, ...withoutId } = pageView();
    const first = decode(withoutId);
    const again = decode(withoutId);
    expect(first.ok && first.event.event_id).toBe(`derived:${origin.shardId}:${origin.sequenceNumber}`);
    expect(again.ok && again.event.event_id).toBe(first.ok && first.event.event_id);
  });

  it('keeps properties (custom fields, unmapped tracker fields) as sent', () => {
    const properties = { plan: 'pro', items: [{ sku: 'a', qty: 2 }], coupon: null };
    expect(decode(pageView({ properties }))).toMatchObject({ ok: true, event: { properties } });
    expect(decode(pageView())).toMatchObject({ ok: true, event: expect.not.objectContaining({ properties: expect.anything() }) });
  });

  it('accepts unknown event types as custom types', () => {
    expect(decode(pageView({ event_type: 'video_play' }))).toMatchObject({ ok: true, event: { event_type: 'video_play' } });
  });

  describe.each([
    ['not JSON', '{"event_type": "page_view",', 'invalid_json', undefined],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'invalid_utf8', undefined],
    ['an empty record', '', 'empty_record', undefined],
    ['a blank record', '   \n', 'empty_record', undefined],
    ['a record over 1 MB', JSON.stringify(pageView({ referrer: 'x'.repeat(1_048_576) })), 'record_too_large', undefined],
    ['a JSON array', '[1,2]', 'not_an_object', undefined],
    ['a missing session_id', pageView({ session_id: undefined }), 'missing_field', 'session_id'],
    ['an empty session_id', pageView({ session_id: '' }), 'invalid_field_value', 'session_id'],
    ['a numeric session_id', pageView({ session_id: 42 }), 'invalid_field_type', 'session_id'],
    ['a session_id over 128 characters', pageView({ session_id: 's'.repeat(129) }), 'field_too_long', 'session_id'],
    ['a missing event_type', pageView({ event_type: undefined }), 'missing_field', 'event_type'],
    ['a missing timestamp', pageView({ timestamp: undefined }), 'missing_field', 'timestamp'],
    ['a timestamp that is not ISO-8601', pageView({ timestamp: '22/11/2026 10:15' }), 'invalid_timestamp', 'timestamp'],
    ['a timestamp more than 5 minutes ahead', pageView({ timestamp: new Date(NOW + 301_000).toISOString() }), 'future_timestamp', 'timestamp'],
    ['a timestamp older than a week', pageView({ timestamp: '2026-01-01T00:00:00Z' }), 'stale_timestamp', 'timestamp'],
    ['a page_view without page_url', pageView({ page_url: undefined }), 'missing_field', 'page_url'],
    ['a __proto__ key', '{"__proto__":{"admin":true},"event_type":"click","session_id":"s","timestamp":"2026-11-22T10:15:00Z"}', 'forbidden_key', '__proto__'],
    ['a nested constructor key', JSON.stringify(pageView({ product: { constructor: { prototype: 1 } } })), 'forbidden_key', 'product.constructor'],
    ['a very long page_url', pageView({ page_url: `/p/${'a'.repeat(5000)}` }), 'field_too_long', 'page_url'],
    ['control characters in page_url', pageView({ page_url: '/p/1\u0000\r\nSet-Cookie: x' }), 'control_characters', 'page_url'],
    ['a string value', pageView({ value: '12.50' }), 'invalid_field_type', 'value'],
    ['a product that is not an object', pageView({ product: 'sku-1' }), 'invalid_field_type', 'product'],
    ['a value at 2^53 or above (the document client cannot marshal it)', pageView({ event_type: 'purchase', value: 1e16 }), 'invalid_field_value', 'value'],
    ['a value above one billion', pageView({ event_type: 'purchase', value: 1_000_000_001 }), 'invalid_field_value', 'value'],
    ['a negative value', pageView({ event_type: 'purchase', value: -5 }), 'invalid_field_value', 'value'],
    ['a product price out of range', pageView({ product: { id: '1', price: 1e16 } }), 'invalid_field_value', 'product.price'],
    ['a discount price out of range', pageView({ product: { id: '1', discount_price: 9007199254740993 } }), 'invalid_field_value', 'product.discount_price'],
    ['a page_url of 2,001 "é" (4,002 UTF-8 bytes, over the 2,048-byte key limit)', pageView({ page_url: `/${'é'.repeat(2001)}` }), 'field_too_long', 'page_url'],
    ['a session_id of 100 "€" (300 bytes)', pageView({ session_id: '€'.repeat(100) }), 'field_too_long', 'session_id'],
    ['an impossible date (February 31)', pageView({ timestamp: '2026-02-31T10:00:00Z' }), 'invalid_timestamp', 'timestamp'],
    ['hour 24', pageView({ timestamp: '2026-11-22T24:00:00Z' }), 'invalid_timestamp', 'timestamp'],
    ['a lone surrogate in session_id', '{"event_type":"click","session_id":"s\\ud800x","timestamp":"2026-11-22T10:15:00Z"}', 'invalid_field_value', 'session_id'],
    ['properties that are an array', pageView({ properties: [1, 2] }), 'invalid_field_type', 'properties'],
    ['properties that are a string', pageView({ properties: 'plan=pro' }), 'invalid_field_type', 'properties'],
    ['properties over 8 KiB of JSON', pageView({ properties: { note: 'x'.repeat(8200) } }), 'field_too_long', 'properties'],
    ['a lone surrogate inside properties', '{"event_type":"click","session_id":"s","timestamp":"2026-11-22T10:15:00Z","properties":{"a":["\\udc00"]}}', 'invalid_field_value', 'properties'],
    ['a __proto__ key inside properties', '{"event_type":"click","session_id":"s","timestamp":"2026-11-22T10:15:00Z","properties":{"__proto__":{"x":1}}}', 'forbidden_key', 'properties.__proto__'],
  ])('rejects %s', (_case, data, reason, field) => {
    it(`with reason ${reason}`, () => {
      const result = decode(data as string | Uint8Array | Record<string, unknown>);
      expect(result.ok).toBe(false);
      expect(result).toMatchObject({ reason, ...(field === undefined ? {} : { field }) });
      expect(result.ok === false && result.message.length).toBeGreaterThan(0);
    });
  });

  it('accepts the edges of the ranges: a value of exactly one billion, 2,048 bytes of path, February 29 of a leap year, a paired surrogate', () => {
    expect(decode(pageView({ event_type: 'purchase', value: 1_000_000_000 })).ok).toBe(true);
    expect(decode(pageView({ page_url: `/${'a'.repeat(2047)}` })).ok).toBe(true);
    expect(decode(pageView({ timestamp: '2024-02-29T10:15:00Z' }), Date.parse('2024-02-29T10:16:00Z')).ok).toBe(true);
    expect(decode(pageView({ session_id: 'shopper-😀' })).ok).toBe(true);
  });

  it('accepts a timestamp exactly at the 5-minute future limit', () => {
    expect(decode(pageView({ timestamp: new Date(NOW + 300_000).toISOString() })).ok).toBe(true);
  });

  it('does not mistake the word "constructor" in a value for a forbidden key', () => {
    expect(decode(pageView({ page_url: '/blog/constructor-pattern' })).ok).toBe(true);
  });
});

describe('normalizePagePath', () => {
  it.each([
    ['https://shop.example.com/p/1?x=2', '/p/1'],
    ['https://shop.example.com', '/'],
    ['http://shop.example.com:8080/a/b/#frag', '/a/b/'],
    ['//cdn.example.com/x?y', '/x'],
    ['/checkout?step=2', '/checkout'],
    ['products/42', '/products/42'],
    ['?only=query', '/'],
  ])('%s → %s', (url, path) => {
    expect(normalizePagePath(url)).toBe(path);
  });
});

describe('Kinesis records', () => {
  it('decodes the record Lambda sends: base64 data, seconds timestamp, shard from eventID', () => {
    const original = streamRecord(pageView(), { shardId: 'shardId-000000000003', arrivalMs: 1_795_000_000_123 });
    const decoded = decodeKinesisRecord(lambdaRecord(original));
    expect(decoded).toEqual({ ...original, data: Buffer.from(original.data) });
  });

  it('orders sequence numbers numerically, also as DynamoDB-comparable strings', () => {
    const small = '999';
    const large = '49600000000000000000000000000000000000000000000000000001';
    expect(compareSequenceNumbers(small, large)).toBeLessThan(0);
    expect(sequenceKey(small) < sequenceKey(large)).toBe(true);
    expect(small < large).toBe(false);
  });
});
