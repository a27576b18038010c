import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { cloudWatchDashboardBody, DASHBOARD, httpHandler } from '@clickstream/shared';
import { dashboardNames, type LocalDashboard } from '../../dashboard/definition';
import { DemoTraffic } from '../../demo';
import { LOCAL_REGION } from '../../stack';
import { startTestStack } from '../../testing';

/**
 * The local dashboard in a real browser (Debian's chromium, no Playwright browser download) at a
 * desktop (1440×900) and a phone (390×844) viewport: the stack runs with demo traffic, the page
 * fills its charts and tables from the services' EMF metrics and the tables. `npm run
 * screenshots` takes the README's two screenshots from it (into docs/); a plain `npm test` saves
 * them in a temporary directory and leaves the tree unchanged.
 */
jest.setTimeout(30_000);
const root = path.resolve(__dirname, '../../..');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let stack: Awaited<ReturnType<typeof startTestStack>>;
let demo: DemoTraffic;
let browser: BrowserContext;
let page: Page;
let userDataDir: string;
const consoleErrors: string[] = [];

beforeAll(async () => {
  stack = await startTestStack({ dashboardPort: 0 });
  const kinesis = new KinesisClient({ region: stack.manifest.region, endpoint: stack.manifest.endpoints.kinesis, credentials: stack.manifest.credentials, requestHandler: httpHandler() });
  // More bots and invalid records than `npm start -- --demo`, so every view has something to show.
  demo = new DemoTraffic(kinesis, stack.manifest.stream.name, 100, { botShare: 0.05, invalidShare: 0.05, seed: 7 });
  demo.start(250);
  userDataDir = mkdtempSync(path.join(tmpdir(), 'clickstream-chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1440, height: 900 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
}, 30_000);

afterAll(async () => {
  demo?.stop();
  await browser?.close();
  await stack?.stop();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

it('is served on the manifest dashboardUrl', () => {
  expect(stack.manifest.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
});

const screenshots = () => {
  const dir = process.env.CLICKSTREAM_SCREENSHOT_DIR === undefined ? mkdtempSync(path.join(tmpdir(), 'clickstream-screens-')) : path.resolve(root, process.env.CLICKSTREAM_SCREENSHOT_DIR);
  mkdirSync(dir, { recursive: true });
  return dir;
};

/** Waits until the charts and tables have live data (the demo traffic's bots raise alerts). */
async function withLiveData(): Promise<void> {
  const withData = (widgetId: string) => page.waitForSelector(`[data-widget-id="${widgetId}"] .chart[data-has-data="true"]`, { timeout: 45_000 });
  const withPoints = (widgetId: string) => page.waitForSelector(`[data-widget-id="${widgetId}"] .chart[data-has-points="true"]`, { timeout: 45_000 });
  await Promise.all([
    withData('events-by-type'),
    withData('invalid-records'),
    withData('quarantined-records'),
    withData('anomalies-by-rule'),
    withData('lambda-duration'),
    withPoints('lambda-iterator-age'),
    withPoints('lambda-errors'),
    page.waitForSelector('#funnel[data-has-data="true"]', { timeout: 45_000 }),
    page.waitForSelector('#active-sessions-count[data-value]:not([data-value="0"])', { timeout: 45_000 }),
    page.waitForSelector('#top-pages tbody td.num', { timeout: 45_000 }),
    page.waitForSelector('#alerts tbody .severity', { timeout: 45_000 }),
  ]);
}

/** How far the page is wider than the viewport (0: no sideways scrolling). */
const horizontalOverflow = () => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');

/**
 * Words of the cells matching `selector` that the layout split across two lines (run in the
 * page; the repo's TypeScript has no DOM types, so it is written as the page's JavaScript).
 */
const wordsBrokenAcrossLines = (selector: string) =>
  page.evaluate<string[]>(`(() => {
    const broken = [];
    for (const cell of document.querySelectorAll(${JSON.stringify(selector)})) {
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
        for (const match of node.textContent.matchAll(/\\S+/g)) {
          const range = document.createRange();
          range.setStart(node, match.index);
          range.setEnd(node, match.index + match[0].length);
          const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
          if (lines.size > 1) broken.push(match[0]);
        }
      }
    }
    return broken;
  })()`);

it('draws every widget of the CloudWatch dashboard body, each as a chart or, when only AWS emits it, in one line that says why', async () => {
  await page.goto(stack.manifest.dashboardUrl!);
  const local = (await (await fetch(`${stack.manifest.dashboardUrl}api/dashboard`)).json()) as LocalDashboard;
  const cloudWatch = JSON.parse(cloudWatchDashboardBody(DASHBOARD, dashboardNames(stack.names), LOCAL_REGION)) as { widgets: Array<{ properties: { title: string; metrics: unknown[][] } }> };

  await page.waitForSelector('.widget[data-widget-id]');
  const charts = await page.$$eval('.widget[data-widget-id] h3', (titles) => titles.map((title) => title.textContent));
  const awsOnly = await page.$$eval('#aws-only [data-aws-only]', (names) => names.map((name) => name.textContent));
  expect(local.widgets.map((widget) => widget.title)).toEqual(cloudWatch.widgets.map((widget) => widget.properties.title));
  expect(charts).toEqual(local.widgets.filter((widget) => widget.localNote === undefined).map((widget) => widget.title));
  expect(awsOnly).toEqual(local.widgets.filter((widget) => widget.localNote !== undefined).map((widget) => widget.title));
  expect(awsOnly).toEqual(expect.arrayContaining(['Lambda throttles']));
  expect(await page.textContent('#aws-only')).toContain('never throttles');
  cloudWatch.widgets.forEach((widget, index) => {
    const mine = local.widgets[index]!;
    const metrics = mine.search ? [[{ expression: mine.search.expression, id: 'e1', label: '', region: LOCAL_REGION }]] : mine.metrics;
    expect(metrics).toEqual(widget.properties.metrics);
  });
  // Subtitles say what the values are; the metric expression waits behind a toggle.
  const eventsCard = page.locator('.widget[data-widget-id="events-by-type"]');
  expect(await eventsCard.locator('.meta').textContent()).toMatch(/^events per \d+ s, stacked$/);
  expect(await eventsCard.locator('details.expression code').isVisible()).toBe(false);
  expect(await eventsCard.locator('details.expression code').textContent()).toContain('SEARCH(');
});

it('at 1440×900: live charts ending at the last complete bucket, a funnel with step conversion, an alerts table without mid-word wraps, the range in the URL', async () => {
  await page.goto(`${stack.manifest.dashboardUrl}?minutes=5`);
  await page.waitForSelector('#ranges button[data-minutes="5"][aria-pressed="true"]');
  await withLiveData();

  const steps = await page.$$eval('#funnel li[data-step]', (items) => items.map((item) => ({ step: item.getAttribute('data-step'), count: Number(item.querySelector('.count')?.textContent?.replace(/,/g, '')), conversion: item.querySelector('.conversion')?.textContent ?? '' })));
  expect(steps.map((step) => step.step)).toEqual(['page_view', 'product_view', 'add_to_cart', 'checkout', 'purchase']);
  expect(steps[0]!.count).toBeGreaterThan(0);
  for (const step of steps.slice(1)) expect(step.conversion).toMatch(/^(\d+(\.\d)?%|–) of previous$/);
  expect(await page.textContent('#funnel-overall')).toMatch(/^Overall conversion (\d+(\.\d)?%|–) \(purchases per page view\)$/);
  const topPage = await page.$eval('#top-pages tbody tr td:nth-child(2)', (cell) => cell.textContent);
  expect(topPage).toMatch(/^\//);
  expect(await page.$$('[data-widget-id] .uplot')).not.toHaveLength(0);

  expect(await wordsBrokenAcrossLines('#alerts tbody td')).toEqual([]);
  expect(await wordsBrokenAcrossLines('#active-sessions tbody td, #top-pages tbody td')).toEqual([]);
  expect(await horizontalOverflow()).toBeLessThanOrEqual(0);
  // Legends show the latest values and 24-hour times, not "–" until hovered.
  const legend = await page.$$eval('[data-widget-id="events-by-type"] .u-legend .u-value', (values) => values.map((value) => value.textContent));
  expect(legend[0]).toBe('latest');
  expect(legend.slice(1).some((value) => /^\d/.test(value ?? ''))).toBe(true);
  await page.locator('[data-widget-id="events-by-type"] .u-over').scrollIntoViewIfNeeded();
  const box = (await page.locator('[data-widget-id="events-by-type"] .u-over').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  expect(await page.textContent('[data-widget-id="events-by-type"] .u-legend .u-series:first-child .u-value')).toMatch(/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/);

  // The range switches without a reload and is kept in the URL.
  await page.click('#ranges button[data-minutes="15"]');
  await page.waitForSelector('#ranges button[data-minutes="15"][aria-pressed="true"]');
  await page.waitForSelector('[data-widget-id="events-by-type"] .unit:text("events per 30 s, stacked")');
  expect(new URL(page.url()).searchParams.get('minutes')).toBe('15');
  await page.goBack().catch(() => undefined);
  await page.goto(`${stack.manifest.dashboardUrl}?minutes=5`);
  await withLiveData();
  await page.mouse.move(0, 0);
  await page.screenshot({ path: path.join(screenshots(), 'dashboard.png'), fullPage: true });
  expect(consoleErrors).toEqual([]);
}, 90_000);

it('at 390×844 (a phone): no sideways scrolling, tables scroll inside their cards, alert details stay in theirs', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${stack.manifest.dashboardUrl}?minutes=5`);
  await withLiveData();

  expect(await horizontalOverflow()).toBeLessThanOrEqual(0);
  await page.click('#alerts tbody details summary');
  expect(await horizontalOverflow()).toBeLessThanOrEqual(0);
  const spill = await page.evaluate<number[]>(`(() => {
    const card = document.querySelector('#alerts').getBoundingClientRect();
    return [...document.querySelectorAll('#alerts .table-wrap, #alerts details')].map((part) => part.getBoundingClientRect().right - card.right);
  })()`);
  for (const pixels of spill) expect(pixels).toBeLessThanOrEqual(0);
  expect(await wordsBrokenAcrossLines('#alerts tbody td.time, #alerts tbody td.rule, #alerts tbody td.num, #funnel li')).toEqual([]);
  await page.click('#alerts tbody details summary');
  await page.screenshot({ path: path.join(screenshots(), 'dashboard-phone.png'), fullPage: true });
  expect(consoleErrors).toEqual([]);
}, 60_000);
