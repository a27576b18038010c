import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient, httpHandler, sleep } from '@clickstream/shared';
import { probeAwsCli, type AwsCli } from '../../aws-cli';
import { manifestClientConfig } from '../../manifest';
import { awsCli, findAwsCliV2 } from '../../testing';
import type { LocalManifest, LocalStack } from '../../stack';

/**
 * What a newcomer does: `npm start` (through npm, as the README says), send events with the AWS
 * CLI the banner names and with `npm run send`, read the logs, then stop it with SIGTERM and find
 * every command saying the stack is gone; restart with other shards; reset.
 */
jest.setTimeout(30_000);
const root = path.resolve(__dirname, '../../..');
const execFileAsync = promisify(execFile);
const stateDir = mkdtempSync(path.join(tmpdir(), 'clickstream-e2e-'));
const dataDir = path.join(stateDir, 'data');
const ports = ['--kinesis-port', '0', '--dynamodb-port', '0', '--aws-port', '0', '--dashboard-port', '0', '--collector-port', '0'];
let child: ChildProcess;
let childOutput: () => string;
let manifest: LocalManifest;
let output = '';
let readyMs = 0;

/** npm itself (the one running `npm test`, else the one on PATH), so signals take the real path. */
function npm(args: string[]): ChildProcess {
  const npmCli = process.env.npm_execpath;
  const [command, prefix] = npmCli !== undefined && npmCli.endsWith('.js') ? [process.execPath, [npmCli]] : ['npm', []];
  return spawn(command, [...prefix, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs one of the local commands as `npm run <name>` runs it (`node --import tsx local/<file>`). */
async function command(file: string, args: string[], options: { input?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ['--import', 'tsx', `local/${file}`, ...args], { cwd: root, env: { ...process.env, NODE_NO_WARNINGS: '1' }, maxBuffer: 16 * 1024 * 1024, ...options });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function collect(process: ChildProcess): () => string {
  let text = '';
  process.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  process.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

function exited(process: ChildProcess): Promise<number | null> {
  return process.exitCode !== null ? Promise.resolve(process.exitCode) : new Promise((resolve) => process.once('exit', (code) => resolve(code)));
}

beforeAll(async () => {
  const started = Date.now();
  child = npm(['start', '--silent', '--', '--state-dir', stateDir, '--data-dir', dataDir, ...ports]);
  const read = (childOutput = collect(child));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start was not ready in 30 s:\n${read()}`)), 30_000);
    const check = setInterval(() => {
      output = read();
      if (output.includes('Press Ctrl-C to stop.') && existsSync(path.join(stateDir, 'local.json'))) {
        clearInterval(check);
        clearTimeout(timer);
        resolve();
      }
    }, 50);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${read()}`)));
  });
  readyMs = Date.now() - started;
  manifest = JSON.parse(readFileSync(path.join(stateDir, 'local.json'), 'utf8')) as LocalManifest;
}, 40_000);

afterAll(async () => {
  if (child.exitCode !== null) return;
  const done = exited(child);
  child.kill('SIGINT');
  await done;
});

const stack = () => ({ manifest }) as LocalStack;

async function getItem(table: string, key: Record<string, { S: string }>): Promise<Record<string, unknown> | undefined> {
  const out = await awsCli(stack(), ['dynamodb', 'get-item', '--table-name', table, '--key', JSON.stringify(key), '--consistent-read'], manifest.endpoints.dynamodb);
  return out.trim() === '' ? undefined : (JSON.parse(out) as { Item?: Record<string, unknown> }).Item;
}

/** The bytes Kinesis holds for one record, as the consumers will read them. */
async function storedData(shardId: string, sequenceNumber: string): Promise<string> {
  const kinesis = createKinesisClient(manifestClientConfig(manifest));
  try {
    const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: manifest.stream.name, ShardId: shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: sequenceNumber }));
    const { Records = [] } = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 1 }));
    return Buffer.from(Records[0]!.Data!).toString('utf8');
  } finally {
    kinesis.destroy();
  }
}

/** Every AWS CLI on this machine: the one on PATH and Debian's v2, each with its version. */
async function installedClis(): Promise<AwsCli[]> {
  const found = await Promise.all(['aws', '/usr/bin/aws', '/usr/local/bin/aws'].map((candidate) => probeAwsCli(candidate)));
  const byVersion = new Map<string, AwsCli>();
  for (const cli of found) if (cli !== undefined && !byVersion.has(`${cli.major}`)) byVersion.set(`${cli.major}`, cli);
  return [...byVersion.values()];
}

