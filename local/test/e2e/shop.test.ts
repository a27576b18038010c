import type { Page } from 'playwright-core';
import { createDynamoDbClient, createLogger, minuteWindow } from '@clickstream/shared';
import { archivedLinesOf } from '../support/archive';
import { ALL_EVENTS_COUNTER, counterName, counterTotals, readSession } from '../../../services/event-processor/src/contract';
import { startLocalCollector, type CollectorServer } from '../../collector';
import { manifestClientConfig } from '../../manifest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../stack';
import { startTestStack } from '../../testing';
import { launchChromium } from '../support/browser';

/**
 * The front door end to end, in Debian's chromium: the sample shop served by the local collector,
 * its tracker, the stream and all three services. A shopper browses (SPA route changes), views a
 * product, adds it to the cart, checks out and buys; then a shopper clicks while the collector is
 * down, and every event arrives once it is back. A shopper who opts out, or whose browser sends
 * Global Privacy Control, sends nothing at all.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let collector: CollectorServer;
let browser: Awaited<ReturnType<typeof launchChromium>>;
const startedMs = Date.now();

const startCollector = (port: number) =>
  startLocalCollector({
    port,
    project: stack.manifest.project,
    environment: stack.manifest.environment,
    names: stack.names,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    kinesisEndpoint: stack.manifest.endpoints.kinesis,
    logLevel: 'warn',
    logger: createLogger({ service: 'collector', level: 'warn', destination: stack.telemetry.sink(stack.names.collectorFunction) }),
    emfWriter: stack.telemetry.sink(stack.names.collectorFunction).emfWriter,
  });

beforeAll(async () => {
  // The archiver's 10 s batching window would only make the test wait.
  stack = await startTestStack({ settings: { archiver: { maximumBatchingWindowInSeconds: 1 } } });
  collector = await startCollector(0);
  browser = await launchChromium();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await collector?.close();
  await stack?.stop();
});

const reader = () => ({ client: createDynamoDbClient(manifestClientConfig(stack.manifest)), tables: stack.manifest.tables });

const archivedLines = (sessionId: string) => archivedLinesOf(stack.manifest, sessionId, startedMs);

/** Waits until the tracker has nothing queued (every event acknowledged by the collector). */
const drained = (page: Page, timeout = 20_000) => page.waitForFunction(() => (globalThis as unknown as { clickstream: { queued: number } }).clickstream.queued === 0, undefined, { timeout });
const sessionOf = (page: Page) => page.evaluate(() => (globalThis as unknown as { clickstream: { sessionId: string } }).clickstream.sessionId);

