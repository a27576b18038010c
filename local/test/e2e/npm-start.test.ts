import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { httpHandler, sleep } from '@clickstream/shared';
import { awsCli } from '../../testing';
import type { LocalManifest, LocalStack } from '../../stack';

/**
 * What a newcomer does: start the stack with `npm start`, send one event with the real AWS CLI v2,
 * and see it in all three tables.
 */
const root = path.resolve(__dirname, '../../..');
let child: ChildProcess;
let manifest: LocalManifest;
let output = '';
let readyMs = 0;

beforeAll(async () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'clickstream-e2e-'));
  const started = Date.now();
  child = spawn(process.execPath, ['--import', 'tsx', 'local/cli.ts', '--state-dir', stateDir, '--kinesis-port', '0', '--dynamodb-port', '0', '--aws-port', '0', '--dashboard-port', '0', '--collector-port', '0'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start was not ready in 30 s:\n${output}`)), 30_000);
    const check = setInterval(() => {
      if (output.includes('Press Ctrl-C to stop.') && existsSync(path.join(stateDir, 'local.json'))) {
        clearInterval(check);
        clearTimeout(timer);
        resolve();
      }
    }, 50);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  readyMs = Date.now() - started;
  manifest = JSON.parse(readFileSync(path.join(stateDir, 'local.json'), 'utf8')) as LocalManifest;
}, 40_000);

afterAll(async () => {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await exited;
});

const stack = () => ({ manifest }) as LocalStack;

async function getItem(table: string, key: Record<string, { S: string }>): Promise<Record<string, unknown> | undefined> {
  const out = await awsCli(stack(), ['dynamodb', 'get-item', '--table-name', table, '--key', JSON.stringify(key), '--consistent-read'], manifest.endpoints.dynamodb);
  return out.trim() === '' ? undefined : (JSON.parse(out) as { Item?: Record<string, unknown> }).Item;
}

it('prints a banner with the endpoints and a copy-pastable put-record command', () => {
  expect(output).toContain('Clickstream Analytics local stack is ready');
  expect(output).toContain(manifest.endpoints.kinesis);
  expect(output).toContain('--cli-binary-format raw-in-base64-out');
  expect(manifest.tables.pageMetrics).toBe('clickstream-analytics-dev-page-metrics');
  expect(manifest.collectorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(manifest.trackerUrl).toBe(`${manifest.collectorUrl}/tracker.js`);
  expect(output).toContain(`Collector   ${manifest.collectorUrl}`);
  process.stdout.write(`npm start ready in ${readyMs} ms\n`);
});

it('shows a put-record from the AWS CLI in page-metrics, session-metrics and counters', async () => {
  const now = new Date();
  const windowStart = now.toISOString().slice(0, 16);
  const event = {
    event_id: `e2e-${now.getTime()}`,
    event_type: 'page_view',
    session_id: 'e2e-session',
    timestamp: now.toISOString(),
    page_url: 'https://shop.example.com/products/42?utm_source=e2e',
    country: 'US',
    device_type: 'mobile',
  };
  const put = JSON.parse(
    await awsCli(
      stack(),
      ['kinesis', 'put-record', '--stream-name', manifest.stream.name, '--partition-key', event.session_id, '--cli-binary-format', 'raw-in-base64-out', '--data', JSON.stringify(event)],
      manifest.endpoints.kinesis,
    ),
  ) as { SequenceNumber: string; ShardId: string };
  const sentAt = Date.now();
  expect(put.SequenceNumber).toMatch(/^\d+$/);

  const keys = {
    page: [manifest.tables.pageMetrics, { page_url: { S: '/products/42' }, window_start: { S: windowStart } }],
    session: [manifest.tables.sessionMetrics, { session_id: { S: 'e2e-session' } }],
    counter: [manifest.tables.counters, { metric_name: { S: 'events#page_view' }, window_start: { S: windowStart } }],
  } as const;
  // Watch for the items with a fast SDK client (an AWS CLI call alone takes most of a second),
  // then read them back with the CLI.
  const dynamodb = new DynamoDBClient({ region: manifest.region, endpoint: manifest.endpoints.dynamodb, credentials: manifest.credentials, requestHandler: httpHandler() });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = await Promise.all(Object.values(keys).map(([TableName, Key]) => dynamodb.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }))));
    if (found.every((result) => result.Item !== undefined) || Date.now() > deadline) break;
    await sleep(20);
  }
  process.stdout.write(`put-record visible in all three tables ${Date.now() - sentAt} ms after the AWS CLI returned\n`);
  const [page, session, counter] = await Promise.all(Object.values(keys).map(([table, key]) => getItem(table, key)));

  expect(page).toMatchObject({ page_views: { N: '1' }, events: { N: '1' } });
  expect(session).toMatchObject({ event_count: { N: '1' }, entry_page: { S: '/products/42' }, is_bounce: { BOOL: true }, country: { S: 'US' } });
  expect(counter).toMatchObject({ count: { N: '1' } });
}, 30_000);
