import { decodeEvent, loadConfig, validationLimits } from '@clickstream/shared';
import { fromSegment, segmentMessages, segmentRoute } from '../../src/protocols/segment';
import { fromSnowplow, snowplowPayloads } from '../../src/protocols/snowplow';
import { handleRequest } from '../../src/processor';
import { collectorDeps, NOW, observer, request } from '../support/requests';

const limits = validationLimits(loadConfig({}));
/** What the consumers will make of a mapped event. */
const canonical = (event: unknown) => decodeEvent(Buffer.from(JSON.stringify(event)), { shardId: 's', sequenceNumber: '1' }, { ...limits, nowMs: NOW });
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** A tracker-protocol payload as @snowplow/browser-tracker 4.10.1 sends it (every value a string). */
const snowplow = (fields: Record<string, string>) => ({
  eid: 'f0743c8d-7d3d-480e-af56-8e7f66b2a6b6',
  tv: 'js-4.10.1',
  tna: 'sp',
  aid: 'shop',
  p: 'web',
  url: 'http://127.0.0.1:5312/p/sku-1?ref=home',
  page: 'Trail boots',
  dtm: String(NOW - 2_000),
  stm: String(NOW - 1_000),
  vid: '1',
  sid: '1eed5a0d-ab36-4a8a-9ed2-77424f7fbc5e',
  duid: '5f9c2df1-08c9-4856-8a64-8b5677c7051d',
  co: JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0', data: [{ schema: 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0', data: { id: 'page-1' } }] }),
  ...fields,
});
const product = { schema: 'iglu:com.snowplowanalytics.snowplow.ecommerce/product/jsonschema/1-0-0', data: { id: 'sku-1', name: 'Trail boots', category: 'shoes', price: 129, currency: 'USD' } };
const ecommerce = (type: string, entities: unknown[] = [product]) => ({
  e: 'ue',
  ue_px: base64url({ schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0', data: { schema: 'iglu:com.snowplowanalytics.snowplow.ecommerce/snowplow_ecommerce_action/jsonschema/1-0-2', data: { type } } }),
  cx: base64url({ schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0', data: entities }),
});

describe('Snowplow tracker protocol', () => {
  it('maps a page view: eid, the clock-corrected device time, sid, url; the rest is kept', () => {
    const result = canonical(fromSnowplow(snowplow({ e: 'pv', refr: 'https://www.google.com/' }), NOW));
    expect(result).toMatchObject({
      ok: true,
      event: { event_id: 'f0743c8d-7d3d-480e-af56-8e7f66b2a6b6', event_type: 'page_view', session_id: '1eed5a0d-ab36-4a8a-9ed2-77424f7fbc5e', page_path: '/p/sku-1', referrer: 'https://www.google.com/', timestamp: new Date(NOW - 1_000).toISOString() },
    });
    expect(result.ok && result.event.properties).toMatchObject({ snowplow: { aid: 'shop', page: 'Trail boots', duid: '5f9c2df1-08c9-4856-8a64-8b5677c7051d', tv: 'js-4.10.1' }, contexts: [{ schema: expect.stringContaining('web_page'), data: { id: 'page-1' } }] });
  });

  it.each([
    ['product_view', 'product_view', undefined],
    ['add_to_cart', 'add_to_cart', undefined],
    ['remove_from_cart', 'remove_from_cart', undefined],
    ['checkout_step', 'checkout', undefined],
  ])('maps the e-commerce action %s to %s, with the product entity', (action, eventType) => {
    const result = canonical(fromSnowplow(snowplow(ecommerce(action)), NOW));
    expect(result).toMatchObject({ ok: true, event: { event_type: eventType, product: { id: 'sku-1', name: 'Trail boots', category: 'shoes', price: 129 } } });
  });

  it('maps a transaction to a purchase with its revenue', () => {
    const transaction = { schema: 'iglu:com.snowplowanalytics.snowplow.ecommerce/transaction/jsonschema/1-0-0', data: { transaction_id: 'o-1', revenue: 129, currency: 'USD', payment_method: 'card' } };
    expect(canonical(fromSnowplow(snowplow(ecommerce('transaction', [transaction, product])), NOW))).toMatchObject({ ok: true, event: { event_type: 'purchase', value: 129, product: { id: 'sku-1' } } });
  });

  it('maps structured events by action, link clicks and other self-describing events by schema name', () => {
    expect(canonical(fromSnowplow(snowplow({ e: 'se', se_ca: 'shop', se_ac: 'add_to_cart', se_la: 'sku-1', se_va: '49' }), NOW))).toMatchObject({ ok: true, event: { event_type: 'add_to_cart', properties: { structured: { category: 'shop', action: 'add_to_cart', label: 'sku-1', value: 49 } } } });
    expect(canonical(fromSnowplow(snowplow({ e: 'se', se_ca: 'video', se_ac: 'Play Video' }), NOW))).toMatchObject({ ok: true, event: { event_type: 'play_video' } });
    const linkClick = { e: 'ue', ue_pr: JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0', data: { schema: 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1', data: { targetUrl: 'https://x.example/' } } }) };
    expect(canonical(fromSnowplow(snowplow(linkClick), NOW))).toMatchObject({ ok: true, event: { event_type: 'click', properties: { self_describing: { data: { targetUrl: 'https://x.example/' } } } } });
    const custom = { e: 'ue', ue_pr: JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0', data: { schema: 'iglu:com.acme/newsletterSignup/jsonschema/1-0-0', data: { list: 'weekly' } } }) };
    expect(canonical(fromSnowplow(snowplow(custom), NOW))).toMatchObject({ ok: true, event: { event_type: 'newsletter_signup' } });
  });

  it('takes the session from the client_session entity without sid, else from the domain user and visit', () => {
    const clientSession = { cx: base64url({ schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0', data: [{ schema: 'iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2', data: { sessionId: 'cs-1', userId: 'u' } }] }) };
    const { sid: _sid, ...withoutSid } = snowplow({ e: 'pv', ...clientSession });
    expect(canonical(fromSnowplow(withoutSid, NOW))).toMatchObject({ ok: true, event: { session_id: 'cs-1' } });
    const { sid: _sid2, co: _co, ...bare } = snowplow({ e: 'pv', vid: '3' });
    expect(canonical(fromSnowplow(bare, NOW))).toMatchObject({ ok: true, event: { session_id: 'snowplow:5f9c2df1-08c9-4856-8a64-8b5677c7051d:3' } });
  });

  it('prefers the true timestamp, and keeps contexts that do not decode as sent', () => {
    const result = canonical(fromSnowplow(snowplow({ e: 'pv', ttm: String(NOW - 60_000), cx: 'not-base64-json' }), NOW));
    expect(result).toMatchObject({ ok: true, event: { timestamp: new Date(NOW - 60_000).toISOString(), properties: { snowplow: { cx: 'not-base64-json' } } } });
  });

  it('leaves what cannot be mapped to the validation: no session at all is quarantined as missing_field', () => {
    const { sid: _sid, duid: _duid, ...anonymous } = snowplow({ e: 'pv' });
    expect(canonical(fromSnowplow(anonymous, NOW))).toMatchObject({ ok: false, reason: 'missing_field', field: 'session_id' });
  });

  it('takes only the payload_data envelope', () => {
    expect(snowplowPayloads({ schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4', data: [{}] })).toMatchObject({ ok: true });
    expect(snowplowPayloads({ data: 'x' })).toMatchObject({ ok: false, code: 'not_an_event' });
    expect(snowplowPayloads({ schema: 'iglu:com.acme/other/jsonschema/1-0-0', data: [{}] })).toMatchObject({ ok: false, code: 'not_an_event' });
    expect(snowplowPayloads({ schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4', data: [] })).toMatchObject({ ok: false, code: 'empty_body' });
  });
});

/** A message as @segment/analytics-next 1.84.3 posts it. */
const segment = (fields: Record<string, unknown>) => ({
  timestamp: new Date(NOW - 2_000).toISOString(),
  integrations: {},
  context: {
    page: { path: '/p/sku-1', referrer: 'https://www.google.com/', search: '', title: 'Trail boots', url: 'http://127.0.0.1:5312/p/sku-1' },
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0.0.0 Safari/537.36',
    locale: 'en-US',
    library: { name: 'analytics.js', version: 'npm:next-1.84.3' },
  },
  messageId: 'ajs-next-1796127326748-ff16a658-7bf5-4d36-a4e1-9519542544b6',
  anonymousId: '6190ff16-a658-4bf5-bd36-64e195195425',
  writeKey: 'wk_segment_1234',
  userId: null,
  sentAt: new Date(NOW - 1_000).toISOString(),
  ...fields,
});

describe('Segment tracking spec', () => {
  it('knows the routes, long and short', () => {
    expect(['/v1/track', '/v1/t', '/v1/page', '/v1/p', '/v1/identify', '/v1/i', '/v1/batch', '/v1/b', '/v1/events', '/v2/t'].map(segmentRoute)).toEqual(['track', 'track', 'page', 'page', 'identify', 'identify', 'batch', 'batch', undefined, undefined]);
  });

  it.each([
    ['Product Viewed', 'product_view'],
    ['Product Added', 'add_to_cart'],
    ['Product Removed', 'remove_from_cart'],
    ['Checkout Started', 'checkout'],
    ['Order Completed', 'purchase'],
    ['Products Searched', 'search'],
    ['Signed Up', 'signed_up'],
  ])('maps track "%s" to %s', (event, eventType) => {
    expect(canonical(fromSegment(segment({ type: 'track', event, properties: {} }), NOW))).toMatchObject({ ok: true, event: { event_type: eventType } });
  });

  it('maps a page: messageId, the clock-corrected time, context.page, the user agent; the session per visitor and day', () => {
    const result = canonical(fromSegment(segment({ type: 'page', properties: { title: 'Trail boots' } }), NOW));
    expect(result).toMatchObject({
      ok: true,
      event: {
        event_id: 'ajs-next-1796127326748-ff16a658-7bf5-4d36-a4e1-9519542544b6',
        event_type: 'page_view',
        session_id: `segment:6190ff16-a658-4bf5-bd36-64e195195425:${new Date(NOW).toISOString().slice(0, 10)}`,
        timestamp: new Date(NOW - 1_000).toISOString(),
        page_path: '/p/sku-1',
        referrer: 'https://www.google.com/',
        user_agent: expect.stringContaining('HeadlessChrome'),
      },
    });
    expect(result.ok && result.event.properties).toMatchObject({ title: 'Trail boots', segment: { type: 'page', anonymousId: '6190ff16-a658-4bf5-bd36-64e195195425', context: { locale: 'en-US', library: { name: 'analytics.js' } } } });
  });

  it('uses context.sessionId when the library sends one (RudderStack)', () => {
    expect(canonical(fromSegment(segment({ type: 'track', event: 'Product Viewed', context: { sessionId: 1796127326 } }), NOW))).toMatchObject({ ok: true, event: { session_id: '1796127326' } });
  });

  it('maps the e-commerce product and an order’s revenue', () => {
    expect(canonical(fromSegment(segment({ type: 'track', event: 'Product Added', properties: { product_id: 'sku-1', name: 'Trail boots', price: 129, quantity: 1, cart_id: 'c-1' } }), NOW))).toMatchObject({
      ok: true,
      event: { event_type: 'add_to_cart', product: { id: 'sku-1', name: 'Trail boots', price: 129 }, properties: { quantity: 1, cart_id: 'c-1' } },
    });
    expect(canonical(fromSegment(segment({ type: 'track', event: 'Order Completed', properties: { order_id: 'o-1', revenue: 129, products: [{ product_id: 'sku-1', price: 129 }] } }), NOW))).toMatchObject({
      ok: true,
      event: { event_type: 'purchase', value: 129, product: { id: 'sku-1', price: 129 }, properties: { order_id: 'o-1' } },
    });
  });

  it('maps identify with its user and traits', () => {
    expect(canonical(fromSegment(segment({ type: 'identify', userId: 'user-9', traits: { plan: 'pro' } }), NOW))).toMatchObject({ ok: true, event: { event_type: 'identify', user_id: 'user-9', properties: { segment: { traits: { plan: 'pro' } } } } });
  });

  it('reads batches with their write key and sentAt', () => {
    const body = { batch: [segment({ type: 'page', sentAt: undefined, writeKey: undefined }), segment({ type: 'track', event: 'Product Viewed', sentAt: undefined, writeKey: undefined })], sentAt: new Date(NOW - 1_000).toISOString(), writeKey: 'wk_batch_1234' };
    const messages = segmentMessages('batch', body);
    expect(messages).toMatchObject({ ok: true, value: { writeKey: 'wk_batch_1234', sentAt: body.sentAt } });
    expect(messages.ok && messages.value.messages).toHaveLength(2);
    expect(segmentMessages('batch', { batch: [] })).toMatchObject({ ok: false, code: 'empty_body' });
    expect(segmentMessages('track', 'x')).toMatchObject({ ok: false, code: 'not_an_event' });
  });
});

describe('the protocol routes', () => {
  it('answer Snowplow with verdicts, Segment with { success: true } and verdicts; Segment’s write key from Basic auth', async () => {
    const deps = collectorDeps({ COLLECTOR_REQUIRE_WRITE_KEY: 'true', COLLECTOR_WRITE_KEYS: 'wk_segment_1234' });
    const snowplowBody = { schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4', data: [snowplow({ e: 'pv' })] };
    const withKey = { 'content-type': 'application/json; charset=UTF-8', 'x-clickstream-write-key': 'wk_segment_1234' };
    const snow = await handleRequest(request({ path: '/com.snowplowanalytics.snowplow/tp2', body: snowplowBody, headers: withKey }), deps, observer());
    expect(snow.status).toBe(200);
    expect(JSON.parse(snow.body as string)).toMatchObject({ received: 1, accepted: 1 });
    const auth = `Basic ${Buffer.from('wk_segment_1234:').toString('base64')}`;
    const { writeKey: _key, ...unkeyed } = segment({ event: 'Product Viewed', properties: {} });
    const seg = await handleRequest(request({ path: '/v1/t', body: unkeyed, headers: { 'content-type': 'text/plain', authorization: auth } }), deps, observer());
    expect(seg.status).toBe(200);
    expect(JSON.parse(seg.body as string)).toMatchObject({ success: true, accepted: 1 });
    const refused = await handleRequest(request({ path: '/v1/t', body: unkeyed, headers: { 'content-type': 'text/plain' } }), deps, observer());
    expect(refused.status).toBe(401);
    expect(deps.stream.events().map((event) => event.event_type)).toEqual(['page_view', 'product_view']);
  });

  it('answers the Snowplow GET /i pixel with a GIF', async () => {
    const deps = collectorDeps();
    const query = new URLSearchParams(snowplow({ e: 'pv' })).toString();
    const response = await handleRequest(request({ method: 'GET', path: '/i', query }), deps, observer());
    expect(response.headers['content-type']).toBe('image/gif');
    expect(response.headers['x-clickstream-status']).toBe('accepted');
    expect(deps.stream.events()[0]).toMatchObject({ event_type: 'page_view', event_id: 'f0743c8d-7d3d-480e-af56-8e7f66b2a6b6' });
  });

  it('refuses bodies that are not the protocol', async () => {
    const deps = collectorDeps();
    const notJson = await handleRequest(request({ path: '/com.snowplowanalytics.snowplow/tp2', body: '{"schema":' }), deps, observer());
    expect(notJson.status).toBe(400);
    const notEnvelope = await handleRequest(request({ path: '/com.snowplowanalytics.snowplow/tp2', body: [{ e: 'pv' }] }), deps, observer());
    expect(JSON.parse(notEnvelope.body as string)).toMatchObject({ error: 'not_an_event' });
    const get = await handleRequest(request({ method: 'GET', path: '/v1/t' }), deps, observer());
    expect(get.status).toBe(405);
    expect(deps.stream.calls).toBe(0);
  });
});
