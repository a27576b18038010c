import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { createDynamoDbClient, minuteWindow } from '@clickstream/shared';
import { launchChromium } from '../../../../local/test/support/browser';
import { manifestClientConfig } from '../../../../local/manifest';
import { startTestStack } from '../../../../local/testing';
import { archivedLinesOf } from '../../../../local/test/support/archive';
import { ALL_EVENTS_COUNTER, counterTotals, readSession } from '../../../event-processor/src/contract';

/**
 * The trackers people already run, pointed at the local collector in Debian's chromium: the real
 * `@snowplow/browser-tracker` and `@segment/analytics-next`, bundled for a shop page on another
 * origin (so CORS with credentials, and Segment's Basic-auth preflight, are exercised). Each walks
 * the funnel (page view, product view, add to cart, checkout, purchase); the events appear with
 * the right types, sessions and pages in DynamoDB and in the archive, and a payload sent again
 * counts once.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let site: Server;
let siteUrl: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;
const startedMs = Date.now();

const bundle = async (entry: string) =>
  (await build({ entryPoints: [path.join(__dirname, '../support/browser', entry)], bundle: true, write: false, format: 'iife', platform: 'browser', target: 'es2020', logLevel: 'error' })).outputFiles[0]!.text;

beforeAll(async () => {
  const [snowplow, segment] = await Promise.all([bundle('snowplow-entry.js'), bundle('segment-entry.js'), (async () => (stack = await startTestStack({ collectorPort: 0, settings: { archiver: { maximumBatchingWindowInSeconds: 1 } } })))()]);
  const scripts: Record<string, string> = { '/snowplow.js': snowplow!, '/segment.js': segment! };
  site = createServer((request, response) => {
    const script = scripts[request.url ?? ''];
    if (script !== undefined) {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><head><title>Trail boots</title><script src="/snowplow.js"></script><script src="/segment.js"></script></head><body>shop</body></html>');
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.close(resolve));
  await stack?.stop();
});

const reader = () => ({ client: createDynamoDbClient(manifestClientConfig(stack.manifest)), tables: stack.manifest.tables });

const archived = (sessionId: string) => archivedLinesOf(stack.manifest, sessionId, startedMs);

async function allEvents(): Promise<number> {
  const totals = await counterTotals(reader(), [ALL_EVENTS_COUNTER], minuteWindow(startedMs - 60_000), minuteWindow(Date.now() + 60_000));
  return [...(totals.get(ALL_EVENTS_COUNTER)?.values() ?? [])].reduce((sum, count) => sum + count, 0);
}

/**
 * Records every fetch the page's trackers make (analytics-next posts with keepalive, which the
 * browser's request events do not show): URL, body, content type and the answer's status.
 */
type Sent = { url: string; body: string; contentType: string; status: number };
async function recordFetches(page: Page): Promise<() => Promise<Sent[]>> {
  await page.addInitScript(() => {
    const scope = globalThis as unknown as { fetch: typeof fetch; __sent: Sent[] };
    const original = scope.fetch.bind(scope);
    scope.__sent = [];
    scope.fetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      // Snowplow's tracker passes a Request; analytics-next a URL and init.
      const request = input instanceof Request ? input.clone() : undefined;
      const body = typeof init?.body === 'string' ? init.body : request ? await request.text() : '';
      const contentType = new Headers(init?.headers ?? request?.headers).get('content-type') ?? '';
      const response = await original(input, init);
      scope.__sent.push({ url: request?.url ?? String(input), body, contentType, status: response.status });
      return response;
    };
  });
  return async () => (await page.evaluate(() => (globalThis as unknown as { __sent: Sent[] }).__sent)).filter((request) => request.url.startsWith(stack.manifest.collectorUrl!) && request.status === 200);
}