/** Runs shell lines as a user pastes them, with the AWS CLI's own config kept out. */
async function bash(script: string, pathPrefix?: string): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_PAGER: '', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true', PATH: pathPrefix ? `${pathPrefix}:${process.env.PATH}` : process.env.PATH };
  delete env.AWS_REGION;
  delete env.AWS_DEFAULT_REGION;
  const { stdout } = await execFileAsync('bash', ['-euc', script], { env });
  return stdout;
}

it('prints a banner with the endpoints, npm run send and a put-record for the AWS CLI found', () => {
  expect(output).toContain('Clickstream Analytics local stack is ready');
  expect(output).toContain(manifest.endpoints.kinesis);
  expect(output).toContain(`npm run send -- '{"event_type":"page_view"`);
  expect(output).toContain(`${stateDir}/local.json`);
  expect(manifest.tables.pageMetrics).toBe('clickstream-analytics-dev-page-metrics');
  expect(manifest.collectorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(manifest.trackerUrl).toBe(`${manifest.collectorUrl}/tracker.js`);
  expect(output).toContain(`Collector   ${manifest.collectorUrl}`);
  expect(manifest.status).toBe('running');
  process.stdout.write(`npm start ready in ${readyMs} ms\n`);
});

it('shows a put-record from the AWS CLI v2 in page-metrics, session-metrics and counters', async () => {
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
    // Page and counter items are one part per shard and minute: `<minute>#<shardId>`.
    page: [manifest.tables.pageMetrics, { page_url: { S: '/products/42' }, window_start: { S: `${windowStart}#${put.ShardId}` } }],
    session: [manifest.tables.sessionMetrics, { session_id: { S: 'e2e-session' } }],
    counter: [manifest.tables.counters, { metric_name: { S: 'events#page_view' }, window_start: { S: `${windowStart}#${put.ShardId}` } }],
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
  dynamodb.destroy();
  process.stdout.write(`put-record visible in all three tables ${Date.now() - sentAt} ms after the AWS CLI returned\n`);
  const [page, session, counter] = await Promise.all(Object.values(keys).map(([table, key]) => getItem(table, key)));

  expect(page).toMatchObject({ page_views: { N: '1' }, events: { N: '1' } });
  expect(session).toMatchObject({ event_count: { N: '1' }, entry_page: { S: '/products/42' }, is_bounce: { BOOL: true }, country: { S: 'US' } });
  expect(counter).toMatchObject({ count: { N: '1' } });
}, 30_000);

it("the banner's put-record commands, pasted into bash, store the event as JSON with every AWS CLI they name", async () => {
  const blocks = [...output.matchAll(/^ {2}export AWS_ACCESS_KEY_ID.*\n(?: {2}.*\n){3}/gm)].map((match) => match[0]);
  expect(blocks.length).toBeGreaterThan(0);
  for (const block of blocks) {
    const put = JSON.parse(await bash(block)) as { ShardId: string; SequenceNumber: string };
    const stored = JSON.parse(await storedData(put.ShardId, put.SequenceNumber)) as Record<string, unknown>;
    expect(stored).toMatchObject({ event_type: 'page_view', session_id: 'session-123', page_url: 'https://shop.example.com/products/42?utm_source=newsletter' });
  }
});

it("the README's AWS CLI commands work as written with each AWS CLI on this machine (v2, and v1 where there is one)", async () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Send an event with the AWS CLI'), readme.indexOf('### Query the results'));
  const [v2Block, v1Block] = [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((match) => match[1]!.replaceAll('http://127.0.0.1:4567', manifest.endpoints.kinesis));
  expect(v2Block).toContain('--cli-binary-format raw-in-base64-out');
  expect(v1Block).not.toContain('--cli-binary-format');
  const clis = await installedClis();
  expect(clis.map((cli) => cli.major)).toContain(2);
  for (const cli of clis) {
    const put = JSON.parse(await bash(cli.major === 2 ? v2Block! : v1Block!, path.dirname(cli.command === 'aws' ? (await execFileAsync('bash', ['-c', 'command -v aws'])).stdout.trim() : cli.command))) as { ShardId: string; SequenceNumber: string };
    const stored = JSON.parse(await storedData(put.ShardId, put.SequenceNumber)) as Record<string, unknown>;
    expect({ cli: cli.major, event_type: stored.event_type }).toEqual({ cli: cli.major, event_type: 'page_view' });
  }
});

it('npm run send puts events from arguments and --file, and says which ones the pipeline will quarantine', async () => {
  const file = path.join(stateDir, 'events.ndjson');
  writeFileSync(file, `${JSON.stringify({ event_type: 'page_view', session_id: 'send-file', page_url: '/a' })}\n\n{"event_type":"click"}\n`);

  const fromArgument = await command('send.ts', [JSON.stringify({ event_type: 'page_view', session_id: 'send-arg', page_url: '/products/7' }), '--state-dir', stateDir]);
  const fromFile = await command('send.ts', ['--file', file, '--state-dir', stateDir]);

  expect(fromArgument).toMatchObject({ code: 0 });
  expect(fromArgument.stdout).toMatch(/send-arg\s+yes\s+accepted \(timestamp set to now\)/);
  expect(fromFile.stdout).toMatch(/line 1 .*send-file\s+yes\s+accepted/);
  expect(fromFile.stdout).toMatch(/line 3 .*yes\s+will be quarantined: missing_field/);
  expect(fromFile.stdout).toContain('2 of 2 events sent to clickstream-analytics-dev-events (1 will be quarantined)');
  let session: { code: number; stdout: string } = { code: 1, stdout: '' };
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(200)) {
    session = await command('query.ts', ['session', 'send-arg', '--json', '--state-dir', stateDir]);
    if (session.code === 0) break;
  }
  expect(JSON.parse(session.stdout)).toMatchObject({ session_id: 'send-arg', event_count: 1, entry_page: '/products/7' });
});

