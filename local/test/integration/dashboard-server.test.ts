import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { resourceNames, type EmfDatapoint } from '@clickstream/shared';
import type { LocalDashboard } from '../../dashboard/definition';
import { startDashboardServer, type DashboardServer, type MetricsResponse } from '../../dashboard/server';

/** The dashboard server's HTTP contract, with telemetry datapoints given directly (no emulators). */
const names = resourceNames('clickstream-analytics', 'dev');
const points: EmfDatapoint[] = [];
let server: DashboardServer;

beforeAll(async () => {
  server = await startDashboardServer({
    port: 0,
    telemetry: { datapoints: ({ sinceMs } = {}) => points.filter((point) => sinceMs === undefined || point.timestampMs >= sinceMs) },
    names,
    dynamodb: {} as DynamoDBDocumentClient,
  });
});

afterAll(() => server.close());

const get = async (path: string) => {
  const response = await fetch(new URL(path, server.url));
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
};

it('listens on 127.0.0.1 and serves the page and uPlot from node_modules', async () => {
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  const page = await get('/');
  expect(page.status).toBe(200);
  expect(page.body).toContain('/vendor/uPlot.iife.min.js');
  const uplot = await get('/vendor/uPlot.iife.min.js');
  expect(uplot.status).toBe(200);
  expect(uplot.body).toContain('uPlot');
  expect((await get('/vendor/uPlot.min.css')).type).toMatch(/text\/css/);
  expect((await get('/app.js')).type).toMatch(/javascript/);
});

it('answers only Host 127.0.0.1:<port> and localhost:<port> (no DNS rebinding)', async () => {
  const { request } = await import('node:http');
  const status = (host: string) =>
    new Promise<number>((resolve, reject) => {
      const url = new URL(server.url);
      request({ host: url.hostname, port: url.port, path: '/api/dashboard', headers: { host } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
  const port = new URL(server.url).port;
  expect(await status(`127.0.0.1:${port}`)).toBe(200);
  expect(await status(`localhost:${port}`)).toBe(200);
  expect(await status(`attacker.example:${port}`)).toBe(403);
  expect(await status('127.0.0.1')).toBe(403);
});

it('resolves search widgets against the datapoints dimensions, bucketed per period', async () => {
  const now = Date.now();
  points.push(
    { namespace: 'Clickstream', name: 'AnomaliesDetected', unit: 'Count', value: 2, dimensions: { Service: 'anomaly-detector', Rule: 'bot_user_agent' }, timestampMs: now - 15_000 },
    { namespace: 'Clickstream', name: 'AnomaliesDetected', unit: 'Count', value: 1, dimensions: { Service: 'anomaly-detector', Rule: 'session_rate' }, timestampMs: now - 15_000 },
    // In the 10 s bucket still filling: left out until it is complete.
    { namespace: 'Clickstream', name: 'AnomaliesDetected', unit: 'Count', value: 5, dimensions: { Service: 'anomaly-detector', Rule: 'session_rate' }, timestampMs: now + 10 },
  );
  const response = await get('/api/metrics?minutes=5&widget=anomalies-by-rule');
  expect(response.status).toBe(200);
  const metrics = JSON.parse(response.body) as MetricsResponse;
  expect(metrics.periodSeconds).toBe(10);
  const data = metrics.widgets['anomalies-by-rule']!;
  expect(data.series.map((series) => series.label)).toEqual(['bot_user_agent', 'session_rate']);
  expect(data.series.map((series) => series.values.reduce<number>((total, value) => total + (value ?? 0), 0))).toEqual([2, 1]);
  expect(data.timestamps.length).toBe(30);
  // The last bucket drawn is complete: it ends where the response says the data ends, before now.
  expect(data.timestamps.at(-1)! * 1000 + 10_000).toBe(metrics.toMs + 1);
  expect(metrics.toMs).toBeLessThan(Date.now());
});

it('serves the definition with local names', async () => {
  const dashboard = JSON.parse((await get('/api/dashboard')).body) as LocalDashboard;
  expect(dashboard.rangesMinutes).toEqual([5, 15, 60]);
  expect(JSON.stringify(dashboard)).toContain(names.functions['event-processor']);
});

it.each([
  ['/api/metrics?minutes=7', 400, /minutes must be one of 5, 15, 60/],
  ['/api/metrics?minutes=5&period=0', 400, /period/],
  ['/api/metrics?widget=nope', 400, /no widget "nope"/],
  ['/api/business?minutes=abc', 400, /minutes/],
  ['/nope', 404, /not found/],
])('%s answers %d with a reason', async (path, status, reason) => {
  const response = await get(path);
  expect(response.status).toBe(status);
  expect(JSON.parse(response.body).error).toMatch(reason);
});
