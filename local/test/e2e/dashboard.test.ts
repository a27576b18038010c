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
 * The local dashboard in a real browser (Debian's chromium, no Playwright browser download):
 * the stack runs with demo traffic, the page fills its charts and tables from the services' EMF
 * metrics and the tables. `npm run screenshots` takes the README's screenshot from it (into
 * docs/); a plain `npm test` saves it in a temporary directory and leaves the tree unchanged.
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

it('draws every widget of the CloudWatch dashboard body, and nothing else', async () => {
  await page.goto(stack.manifest.dashboardUrl!);
  const local = (await (await fetch(`${stack.manifest.dashboardUrl}api/dashboard`)).json()) as LocalDashboard;
  const cloudWatch = JSON.parse(cloudWatchDashboardBody(DASHBOARD, dashboardNames(stack.names), LOCAL_REGION)) as { widgets: Array<{ properties: { title: string; metrics: unknown[][] } }> };

  await page.waitForSelector('[data-widget-id]');
  const rendered = await page.$$eval('[data-widget-id] h3', (titles) => titles.map((title) => title.textContent));
  expect(rendered).toEqual(cloudWatch.widgets.map((widget) => widget.properties.title));
  expect(local.widgets.map((widget) => widget.title)).toEqual(rendered);
  cloudWatch.widgets.forEach((widget, index) => {
    const mine = local.widgets[index]!;
    const metrics = mine.search ? [[{ expression: mine.search.expression, id: 'e1', label: '', region: LOCAL_REGION }]] : mine.metrics;
    expect(metrics).toEqual(widget.properties.metrics);
  });
});

it('fills charts and tables with live data and saves the README screenshot', async () => {
  await page.goto(stack.manifest.dashboardUrl!);
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
    page.waitForSelector('#funnel-chart[data-has-data="true"]', { timeout: 45_000 }),
    page.waitForSelector('#active-sessions-count[data-value]:not([data-value="0"])', { timeout: 45_000 }),
    page.waitForSelector('#top-pages tbody td.num', { timeout: 45_000 }),
    page.waitForSelector('#alerts tbody .severity', { timeout: 45_000 }),
  ]);

  const pageViews = await page.$eval('#funnel tr[data-step="page_view"] td.num', (cell) => Number(cell.textContent?.replace(/,/g, '')));
  expect(pageViews).toBeGreaterThan(0);
  const topPage = await page.$eval('#top-pages tbody tr td:nth-child(2)', (cell) => cell.textContent);
  expect(topPage).toMatch(/^\//);
  expect(await page.$$('[data-widget-id] .uplot')).not.toHaveLength(0);

  // The range selector switches without a reload: the 5 min button becomes the pressed one.
  await page.click('#ranges button[data-minutes="5"]');
  await page.waitForSelector('#ranges button[data-minutes="5"][aria-pressed="true"]');
  await page.waitForSelector('[data-widget-id="events-by-type"] .period:text("per 10 s")');

  const screenshots = process.env.CLICKSTREAM_SCREENSHOT_DIR === undefined ? mkdtempSync(path.join(tmpdir(), 'clickstream-screens-')) : path.resolve(root, process.env.CLICKSTREAM_SCREENSHOT_DIR);
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, 'dashboard.png'), fullPage: true });
}, 60_000);
