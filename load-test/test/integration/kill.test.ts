import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDynamoDbClient, createKinesisClient, createS3Client, putRecords, sleep } from '@clickstream/shared';
import { manifestClientConfig, type LocalManifest } from '../../../local/manifest';
import { TrafficModel } from '../../../testkit/traffic';
import { hostileCorpus } from '../../hostile';
import { Ledger } from '../../ledger';
import type { Target } from '../../targets';
import { drainByPolling, verify } from '../../verify';

/**
 * `kill -9` of `npm start --data-dir` in the middle of a backlog, twice, then a restart on the
 * same data directory: the checkpoints, streams and tables on disk make the pipeline resume, and
 * the tables equal the ledger of what was sent (the archive lives in the in-memory S3 emulator,
 * so it is not part of this check).
 */
jest.setTimeout(180_000);
const root = path.resolve(__dirname, '../../..');

async function startStack(dataDir: string, stateDir: string): Promise<{ child: ChildProcess; manifest: LocalManifest }> {
  rmSync(path.join(stateDir, 'local.json'), { force: true });
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/cli.ts', '--data-dir', dataDir, '--state-dir', stateDir, '--kinesis-port', '0', '--dynamodb-port', '0', '--aws-port', '0', '--dashboard-port', '0', '--log-level', 'warn'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const file = path.join(stateDir, 'local.json');
  for (const deadline = Date.now() + 60_000; !existsSync(file); await sleep(50)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up: ${stderr}`);
  }
  return { child, manifest: JSON.parse(readFileSync(file, 'utf8')) as LocalManifest };
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

it('loses nothing and counts nothing twice when npm start --data-dir is killed with SIGKILL mid-backlog', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'clickstream-kill-data-'));
  const stateDir = mkdtempSync(path.join(tmpdir(), 'clickstream-kill-state-'));
  const ledger = new Ledger();
  const now = Date.now();
  const model = new TrafficModel({ seed: 99, invalidShare: 0.01, camelCaseShare: 0.1, stableUserCountry: true });
  const waves = [[...hostileCorpus(now), ...model.stream(3_000, now - 600_000, 40)], model.stream(2_000, now - 300_000, 40)];

  let running = await startStack(dataDir, stateDir);
  for (const wave of waves) {
    const kinesis = createKinesisClient(manifestClientConfig(running.manifest));
    const putAt = Date.now();
    const result = await putRecords(kinesis, running.manifest.stream.name, wave);
    ledger.record(wave, result.failedIndexes, putAt);
    kinesis.destroy();
    // Kill while the consumers are still working through the backlog.
    await sleep(1_500);
    await kill9(running.child);
    running = await startStack(dataDir, stateDir);
  }
  try {
    const config = manifestClientConfig(running.manifest);
    const target: Target = {
      kind: 'local-running',
      description: 'restarted stack',
      streamName: running.manifest.stream.name,
      kinesis: createKinesisClient(config),
      dynamo: createDynamoDbClient(config),
      s3: createS3Client(config),
      tables: running.manifest.tables,
      bucket: running.manifest.bucket,
      services: new Set(['event-processor']),
      stop: async () => undefined,
    };
    await drainByPolling(target, ledger, { counters: new Map() }, 120_000, 20_000);
    const checks = await verify(target, ledger, { counters: new Map() }, now);
    expect(checks.filter((check) => !check.ok)).toEqual([]);
    expect(checks.map((check) => check.name)).toEqual(expect.arrayContaining(['counters equal accepted events (events#all and per type)', 'session-metrics: event_count equals events sent per session', 'page-metrics: page views and events per page and minute']));
  } finally {
    await kill9(running.child);
  }
});