const waitFor = async (condition: () => Promise<boolean>, what: string, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

it('Snowplow’s browser tracker: page view and the e-commerce funnel, one session; a resent payload counts once', async () => {
  const page = await browser.context.newPage();
  const recorded = await recordFetches(page);
  await page.goto(`${siteUrl}/p/sku-1001?ref=home`);
  await page.evaluate(async (collectorUrl) => {
    const snowplow = (globalThis as unknown as { snowplow: Record<'newTracker' | 'setUserId' | 'trackPageView' | 'trackSelfDescribingEvent', (...args: unknown[]) => void> }).snowplow;
    snowplow.newTracker('sp', collectorUrl, { appId: 'shop', eventMethod: 'post', bufferSize: 1 });
    const product = { schema: 'iglu:com.snowplowanalytics.snowplow.ecommerce/product/jsonschema/1-0-0', data: { id: 'sku-1001', name: 'Trail boots', category: 'shoes', brand: 'Acme', price: 129, currency: 'USD' } };
    const transaction = { schema: 'iglu:com.snowplowanalytics.snowplow.ecommerce/transaction/jsonschema/1-0-0', data: { transaction_id: 'order-1', revenue: 129, currency: 'USD', payment_method: 'card', total_quantity: 1 } };
    const action = (type: string, context: unknown[]) => snowplow.trackSelfDescribingEvent({ event: { schema: 'iglu:com.snowplowanalytics.snowplow.ecommerce/snowplow_ecommerce_action/jsonschema/1-0-2', data: { type } }, context });
    snowplow.setUserId('user-42');
    snowplow.trackPageView();
    action('product_view', [product]);
    action('add_to_cart', [product]);
    action('checkout_step', [product]);
    action('transaction', [transaction, product]);
  }, stack.manifest.collectorUrl);
  let sent: Sent[] = [];
  await waitFor(async () => (sent = await recorded()).reduce((count, request) => count + (JSON.parse(request.body) as { data: unknown[] }).data.length, 0) >= 5, 'five Snowplow events answered 200');
  await page.close();
  const sessionId = (JSON.parse(sent[0]!.body) as { data: Array<{ sid: string }> }).data[0]!.sid;
  await stack.waitForIdle(30_000);

  expect(await readSession(reader(), sessionId)).toMatchObject({ event_count: 5, page_views: 1, converted: true, revenue: 129, user_id: 'user-42', entry_page: '/p/sku-1001' });
  const lines = await archived(sessionId);
  expect(lines.map((line) => line.event_type).sort()).toEqual(['add_to_cart', 'checkout', 'page_view', 'product_view', 'purchase']);
  expect(lines.every((line) => line.page_path === '/p/sku-1001')).toBe(true);
  expect(lines.find((line) => line.event_type === 'purchase')).toMatchObject({ value: 129, product: { id: 'sku-1001', price: 129 }, properties: { snowplow: { aid: 'shop', tv: 'js-4.10.1' } } });

  // The tracker retries what it thinks failed: the same payload again changes no count.
  const before = await allEvents();
  const resend = await fetch(sent[0]!.url, { method: 'POST', headers: { 'content-type': sent[0]!.contentType }, body: sent[0]!.body });
  expect(resend.status).toBe(200);
  await stack.waitForIdle(30_000);
  expect(await allEvents()).toBe(before);
  expect(await readSession(reader(), sessionId)).toMatchObject({ event_count: 5 });
}, 90_000);

it('Segment’s analytics-next: page, the e-commerce spec v2 funnel, one session; a resent message counts once', async () => {
  const page = await browser.context.newPage();
  const recorded = await recordFetches(page);
  await page.goto(`${siteUrl}/p/sku-1002`);
  const host = new URL(stack.manifest.collectorUrl!).host;
  await page.evaluate(async (apiHost) => {
    type Analytics = { page(): Promise<unknown>; track(event: string, properties: Record<string, unknown>): Promise<unknown> };
    const loader = (globalThis as unknown as { AnalyticsBrowser: { load(settings: unknown, options: unknown): Promise<[Analytics]> } }).AnalyticsBrowser;
    const [analytics] = await loader.load({ writeKey: 'wk_segment_1234', cdnSettings: { integrations: { 'Segment.io': { apiKey: 'wk_segment_1234', apiHost: `${apiHost}/v1`, protocol: 'http' } } } }, { metrics: { sampleRate: 0 } });
    const product = { product_id: 'sku-1002', name: 'Canvas tote', category: 'bags', brand: 'Northwind', price: 39 };
    await analytics.page();
    await analytics.track('Product Viewed', product);
    await analytics.track('Product Added', { ...product, quantity: 1 });
    await analytics.track('Checkout Started', { value: 39, products: [product] });
    await analytics.track('Order Completed', { order_id: 'order-2', revenue: 39, products: [product] });
  }, host);
  let sent: Sent[] = [];
  await waitFor(async () => (sent = await recorded()).length >= 5, 'five Segment messages answered 200');
  await page.close();
  const first = JSON.parse(sent[0]!.body) as { anonymousId: string; timestamp: string };
  const sessionId = `segment:${first.anonymousId}:${new Date().toISOString().slice(0, 10)}`;
  await stack.waitForIdle(30_000);

  expect(await readSession(reader(), sessionId)).toMatchObject({ event_count: 5, page_views: 1, converted: true, revenue: 39, entry_page: '/p/sku-1002' });
  const lines = await archived(sessionId);
  expect(lines.map((line) => line.event_type).sort()).toEqual(['add_to_cart', 'checkout', 'page_view', 'product_view', 'purchase']);
  expect(new Set(lines.map((line) => line.event_id)).size).toBe(5);
  expect(lines.find((line) => line.event_type === 'add_to_cart')).toMatchObject({ product: { id: 'sku-1002', name: 'Canvas tote', price: 39 }, properties: { quantity: 1, segment: { type: 'track', event: 'Product Added' } } });

  const before = await allEvents();
  const order = sent.find((request) => request.body.includes('Order Completed'))!;
  expect(new URL(order.url).pathname).toBe('/v1/t');
  const resend = await fetch(order.url, { method: 'POST', headers: { 'content-type': order.contentType, authorization: `Basic ${Buffer.from('wk_segment_1234:').toString('base64')}` }, body: order.body });
  expect(await resend.json()).toMatchObject({ success: true, accepted: 1 });
  await stack.waitForIdle(30_000);
  expect(await allEvents()).toBe(before);
  expect(await readSession(reader(), sessionId)).toMatchObject({ event_count: 5, revenue: 39 });
}, 90_000);