it('a shopper’s funnel through the sample shop lands in the counters, one session item and the archive', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${collector.url}/demo/`);
  await page.click('a[data-product="sku-1001"]');
  await page.waitForSelector('#add-to-cart');
  expect(new URL(page.url()).pathname).toBe('/demo/products/sku-1001');
  await page.click('#add-to-cart');
  await page.waitForSelector('#checkout');
  await page.click('#checkout');
  await page.waitForSelector('#purchase');
  await page.click('#purchase');
  await page.waitForSelector('#thank-you');
  await drained(page);
  const sessionId = await sessionOf(page);
  await page.close();
  await stack.waitForIdle(30_000);

  // 5 page views (home, product, cart, checkout, thank-you: one full load, four SPA routes) and the funnel's 4 events.
  const session = await readSession(reader(), sessionId);
  expect(session).toMatchObject({ event_count: 9, page_views: 5, converted: true, revenue: 129, entry_page: '/demo/', exit_page: '/demo/thank-you', is_bounce: false, device_type: 'desktop' });
  const minutes = [minuteWindow(startedMs), minuteWindow(Date.now())];
  const counts = await counterTotals(reader(), [ALL_EVENTS_COUNTER, counterName('page_view'), counterName('product_view'), counterName('add_to_cart'), counterName('checkout'), counterName('purchase')], minutes[0]!, minutes[1]!);
  const total = (name: string) => [...(counts.get(name)?.values() ?? [])].reduce((sum, count) => sum + count, 0);
  expect([ALL_EVENTS_COUNTER, 'page_view', 'product_view', 'add_to_cart', 'checkout', 'purchase'].map((name) => total(name === ALL_EVENTS_COUNTER ? name : counterName(name)))).toEqual([9, 5, 1, 1, 1, 1]);

  const lines = await archivedLines(sessionId);
  expect(lines.map((line) => line.event_type).sort()).toEqual(['add_to_cart', 'checkout', 'page_view', 'page_view', 'page_view', 'page_view', 'page_view', 'product_view', 'purchase']);
  expect(new Set(lines.map((line) => line.event_id)).size).toBe(9);
  const purchase = lines.find((line) => line.event_type === 'purchase')!;
  expect(purchase).toMatchObject({ value: 129, product: { id: 'sku-1001', price: 129 }, properties: { items: 1, order_id: expect.stringMatching(/^order-/) }, page_path: '/demo/checkout', ip_address: '127.0.0.0' });
}, 60_000);

it('the offline path: clicks while the collector is down are kept and arrive once when it is back', async () => {
  // Another shopper: a browser profile of their own.
  const shopper = await launchChromium();
  const page = await shopper.context.newPage();
  await page.goto(`${collector.url}/demo/`);
  await drained(page);
  const sessionId = await sessionOf(page);

  const port = collector.port;
  await collector.close();
  await page.click('a[data-product="sku-1002"]');
  await page.waitForSelector('#add-to-cart');
  await page.click('#add-to-cart');
  await page.waitForSelector('#checkout');
  // product page view, product_view, add_to_cart, cart page view: queued and kept in localStorage.
  await page.waitForFunction(() => (globalThis as unknown as { clickstream: { queued: number } }).clickstream.queued === 4);
  await page.waitForTimeout(1500);
  const stored = await page.evaluate(() => JSON.parse((globalThis as unknown as { localStorage: { getItem(key: string): string | null } }).localStorage.getItem('clickstream:queue') ?? '[]').length as number);
  expect(stored).toBe(4);

  collector = await startCollector(port);
  await drained(page, 30_000);
  await shopper.close();
  await stack.waitForIdle(30_000);

  const session = await readSession(reader(), sessionId);
  expect(session).toMatchObject({ event_count: 5, page_views: 3 });
  const lines = await archivedLines(sessionId);
  expect(lines).toHaveLength(5);
  expect(new Set(lines.map((line) => line.event_id)).size).toBe(5);
  expect(lines.map((line) => line.event_type).sort()).toEqual(['add_to_cart', 'page_view', 'page_view', 'page_view', 'product_view']);
}, 60_000);

it('consent: the tracker sends nothing after optOut() (remembered across pages) or under Global Privacy Control', async () => {
  const shopper = await launchChromium();
  try {
    const sent: string[] = [];
    shopper.context.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/v1/')) sent.push(request.url());
    });

    // Tracking works on this profile, then the shopper opts out.
    const page = await shopper.context.newPage();
    await page.goto(`${collector.url}/demo/`);
    await drained(page);
    const before = sent.length;
    expect(before).toBeGreaterThan(0);
    await page.evaluate(() => (globalThis as unknown as { clickstream: { optOut(): void } }).clickstream.optOut());
    await page.click('a[data-product="sku-1002"]');
    await page.waitForSelector('#add-to-cart');
    await page.reload();
    await page.evaluate(async () => {
      const clickstream = (globalThis as unknown as { clickstream: { track(type: string): void; flush(): Promise<void> } }).clickstream;
      clickstream.track('click');
      await clickstream.flush();
    });
    expect(await page.evaluate(() => (globalThis as unknown as { clickstream: { optedOut: boolean; queued: number } }).clickstream.optedOut)).toBe(true);
    expect(sent.length).toBe(before);
    await page.close();

    // A browser with Global Privacy Control on: not one request, from the first page on.
    const gpcShopper = await launchChromium();
    try {
      const gpcSent: string[] = [];
      gpcShopper.context.on('request', (request) => {
        if (new URL(request.url()).pathname.startsWith('/v1/')) gpcSent.push(request.url());
      });
      await gpcShopper.context.addInitScript(() => Object.defineProperty((globalThis as unknown as { Navigator: { prototype: object } }).Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true }));
      const gpc = await gpcShopper.context.newPage();
      await gpc.goto(`${collector.url}/demo/`);
      await gpc.click('a[data-product="sku-1002"]');
      await gpc.waitForSelector('#add-to-cart');
      await gpc.evaluate(async () => {
        const clickstream = (globalThis as unknown as { clickstream: { track(type: string): void; flush(): Promise<void> } }).clickstream;
        clickstream.track('click');
        await clickstream.flush();
      });
      expect(await gpc.evaluate(() => (globalThis as unknown as { clickstream: { queued: number } }).clickstream.queued)).toBe(0);
      expect(gpcSent).toEqual([]);
    } finally {
      await gpcShopper.close();
    }
  } finally {
    await shopper.close();
  }
}, 60_000);
