import { decideBatch, loadConfig, validationLimits } from '@clickstream/shared';
import type { ErrorResponse, EventsResponse } from '../../src/contract';
import { handleRequest } from '../../src/processor';
import { collectorDeps, MemoryStream, NOW, observer, pageView, request } from '../support/requests';

const send = async (req: Parameters<typeof handleRequest>[0], deps = collectorDeps()) => {
  const observe = observer();
  const response = await handleRequest(req, deps, observe);
  const text = typeof response.body === 'string' ? response.body : '';
  return { ...response, json: text.startsWith('{') ? (JSON.parse(text) as EventsResponse & ErrorResponse) : undefined, deps, points: observe.points };
};

describe('POST /v1/events', () => {
  it.each([
    ['a JSON array', [pageView({ event_id: 'a' }), pageView({ event_id: 'b' })]],
    ['an { events } envelope', { events: [pageView({ event_id: 'a' }), pageView({ event_id: 'b' })] }],
    ['NDJSON', `${JSON.stringify(pageView({ event_id: 'a' }))}\n${JSON.stringify(pageView({ event_id: 'b' }))}\n`],
  ])('takes %s and answers one verdict per event, in request order', async (_shape, body) => {
    const { status, json, deps } = await send(request({ body }));
    expect(status).toBe(200);
    expect(json).toEqual({ received: 2, accepted: 2, quarantined: 0, events: [{ index: 0, event_id: 'a', status: 'accepted' }, { index: 1, event_id: 'b', status: 'accepted' }] });
    expect(deps.stream.events().map((event) => event.event_id)).toEqual(['a', 'b']);
  });

  it('takes one event object', async () => {
    const { status, json } = await send(request({ body: pageView(), headers: { 'content-type': 'text/plain;charset=UTF-8' } }));
    expect(status).toBe(200);
    expect(json?.events).toEqual([{ index: 0, event_id: 'e-1', status: 'accepted' }]);
  });

  it('adds the server-side fields: received_at, the user agent, the truncated client address; partition key session_id', async () => {
    const { deps } = await send(request({ body: [pageView(), { eventName: 'view_product', sessionId: 's-9', timestamp: NOW - 1000 }] }));
    const [canonical, camel] = deps.stream.events();
    expect(canonical).toMatchObject({ received_at: '2026-11-22T10:16:00.000Z', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0', ip_address: '203.0.113.0' });
    expect(camel).toMatchObject({ received_at: '2026-11-22T10:16:00.000Z', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0', ipAddress: '203.0.113.0' });
    expect(camel).not.toHaveProperty('user_agent');
    expect(deps.stream.written.map((record) => record.partitionKey)).toEqual(['session-1', 's-9']);
  });

  it("keeps the event's own user agent and truncates an address it carries", async () => {
    const { deps } = await send(request({ body: [pageView({ user_agent: 'Custom/1.0', ip_address: '2001:db8:abcd:12::1' })] }));
    expect(deps.stream.events()[0]).toMatchObject({ user_agent: 'Custom/1.0', ip_address: '2001:db8:abcd::' });
  });

  it('believes X-Forwarded-For only as far as the trusted proxies go', async () => {
    const headers = { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.9, 192.0.2.44' };
    const direct = await send(request({ body: [pageView()], headers }));
    expect(direct.deps.stream.events()[0]).toMatchObject({ ip_address: '203.0.113.0' });
    const behindCloudFront = await send(request({ body: [pageView()], headers }), collectorDeps({ COLLECTOR_TRUSTED_PROXY_HOPS: '1' }));
    expect(behindCloudFront.deps.stream.events()[0]).toMatchObject({ ip_address: '192.0.2.0' });
  });

  it('writes invalid events too (the archiver quarantines them) and tells why, with the consumers’ reason codes', async () => {
    const body = [pageView({ event_id: 'ok' }), { event_type: 'click', timestamp: '2026-11-22T10:15:00Z' }, pageView({ event_id: 'late', timestamp: '2026-11-22T11:00:00Z' }), 'a string', pageView({ event_id: 'bad-value', event_type: 'purchase', value: -1 })];
    const { status, json, deps } = await send(request({ body }));
    expect(status).toBe(200);
    expect(deps.stream.written).toHaveLength(5);
    expect(json).toMatchObject({ received: 5, accepted: 1, quarantined: 4 });
    expect(json?.events.map(({ status: verdict, reason, field }) => [verdict, reason, field])).toEqual([
      ['accepted', undefined, undefined],
      ['quarantined', 'missing_field', 'session_id'],
      ['quarantined', 'future_timestamp', 'timestamp'],
      ['quarantined', 'not_an_object', undefined],
      ['quarantined', 'invalid_field_value', 'value'],
    ]);
    expect(json?.events[1]?.event_id).toBe('derived:shardId-000000000000:49002');
  });

  it('decides each event as the consumers will: decideBatch on the written bytes at the same clock agrees', async () => {
    const body = [pageView(), pageView({ page_url: undefined }), pageView({ timestamp: '2026-11-12T00:00:00Z' }), pageView({ session_id: 's'.repeat(200) }), pageView({ product: { price: 'x' } }), { eventName: 'view_product', sessionId: 'c', timestamp: NOW }];
    const { json, deps } = await send(request({ body }));
    const limits = validationLimits(loadConfig({}));
    const records = deps.stream.written.map((record, index) => ({ shardId: 'shardId-000000000000', sequenceNumber: String(49_001 + index), partitionKey: record.partitionKey, data: Buffer.from(record.data), arrivalMs: NOW }));
    const decided = decideBatch(records, limits);
    const consumers = records.map((record) => decided.rejected.find((rejected) => rejected.record === record)?.rejection.reason ?? 'accepted');
    expect(json?.events.map((verdict) => verdict.reason ?? verdict.status)).toEqual(consumers);
  });

  it('reports the id the pipeline derives for an event sent without one', async () => {
    const { json } = await send(request({ body: [pageView({ event_id: undefined })] }));
    expect(json?.events[0]).toEqual({ index: 0, event_id: 'derived:shardId-000000000000:49001', status: 'accepted' });
  });

  it.each([
    ['not JSON', 400, 'invalid_json', '{"event_type":'],
    ['NDJSON without one JSON line', 400, 'invalid_json', 'nope\nnot json either\n'],
    ['invalid UTF-8', 400, 'invalid_utf8', Buffer.from([0x5b, 0xff, 0x5d])],
    ['an empty body', 400, 'empty_body', ''],
    ['an empty array', 400, 'empty_body', '[]'],
    ['a JSON number', 400, 'not_an_event', '42'],
    ['events that are not an array', 400, 'not_an_event', '{"events":{"a":1}}'],
    ['501 events', 413, 'too_many_events', JSON.stringify(Array.from({ length: 501 }, (_, index) => pageView({ event_id: `e${index}` })))],
    ['a body over 1 MiB', 413, 'body_too_large', JSON.stringify([pageView({ referrer: 'x'.repeat(1_048_600) })])],
  ])('refuses %s with %i %s and writes nothing', async (_case, status, code, body) => {
    const result = await send(request({ body }));
    expect(result.status).toBe(status);
    expect(result.json).toMatchObject({ error: code, message: expect.any(String) });
    expect(result.deps.stream.calls).toBe(0);
    expect(result.points()).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'CollectorRejectedRequests', dimensions: { Service: 'collector', Reason: code }, value: 1 })]));
  });

  it('keeps an NDJSON line that is not JSON as an event to quarantine', async () => {
    const { status, json, deps } = await send(request({ body: `${JSON.stringify(pageView())}\n{"broken":\n`, headers: { 'content-type': 'application/x-ndjson' } }));
    expect(status).toBe(200);
    expect(json?.events.map((verdict) => verdict.reason ?? verdict.status)).toEqual(['accepted', 'invalid_json']);
    expect(deps.stream.written[1]?.data).toBe('{"broken":');
  });

  it.each([
    ['application/x-www-form-urlencoded', 415],
    ['application/json; charset=latin1', 415],
    ['text/plain; charset=UTF-8', 200],
    ['application/json', 200],
  ])('Content-Type %s → %i', async (contentType, status) => {
    expect((await send(request({ body: [pageView()], headers: { 'content-type': contentType } }))).status).toBe(status);
  });

  it('answers other methods with 405 and the allowed ones', async () => {
    const { status, headers, json } = await send(request({ method: 'GET' }));
    expect(status).toBe(405);
    expect(headers.allow).toBe('POST, OPTIONS');
    expect(json?.error).toBe('method_not_allowed');
  });

  it('answers 503 with Retry-After when the stream still throttles after the retries, marking what was not written', async () => {
    const stream = new MemoryStream();
    stream.failing = (index) => index === 1;
    const { status, headers, json } = await send(request({ body: [pageView({ event_id: 'a' }), pageView({ event_id: 'b' })] }), collectorDeps({}, stream));
    expect(status).toBe(503);
    expect(headers['retry-after']).toBe('1');
    expect(json).toMatchObject({ error: 'stream_unavailable', retry_after_seconds: 1, events: [{ event_id: 'a', status: 'accepted' }, { event_id: 'b', status: 'not_written' }] });
  });

  it('answers 503 when the stream cannot be reached at all', async () => {
    const stream = new MemoryStream();
    stream.down = true;
    const { status, json } = await send(request({ body: [pageView()] }), collectorDeps({}, stream));
    expect(status).toBe(503);
    expect(json?.events).toEqual([{ index: 0, event_id: 'e-1', status: 'not_written' }]);
  });

  it('refuses an event too large for a Kinesis record before writing anything', async () => {
    const deps = collectorDeps({ COLLECTOR_MAX_BODY_BYTES: String(2 * 1_048_576) });
    const { status, json } = await send(request({ body: [pageView({ referrer: 'x'.repeat(1_048_576) })] }), deps);
    expect(status).toBe(413);
    expect(json?.error).toBe('event_too_large');
    expect(deps.stream.calls).toBe(0);
  });
});

