import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDynamoDbClient, createKinesisClient, hourLabel, minuteWindow, NAMED_QUERIES, putRecords } from '@clickstream/shared';
import { pageKey, readPageMetrics } from '../../../services/event-processor/src/contract';
import { TrafficModel } from '../../../testkit/traffic';
import { manifestClientConfig } from '../../manifest';
import type { LocalStack } from '../../stack';
import { startTestStack } from '../../testing';

/**
 * The lake on the local stack: the named queries Athena has agree with the DynamoDB aggregates on
 * the same events, the CLI prints what it says it prints, and with a data directory the archive
 * and the curated zone survive a restart.
 */
jest.setTimeout(90_000);

const run = promisify(execFile);
const repo = path.resolve(__dirname, '../../..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'clickstream-lake-data-'));
const stateDir = mkdtempSync(path.join(tmpdir(), 'clickstream-lake-state-'));
const now = Date.now();
const startOfDay = Math.floor(now / 86_400_000) * 86_400_000;
const traffic = new TrafficModel({ seed: 1601, invalidShare: 0.02 }).stream(400, Math.max(startOfDay, now - 20 * 60_000), 10);
const accepted = traffic.filter((record) => record.kind !== 'invalid');
const hours = [...new Set(accepted.map((record) => Math.floor(record.eventTimeMs / 3_600_000) * 3_600_000))];

const start = () => startTestStack({ dataDir, stateDir, writeManifest: true, services: ['archiver', 'event-processor'], settings: { archiver: { maximumBatchingWindowInSeconds: 0 } }, compactEveryMs: 0 });
const cli = async (script: string, args: string[]) => {
  const { stdout } = await run(path.join(repo, 'node_modules/.bin/tsx'), [path.join(repo, 'local', script), ...args], { cwd: repo, env: { ...process.env, CLICKSTREAM_STATE_DIR: stateDir, NODE_NO_WARNINGS: '1' }, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
};
const query = async (sql: string) => JSON.parse(await cli('query.ts', ['sql', sql, '--json'])) as Array<Record<string, unknown>>;

let stack: LocalStack;

beforeAll(async () => {
  stack = await start();
  const kinesis = createKinesisClient(manifestClientConfig(stack.manifest));
  expect((await putRecords(kinesis, stack.manifest.stream.name, traffic)).failed).toBe(0);
  kinesis.destroy();
  await stack.waitForIdle();
  for (const hourMs of hours) await stack.compactor.invoke({ hour: hourLabel(hourMs) });
});

afterAll(async () => {
  await stack?.stop();
  for (const directory of [dataDir, stateDir]) rmSync(directory, { recursive: true, force: true });
});

it('answers `npm run query -- sql … --json` with an array of row objects over the three tables', async () => {
  const rows = await query('SELECT (SELECT count(*) FROM raw_events) AS raw_lines, (SELECT count(*) FROM events) AS curated_rows, (SELECT count(*) FROM quarantine) AS quarantined');
  expect(rows).toEqual([{ raw_lines: accepted.length, curated_rows: accepted.length, quarantined: traffic.length - accepted.length }]);
});

it('runs the named queries Athena has, and page views per page and hour agree with the page-metrics table', async () => {
  const named = await cli('query.ts', ['named']);
  for (const { name } of NAMED_QUERIES) expect(named).toContain(name);
  const lake = JSON.parse(await cli('query.ts', ['named', 'page-views-by-hour', '--json'])) as Array<{ hour: string; page_path: string; page_views: number }>;

  const pageViews = accepted.filter((record) => record.eventType === 'page_view');
  const keys = [...new Set(pageViews.map((record) => `${record.pagePath}\u0000${minuteWindow(record.eventTimeMs)}`))].map((key) => pageKey(...(key.split('\u0000') as [string, string])));
  const metrics = await readPageMetrics({ client: createDynamoDbClient(manifestClientConfig(stack.manifest)), tables: stack.manifest.tables }, keys);
  const dynamo = new Map<string, number>();
  for (const [key, counts] of metrics) {
    const [page, minute] = key.split('\u0000') as [string, string];
    const label = `${minute.slice(11, 13)} ${page}`;
    dynamo.set(label, (dynamo.get(label) ?? 0) + counts.page_views);
  }
  expect(new Map(lake.map((row) => [`${row.hour} ${row.page_path}`, row.page_views]))).toEqual(dynamo);
  expect(lake.reduce((sum, row) => sum + row.page_views, 0)).toBe(pageViews.length);
});

it('reports quality per hour with curated rows equal to the accepted events, and exits 0', async () => {
  const report = JSON.parse(await cli('quality.ts', ['--json'])) as Array<{ hour: string; curated_rows: number; accepted_events: number; counts_agree: boolean; problems: string[]; quarantine_by_reason: Record<string, number> }>;
  expect(report.map((hour) => hour.hour)).toEqual(hours.map(hourLabel));
  for (const hour of report) expect(hour).toMatchObject({ counts_agree: true, problems: [] });
  expect(report.reduce((sum, hour) => sum + hour.curated_rows, 0)).toBe(accepted.length);
});

it('keeps the archive and the curated zone across a restart with --data-dir', async () => {
  await stack.stop();
  stack = await start();
  expect(await query('SELECT (SELECT count(*) FROM raw_events) AS raw_lines, (SELECT count(DISTINCT event_id) FROM events) AS curated_events')).toEqual([{ raw_lines: accepted.length, curated_events: accepted.length }]);
});
