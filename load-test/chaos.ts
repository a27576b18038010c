/**
 * `npm run chaos -- [--minutes N]`: the pipeline under the faults production brings, proven
 * against ground truth computed from what was sent (the ledger), never from the services' code.
 *
 * An in-process local stack whose services reach DynamoDB and the S3/SNS/SQS emulator through
 * fault-injecting proxies; shop traffic at a steady rate, with the hostile corpus mixed in; and a
 * timeline of faults: a DynamoDB outage, an S3 (and SNS) outage, DynamoDB throttling, and answers
 * lost after the write happened (the client gives up and retries a write that was applied). Then
 * the pipeline drains and every table, the archive and the quarantine are checked, with zero
 * records discarded by any event source mapping.
 */
import '../local/quiet-warnings';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeStreamSummaryCommand, ListShardsCommand, MergeShardsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { createDynamoDbClient, createKinesisClient, createS3Client, putRecords, sleep, type ServiceName } from '@clickstream/shared';
import { parseCommandLine, UsageError } from '../local/cli-args';
import { manifestClientConfig } from '../local/manifest';
import { startLocalStack, type LocalStack } from '../local/stack';
import { startFaultProxy, type FaultMode, type FaultProxy } from '../testkit/fault-proxy';
import { TrafficModel, type TrafficRecord } from '../testkit/traffic';
import { hostileCorpus } from './hostile';
import { Ledger } from './ledger';
import type { Target } from './targets';
import { verify, type VerificationCheck } from './verify';

export interface ChaosOptions {
  /** Length of the traffic, faults included. */
  durationMs: number;
  eventsPerSecond: number;
  shards: number;
  seed: number;
  /** How long the drain after the traffic may take. */
  drainTimeoutMs: number;
  log: (line: string) => void;
}

/** One fault on the timeline: from `atMs` after the start, for `forMs`, `mode` on `proxy`. */
export interface FaultWindow {
  name: string;
  proxy: 'dynamodb' | 'aws';
  atMs: number;
  forMs: number;
  mode: FaultMode;
}

export interface FaultEffect extends FaultWindow {
  /** What the proxy did to requests during the window. */
  effect: Record<string, number>;
  /** After an outage: from its end until every consumer's iterator age is back under 2 s. */
  catchUpMs?: number;
}

export interface ChaosResult {
  checks: VerificationCheck[];
  faults: FaultEffect[];
  sent: number;
  catchUpMs: number;
}

/**
 * The timeline: four faults spread over the run, each at most a minute. A five-minute run gets a
 * full minute of DynamoDB outage and a full minute of S3 outage.
 */
export function faultTimeline(durationMs: number): FaultWindow[] {
  const slot = durationMs / 5;
  const outage = Math.min(60_000, slot);
  const short = Math.min(30_000, slot * 0.6);
  return [
    { name: 'DynamoDB outage', proxy: 'dynamodb', atMs: slot * 0.5, forMs: outage, mode: { kind: 'down' } },
    { name: 'S3/SNS/SQS outage', proxy: 'aws', atMs: slot * 1.75, forMs: outage, mode: { kind: 'down' } },
    { name: 'DynamoDB throttling (30 %)', proxy: 'dynamodb', atMs: slot * 3, forMs: short, mode: { kind: 'throttle', share: 0.3 } },
    { name: 'answers lost after the write (20 %)', proxy: 'dynamodb', atMs: slot * 3.8, forMs: short, mode: { kind: 'late', share: 0.2 } },
    { name: 'S3 answers lost after the write (20 %)', proxy: 'aws', atMs: slot * 3.8, forMs: short, mode: { kind: 'late', share: 0.2 } },
  ];
}

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const proxies: Partial<Record<FaultWindow['proxy'], FaultProxy>> = {};
  const stack = await startLocalStack({
    ports: { kinesis: 0, dynamodb: 0, aws: 0 },
    stateDir: mkdtempSync(path.join(tmpdir(), 'clickstream-chaos-')),
    writeManifest: false,
    shardCount: options.shards,
    logLevel: 'warn',
    serviceEndpoints: async (emulators) => {
      proxies.dynamodb = await startFaultProxy(emulators.dynamodb);
      proxies.aws = await startFaultProxy(emulators.s3);
      return { dynamodb: proxies.dynamodb.endpoint, s3: proxies.aws.endpoint, sns: proxies.aws.endpoint, sqs: proxies.aws.endpoint };
    },
  });
  try {
    const timeline = faultTimeline(options.durationMs);
    const ledger = new Ledger();
    const startedMs = Date.now();
    const faults = scheduleFaults(timeline, proxies, stack, startedMs, options.log);
    const reshard = reshardUnderLoad(stack, startedMs, options);
    const sent = await sendTraffic(stack, ledger, options);
    const faultEffects = [...(await faults), await reshard];
    const drainStarted = Date.now();
    options.log(`traffic done (${sent} records); draining…`);
    let drainError: string | undefined;
    try {
      await stack.waitForIdle(options.drainTimeoutMs);
    } catch (error) {
      drainError = (error as Error).message;
    }
    const catchUpMs = Date.now() - drainStarted;
    const checks: VerificationCheck[] = [
      { name: 'pipeline caught up after the faults', ok: drainError === undefined, detail: drainError ?? `drained ${(catchUpMs / 1000).toFixed(1)} s after the last put` },
      ...discardChecks(stack),
      ...(await verify(targetOf(stack), ledger, { counters: new Map() }, startedMs)).filter((check) => !check.name.startsWith('alerts:')),
    ];
    return { checks, faults: faultEffects, sent, catchUpMs };
  } finally {
    await stack.stop();
    await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
  }
}