describe('who may send', () => {
  const keyed = { COLLECTOR_REQUIRE_WRITE_KEY: 'true', COLLECTOR_WRITE_KEYS: 'wk_shop_12345=https://shop.example.com,wk_server_12345', COLLECTOR_ALLOWED_ORIGINS: 'https://shop.example.com' };

  it.each([
    ['no key', 401, 'missing_write_key', {}, ''],
    ['an unknown key', 403, 'unknown_write_key', { 'x-clickstream-write-key': 'wk_nobody_123' }, ''],
    ['a key bound to another origin', 403, 'write_key_origin_mismatch', { 'x-clickstream-write-key': 'wk_shop_12345' }, ''],
    ['the header key', 200, undefined, { 'x-clickstream-write-key': 'wk_server_12345' }, ''],
    ['HTTP Basic (Segment style)', 200, undefined, { authorization: `Basic ${Buffer.from('wk_server_12345:').toString('base64')}` }, ''],
    ['?writeKey=', 200, undefined, {}, 'writeKey=wk_server_12345'],
    ['the origin-bound key from its origin', 200, undefined, { 'x-clickstream-write-key': 'wk_shop_12345', origin: 'https://shop.example.com' }, ''],
  ])('with %s → %i', async (_case, status, code, headers, query) => {
    const result = await send(request({ body: [pageView()], headers: { 'content-type': 'application/json', ...headers }, query }), collectorDeps(keyed));
    expect(result.status).toBe(status);
    if (code) expect(result.json?.error).toBe(code);
  });

  it('takes the key from the body envelope', async () => {
    const { status } = await send(request({ body: { writeKey: 'wk_server_12345', events: [pageView()] } }), collectorDeps(keyed));
    expect(status).toBe(200);
  });

  it('is strict by default (production): no origin allowed, a key required and none configured', async () => {
    const deps = collectorDeps({ COLLECTOR_ALLOW_LOOPBACK_ORIGINS: 'false', COLLECTOR_REQUIRE_WRITE_KEY: '' });
    const fromPage = await send(request({ body: [pageView()], headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1:8080' } }), deps);
    expect(fromPage).toMatchObject({ status: 403, json: { error: 'origin_not_allowed' } });
    const fromServer = await send(request({ body: [pageView()] }), deps);
    expect(fromServer).toMatchObject({ status: 401, json: { error: 'missing_write_key', message: expect.stringContaining('COLLECTOR_WRITE_KEYS') } });
  });

  it('echoes an allowed origin with credentials (never *), and no CORS headers for others', async () => {
    const allowed = await send(request({ body: [pageView()], headers: { 'content-type': 'text/plain', origin: 'http://localhost:3000' } }));
    expect(allowed.headers).toMatchObject({ 'access-control-allow-origin': 'http://localhost:3000', 'access-control-allow-credentials': 'true', vary: 'Origin' });
    const refused = await send(request({ body: [pageView()], headers: { 'content-type': 'text/plain', origin: 'https://evil.example' } }));
    expect(refused.status).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(refused.deps.stream.calls).toBe(0);
  });

  it('answers a CORS preflight from an allowed origin, refuses others and unknown headers', async () => {
    const preflight = (origin: string, requested = 'content-type') => send(request({ method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': requested } }));
    const ok = await preflight('http://127.0.0.1:5173', 'content-type, authorization');
    expect(ok.status).toBe(204);
    expect(ok.headers).toMatchObject({ 'access-control-allow-origin': 'http://127.0.0.1:5173', 'access-control-allow-credentials': 'true', 'access-control-allow-methods': 'POST, GET, OPTIONS' });
    expect(ok.headers['access-control-allow-headers']).toContain('authorization');
    expect((await preflight('https://evil.example')).status).toBe(403);
    expect((await preflight('http://localhost:3000', 'x-custom')).status).toBe(403);
  });

  it('limits each client to its rate, answering 429 with Retry-After', async () => {
    const deps = collectorDeps({ COLLECTOR_RATE_LIMIT_PER_SECOND: '2', COLLECTOR_RATE_LIMIT_BURST: '3' });
    const statuses: number[] = [];
    for (let index = 0; index < 5; index++) statuses.push((await send(request({ body: [pageView()] }), deps)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const other = await send(request({ body: [pageView()], sourceIp: '198.51.100.1' }), deps);
    expect(other.status).toBe(200);
    const limited = await send(request({ body: [pageView()] }), deps);
    expect(limited.headers['retry-after']).toBe('1');
    const later = await send(request({ body: [pageView()], receivedAtMs: NOW + 1000 }), deps);
    expect(later.status).toBe(200);
  });
});

describe('other routes', () => {
  it('GET /v1/pixel.gif writes one event and answers a GIF', async () => {
    const { status, headers, body, deps } = await send(request({ method: 'GET', path: '/v1/pixel.gif', query: 'event_type=page_view&campaign=spring', headers: { referer: 'https://shop.example.com/about', 'user-agent': 'Mail/1.0' } }));
    expect(status).toBe(200);
    expect(headers['content-type']).toBe('image/gif');
    expect(Buffer.from(body as Uint8Array).subarray(0, 6).toString()).toBe('GIF89a');
    const [event] = deps.stream.events();
    expect(event).toMatchObject({ event_type: 'page_view', page_url: 'https://shop.example.com/about', timestamp: '2026-11-22T10:16:00.000Z', properties: { campaign: 'spring' }, ip_address: '203.0.113.0' });
    expect(event?.session_id).toMatch(/^pixel:[0-9a-f]{24}$/);
    expect(headers['x-clickstream-status']).toBe('accepted');
  });

  it('gives one pixel visitor one session a day', async () => {
    const deps = collectorDeps();
    const pixel = (receivedAtMs: number, sourceIp = '203.0.113.5') => send(request({ method: 'GET', path: '/v1/pixel.gif', query: 'page_url=/', receivedAtMs, sourceIp }), deps);
    await pixel(NOW);
    await pixel(NOW + 60_000, '203.0.113.200');
    await pixel(NOW + 86_400_000);
    const sessions = deps.stream.events().map((event) => event.session_id);
    expect(sessions[0]).toBe(sessions[1]);
    expect(sessions[2]).not.toBe(sessions[0]);
  });

  it('serves the tracker and a health check; unknown paths are 404', async () => {
    const tracker = await send(request({ method: 'GET', path: '/tracker.js' }));
    expect(tracker).toMatchObject({ status: 200, body: 'window.clickstream={}' });
    expect(tracker.headers['content-type']).toContain('javascript');
    expect((await send(request({ method: 'GET', path: '/health' }))).json).toEqual({ status: 'ok' });
    expect((await send(request({ method: 'GET', path: '/tracker.mjs' }))).status).toBe(404);
    expect((await send(request({ method: 'GET', path: '/wp-admin' }))).json?.error).toBe('not_found');
  });
});

describe('privacy at the door', () => {
  const hmacEnv = { CLIENT_ADDRESS_MODE: 'hmac', CLIENT_ADDRESS_HMAC_SECRET: 'collector-test-secret-of-32-bytes!' };

  it('does not collect events that opted out, nor any event of a request with Sec-GPC: 1; says so per event', async () => {
    const { status, json, deps, points } = await send(request({ body: [pageView({ event_id: 'a' }), pageView({ event_id: 'b', opt_out: true }), pageView({ event_id: 'c', properties: { optOut: true } })] }));
    expect(status).toBe(200);
    expect(json).toEqual({ received: 3, accepted: 1, quarantined: 0, opted_out: 2, events: [{ index: 0, event_id: 'a', status: 'accepted' }, { index: 1, event_id: 'b', status: 'opted_out' }, { index: 2, event_id: 'c', status: 'opted_out' }] });
    expect(deps.stream.events().map((event) => event.event_id)).toEqual(['a']);
    expect(points().find((point) => point.name === 'CollectorOptedOutEvents')?.value).toBe(2);

    const gpc = await send(request({ body: [pageView({ event_id: 'd' }), 'not json at all'], headers: { 'content-type': 'application/json', 'sec-gpc': '1' } }));
    expect(gpc.status).toBe(200);
    expect(gpc.json?.events.map((verdict) => verdict.status)).toEqual(['opted_out', 'opted_out']);
    expect(gpc.deps.stream.calls).toBe(0);

    const ignored = await send(request({ body: [pageView({ event_id: 'e' })], headers: { 'content-type': 'application/json', 'sec-gpc': '1' } }), collectorDeps({ COLLECTOR_HONOR_GPC: 'false' }));
    expect(ignored.deps.stream.events().map((event) => event.event_id)).toEqual(['e']);
  });

  it('HMAC mode: the client address becomes a pseudonym, stable per key, another with another key; never the address', async () => {
    const once = await send(request({ body: [pageView({ event_id: 'a' }), pageView({ event_id: 'b', ip_address: '2001:db8:abcd:12::1' })] }), collectorDeps(hmacEnv));
    const again = await send(request({ body: [pageView({ event_id: 'a' })] }), collectorDeps(hmacEnv));
    const rotated = await send(request({ body: [pageView({ event_id: 'a' })] }), collectorDeps({ ...hmacEnv, CLIENT_ADDRESS_HMAC_SECRET: 'the-rotated-secret-of-32-bytes!!' }));
    const [fromPeer, carried] = once.deps.stream.events();
    expect(fromPeer!.ip_address).toMatch(/^hmac:[0-9a-f]{8}:[\w-]{22}$/);
    expect(again.deps.stream.events()[0]!.ip_address).toBe(fromPeer!.ip_address);
    expect(rotated.deps.stream.events()[0]!.ip_address).not.toBe(fromPeer!.ip_address);
    expect(carried!.ip_address).toMatch(/^hmac:/);
    for (const record of [...once.deps.stream.written, ...again.deps.stream.written, ...rotated.deps.stream.written]) expect(record.data).not.toMatch(/203\.0\.113|2001:db8/);
  });

  it('query parameters off the allow-list never reach the stream, also in quarantined events and tracker protocols', async () => {
    const { deps } = await send(
      request({
        body: [
          pageView({ event_id: 'a', page_url: 'https://shop.example.com/p/1?utm_source=mail&email=a%40b.example', referrer: 'https://search.example/?q=secret' }),
          pageView({ event_id: 'b', page_url: 'https://shop.example.com/p/1?email=a%40b.example', timestamp: 'not a time' }),
        ],
      }),
    );
    const [kept, quarantined] = deps.stream.events();
    expect(kept).toMatchObject({ page_url: 'https://shop.example.com/p/1?utm_source=mail', referrer: 'https://search.example/' });
    expect(quarantined).toMatchObject({ page_url: 'https://shop.example.com/p/1' });

    const segment = await send(request({ path: '/v1/page', body: { anonymousId: 'anon-1', messageId: 'm-1', context: { ip: '198.51.100.7', page: { url: 'https://shop.example.com/?token=1', search: '?token=1' } }, timestamp: '2026-11-22T10:15:59.000Z' } }));
    const written = segment.deps.stream.written.map((record) => record.data).join('\n');
    expect(written).not.toMatch(/token=|198\.51\.100\.7/);
    expect(segment.deps.stream.events()[0]).toMatchObject({ ip_address: '198.51.100.0', page_url: 'https://shop.example.com/' });
  });

  it('an NDJSON line that is not JSON keeps its text for the quarantine, with addresses truncated', async () => {
    const { deps } = await send(request({ body: `${JSON.stringify(pageView({ event_id: 'a' }))}\nbroken line from 198.51.100.7\n`, headers: { 'content-type': 'application/x-ndjson' } }));
    expect(deps.stream.written[1]!.data).toBe('broken line from 198.51.100.0');
  });
});