it('npm run logs prints readable lines (time, level, service, message, fields) and summarizes metrics', async () => {
  const { code, stdout } = await command('logs.ts', ['event-processor', '-n', '500', '--state-dir', stateDir]);

  expect(code).toBe(0);
  expect(stdout).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} INFO {3}event-processor {2}batch applied .*shardId=shardId-/m);
  expect(stdout).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} METRIC event-processor {2}Clickstream EventsAccepted \d+/m);
  expect(stdout).not.toContain('"_aws"');
  // One file per service, named after it (the collector and the compactor log only once they work).
  expect(readdirSync(manifest.logDir).sort()).toEqual(expect.arrayContaining(['anomaly-detector.log', 'archiver.log', 'event-processor.log', 'kinesis.log']));
  expect(readdirSync(manifest.logDir).filter((file) => file.startsWith('clickstream-'))).toEqual([]);
});

it('a second npm start on the same state directory says the stack already runs', async () => {
  const second = await command('cli.ts', ['--state-dir', stateDir, ...ports]);
  expect(second.code).toBe(1);
  expect(second.stderr).toContain(`the local stack is already running (pid ${manifest.pid}`);
});

it('npm start --demo (the `--` forgotten) says so instead of starting without demo traffic', async () => {
  const forgot = npm(['start', '--demo']);
  const read = collect(forgot);
  expect(await exited(forgot)).toBe(2);
  expect(read()).toContain('npm took --demo for itself');
  expect(read()).toContain('`npm start -- --demo`');
});

it('SIGTERM to npm stops the stack; local.json says stopped and every command says how to start it', async () => {
  const done = exited(child);
  child.kill('SIGTERM');
  expect(await done).toBe(0);
  expect(childOutput()).toContain('SIGTERM: stopping the local stack…\nStopped.');
  const stopped = JSON.parse(readFileSync(path.join(stateDir, 'local.json'), 'utf8')) as LocalManifest;
  expect(stopped).toMatchObject({ status: 'stopped', stoppedAt: expect.any(String) });

  const results = await Promise.all([
    command('query.ts', ['events', '--state-dir', stateDir]),
    command('send.ts', ['{"event_type":"click","session_id":"s"}', '--state-dir', stateDir]),
    command('alerts.ts', ['--once', '--state-dir', stateDir]),
    command('replay.ts', ['--dry-run', '--state-dir', stateDir]),
  ]);
  for (const result of results) {
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the local stack is not running — start it with \`npm start -- --state-dir ${stateDir}\` (it stopped at ${stopped.stoppedAt})`);
  }
});

it('--shards that disagrees with the stream kept in --data-dir is refused, and npm run reset starts over', async () => {
  const mismatch = await command('cli.ts', ['--state-dir', stateDir, '--data-dir', dataDir, '--shards', '3', ...ports]);
  expect(mismatch.code).toBe(1);
  expect(mismatch.stderr).toContain(`the stream kept in ${dataDir} has 2 open shards, not the 3 asked for`);

  const reset = await command('reset.ts', ['--state-dir', stateDir]);
  expect(reset).toMatchObject({ code: 0 });
  expect(reset.stdout).toContain('Reset: deleted');
  expect(readdirSync(dataDir)).toEqual(['.clickstream-data']);
  expect(existsSync(path.join(stateDir, 'local.json'))).toBe(false);
  expect(readdirSync(path.join(stateDir, 'logs'))).toEqual([]);
});