/** Switches each proxy into its fault for its window, and back; resolves with what each fault did. */
async function scheduleFaults(timeline: readonly FaultWindow[], proxies: Partial<Record<FaultWindow['proxy'], FaultProxy>>, stack: LocalStack, startedMs: number, log: (line: string) => void): Promise<FaultEffect[]> {
  return Promise.all(
    timeline.map(async (fault) => {
      const proxy = proxies[fault.proxy]!;
      await sleep(Math.max(0, startedMs + fault.atMs - Date.now()));
      const before = { ...proxy.counts };
      log(`fault: ${fault.name} for ${(fault.forMs / 1000).toFixed(0)} s`);
      proxy.set(fault.mode);
      await sleep(fault.forMs);
      proxy.set({ kind: 'pass' });
      log(`fault over: ${fault.name}`);
      const effect = Object.fromEntries(Object.entries(proxy.counts).map(([name, count]) => [name, count - before[name as keyof typeof before]]));
      if (fault.mode.kind !== 'down') return { ...fault, effect };
      const catchUpMs = await timeToCatchUp(stack, Date.now());
      log(`caught up ${catchUpMs === undefined ? 'not within 2 min' : `${(catchUpMs / 1000).toFixed(1)} s`} after the ${fault.name}`);
      return { ...fault, effect, ...(catchUpMs === undefined ? {} : { catchUpMs }) };
    }),
  );
}

/**
 * A reshard under load: a fifth into the run the first shard is split in two; at three fifths the
 * split's upper child is merged with the next shard (adjacent hash ranges). Per-session order and
 * exactness then depend on the mappings reading children only after their parents' ends.
 */
async function reshardUnderLoad(stack: LocalStack, startedMs: number, options: ChaosOptions): Promise<FaultEffect> {
  const kinesis = createKinesisClient(manifestClientConfig(stack.manifest));
  const streamName = stack.manifest.stream.name;
  const window: FaultWindow = { name: 'reshard (split, then merge)', proxy: 'dynamodb', atMs: options.durationMs / 5, forMs: (options.durationMs * 2) / 5, mode: { kind: 'pass' } };
  try {
    await sleep(Math.max(0, startedMs + window.atMs - Date.now()));
    const [first, second] = await openShards(kinesis, streamName);
    if (first === undefined || second === undefined) return { ...window, effect: { skipped: 1 } };
    const middle = (BigInt(first.HashKeyRange!.StartingHashKey!) + BigInt(first.HashKeyRange!.EndingHashKey!)) / 2n;
    options.log(`fault: SplitShard ${first.ShardId}`);
    await kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: first.ShardId!, NewStartingHashKey: middle.toString() }));
    await untilActive(kinesis, streamName);
    await sleep(Math.max(0, startedMs + window.atMs + window.forMs - Date.now()));
    const upper = (await openShards(kinesis, streamName)).find((shard) => shard.ParentShardId === first.ShardId && shard.HashKeyRange!.StartingHashKey === middle.toString())!;
    options.log(`fault: MergeShards ${upper.ShardId} + ${second.ShardId}`);
    await kinesis.send(new MergeShardsCommand({ StreamName: streamName, ShardToMerge: upper.ShardId!, AdjacentShardToMerge: second.ShardId! }));
    await untilActive(kinesis, streamName);
    return { ...window, effect: { splits: 1, merges: 1, shards: (await openShards(kinesis, streamName)).length } };
  } finally {
    kinesis.destroy();
  }
}

/** Open shards (no ending sequence number), in hash-key order. */
async function openShards(kinesis: KinesisClient, streamName: string) {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  return Shards.filter((shard) => shard.SequenceNumberRange?.EndingSequenceNumber === undefined).sort((a, b) => (BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1));
}

async function untilActive(kinesis: KinesisClient, streamName: string): Promise<void> {
  for (;;) {
    const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary?.StreamStatus === 'ACTIVE') return;
    await sleep(20);
  }
}

/** From `sinceMs` until every consumer's latest iterator age (AWS/Lambda IteratorAge) is under 2 s; undefined after 2 minutes. */
async function timeToCatchUp(stack: LocalStack, sinceMs: number): Promise<number | undefined> {
  const functions = [...stack.mappings.keys()].map((service) => stack.manifest.functions[service]!);
  while (Date.now() - sinceMs < 120_000) {
    const latest = new Map<string, number>();
    for (const point of stack.telemetry.datapoints({ namespace: 'AWS/Lambda', name: 'IteratorAge', sinceMs })) latest.set(point.dimensions.FunctionName!, point.value);
    if (functions.every((name) => (latest.get(name) ?? Infinity) < 2_000)) return Date.now() - sinceMs;
    await sleep(250);
  }
  return undefined;
}

/** Shop traffic sent as its event time comes, with the hostile corpus first; every put in the ledger. */
async function sendTraffic(stack: LocalStack, ledger: Ledger, options: ChaosOptions): Promise<number> {
  const kinesis = createKinesisClient(manifestClientConfig(stack.manifest));
  const startMs = Date.now();
  const model = new TrafficModel({ seed: options.seed, botShare: 0, invalidShare: 0.01, camelCaseShare: 0.1, stableUserCountry: true });
  const endMs = startMs + options.durationMs;
  const shop = model.stream(Math.round((options.durationMs / 1000) * options.eventsPerSecond * 1.3), startMs, options.eventsPerSecond / 9).filter((record) => record.eventTimeMs < endMs);
  let queue: TrafficRecord[] = [...hostileCorpus(startMs), ...shop];
  let sent = 0;
  while (queue.length > 0) {
    const now = Date.now();
    const due = queue.filter((record) => record.eventTimeMs <= now || record.expected !== undefined);
    queue = queue.filter((record) => !(record.eventTimeMs <= now || record.expected !== undefined));
    if (due.length > 0) {
      const result = await putRecords(kinesis, stack.manifest.stream.name, due, { maxAttempts: 20 });
      ledger.record(due, result.failedIndexes, now);
      sent += result.sent;
    }
    await sleep(250);
  }
  kinesis.destroy();
  return sent;
}

/** Zero discards: nothing reached any on-failure destination. */
function discardChecks(stack: LocalStack): VerificationCheck[] {
  return [...stack.mappings].map(([service, mapping]) => ({
    name: `${service}: no record discarded`,
    ok: mapping.stats.recordsDiscarded === 0,
    detail: `${mapping.stats.recordsDiscarded} discarded, ${mapping.stats.functionErrors} function errors, ${mapping.stats.partialFailures} partial failures retried`,
  }));
}

function targetOf(stack: LocalStack): Target {
  const config = manifestClientConfig(stack.manifest);
  return {
    kind: 'local',
    description: 'chaos stack',
    streamName: stack.manifest.stream.name,
    kinesis: createKinesisClient(config),
    dynamo: createDynamoDbClient(config),
    s3: createS3Client(config),
    tables: stack.manifest.tables,
    bucket: stack.manifest.bucket,
    services: new Set(stack.mappings.keys() as Iterable<ServiceName>),
    stack,
    stop: async () => undefined,
  };
}

const HELP = `Usage: npm run chaos -- [options]

  --minutes <n>      length of the traffic, faults included (default 5)
  --rate <n>         events per second (default 200)
  --shards <n>       stream shards (default 2)
  --seed <n>         traffic seed (default 7)
  --json             print the result as JSON
  --help             this text

Faults: a DynamoDB outage and an S3/SNS/SQS outage (each a fifth of the run, at most a minute),
DynamoDB throttling, answers lost after the write, and a reshard under load (split, then merge). Exit 0 when every check passes, 1 otherwise.
`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(
    {
      command: 'npm run chaos',
      help: HELP,
      options: { minutes: { type: 'string', default: '5' }, rate: { type: 'string', default: '200' }, shards: { type: 'string', default: '2' }, seed: { type: 'string', default: '7' }, json: { type: 'boolean', default: false } },
    },
    argv,
  );
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const minutes = Number(values.minutes);
  const rate = Number(values.rate);
  if (!(minutes > 0 && minutes <= 120)) throw new Error(`--minutes must be a number above 0 and at most 120, got "${values.minutes}"`);
  if (!(rate > 0 && rate <= 5000)) throw new Error(`--rate must be a number above 0 and at most 5000, got "${values.rate}"`);
  const result = await runChaos({ durationMs: minutes * 60_000, eventsPerSecond: rate, shards: Number(values.shards), seed: Number(values.seed), drainTimeoutMs: 10 * 60_000, log: (line) => process.stderr.write(`${line}\n`) });
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    for (const fault of result.faults) process.stdout.write(`fault ${fault.name}: ${JSON.stringify(fault.effect)}${fault.catchUpMs === undefined ? '' : `, caught up ${(fault.catchUpMs / 1000).toFixed(1)} s after it ended`}\n`);
    for (const check of result.checks) process.stdout.write(`${check.ok ? '✓' : '✗'} ${check.name}: ${check.detail}\n`);
    process.stdout.write(`caught up ${(result.catchUpMs / 1000).toFixed(1)} s after the last put; ${result.sent} records sent\n`);
  }
  return result.checks.every((check) => check.ok) ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(error instanceof UsageError ? `npm run chaos: ${error.message} (see \`npm run chaos -- --help\`)\n` : `chaos failed: ${(error as Error).message}\n`);
      process.exit(2);
    },
  );
}
