import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import { CONSUMERS, createDynamoDbClient, createKinesisClient, createLogger, createS3Client, putRecords, sleep, type ServiceName } from '@clickstream/shared';
import { MemoryCheckpointStore } from '../../esm/checkpoints';
import { manifestClientConfig } from '../../manifest';
import { EventSourceMapping, type LambdaInvoke, type S3OnFailureObject } from '../../esm/event-source-mapping';
import { ON_FAILURE_PREFIX, S3OnFailureDestination } from '../../esm/on-failure';
import { localReplayInvoke, replayDiscardedBatches, REPLAYED_PREFIX, type ReplayReport } from '../../replayer';
import { loadServiceHandler, localFunctionEnvironment } from '../../services';
import { startTestStack } from '../../testing';

/**
 * Discarded batches keep their data and `npm run replay` re-applies them exactly once. The
 * event-processor and the archiver run behind local mappings whose function fails while "the
 * dependency is down"; with a one-second MaximumRecordAgeInSeconds the records are discarded to
 * the on-failure bucket. Replaying (through the real CLI once the dependency is back, again after
 * more traffic, and once more after a simulated crash before the objects were marked) must leave
 * the tables and the archive exactly as the events sent say: every event counted once, archived
 * once.
 */
const run = promisify(execFile);
type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let s3: S3Client;
let dynamodb: DynamoDBDocumentClient;
const services: ServiceName[] = ['event-processor', 'archiver'];

beforeAll(async () => {
  stack = await startTestStack({ services: [], shardCount: 1, writeManifest: true });
  s3 = createS3Client(manifestClientConfig(stack.manifest));
  dynamodb = createDynamoDbClient(manifestClientConfig(stack.manifest));
}, 30_000);
afterAll(async () => {
  s3?.destroy();
  dynamodb?.destroy();
  await stack?.stop();
});

interface SentEvent {
  event_id: string;
  event_type: 'page_view' | 'click';
  session_id: string;
  timestamp: string;
  page_url: string;
}

function events(count: number): SentEvent[] {
  const timestamp = new Date().toISOString();
  return Array.from({ length: count }, (_, index) => ({
    event_id: randomUUID(),
    event_type: index % 3 === 0 ? 'click' : 'page_view',
    session_id: `replay-session-${index % 7}`,
    timestamp,
    page_url: `/products/${index % 4}`,
  }));
}

async function send(sent: SentEvent[]): Promise<void> {
  const kinesis = createKinesisClient(manifestClientConfig(stack.manifest));
  const result = await putRecords(kinesis, stack.manifest.stream.name, sent.map((event) => ({ partitionKey: event.session_id, data: JSON.stringify(event) })));
  kinesis.destroy();
  expect(result.failed).toBe(0);
}

/** A mapping for `service` whose function fails while `outage.down`, discarding after one second. */
async function mappingFor(service: ServiceName, outage: { down: boolean }): Promise<EventSourceMapping> {
  const functionName = stack.names.functions[service];
  const logger = createLogger({ service, level: 'silent' });
  const handler = await loadServiceHandler(service, localFunctionEnvironment(service, stack.manifest, 'silent'), { logger, emfWriter: () => undefined });
  const invoke: LambdaInvoke = async (event, context) => {
    if (outage.down) throw new Error('DynamoDB and S3 are unreachable');
    return handler(event, context);
  };
  return new EventSourceMapping({
    id: functionName,
    fn: { functionName, functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`, roleArn: `arn:aws:iam::000000000000:role/${functionName}`, region: 'us-east-1', memorySizeMb: 256 },
    streamName: stack.names.stream,
    streamArn: stack.resources.streamArn,
    settings: { ...CONSUMERS[service], maximumBatchingWindowInSeconds: 0, maximumRecordAgeInSeconds: 1 },
    kinesis: createKinesisClient(manifestClientConfig(stack.manifest)),
    invoke,
    checkpoints: new MemoryCheckpointStore(),
    onFailure: new S3OnFailureDestination(s3, stack.names.onFailureBucket),
    logger,
    pollIntervalMs: 20,
    retryDelayMs: 50,
    maxRetryDelayMs: 200,
  });
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function keys(bucket: string, prefix: string): Promise<string[]> {
  const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return Contents.map((object) => object.Key!);
}

async function readJson<T>(bucket: string, key: string): Promise<T> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await object.Body!.transformToString()) as T;
}

/** What the tables and the archive hold, in the shape the ground truth is computed in. */
async function observed() {
  const scan = async (table: string) => (await dynamodb.send(new ScanCommand({ TableName: table }))).Items ?? [];
  const counters: Record<string, number> = {};
  for (const item of await scan(stack.names.tables.counters)) counters[item.metric_name as string] = (counters[item.metric_name as string] ?? 0) + Number(item.count);
  const sessions: Record<string, number> = {};
  for (const item of await scan(stack.names.tables.sessionMetrics)) sessions[item.session_id as string] = Number(item.event_count);
  const pageViews: Record<string, number> = {};
  // Page parts, and the top-pages rollups (`top#…` items, page → views maps), must agree.
  const rollupViews: Record<string, number> = {};
  for (const item of await scan(stack.names.tables.pageMetrics)) {
    const url = item.page_url as string;
    if (url.startsWith('top#')) for (const [page, views] of Object.entries(item.views as Record<string, number>)) rollupViews[page] = (rollupViews[page] ?? 0) + Number(views);
    else pageViews[url] = (pageViews[url] ?? 0) + Number(item.page_views ?? 0);
  }

  const archived: string[] = [];
  for (const key of await keys(stack.names.archiveBucket, 'events/')) {
    const object = await s3.send(new GetObjectCommand({ Bucket: stack.names.archiveBucket, Key: key }));
    const text = gunzipSync(await object.Body!.transformToByteArray()).toString('utf8');
    for (const line of text.split('\n').filter(Boolean)) archived.push((JSON.parse(line) as { event_id: string }).event_id);
  }
  return { counters, sessions, pageViews, rollupViews, archived: archived.sort() };
}

function groundTruth(sent: SentEvent[]) {
  const counters: Record<string, number> = sent.length === 0 ? {} : { 'events#all': sent.length };
  const sessions: Record<string, number> = {};
  const pageViews: Record<string, number> = {};
  for (const event of sent) {
    counters[`events#${event.event_type}`] = (counters[`events#${event.event_type}`] ?? 0) + 1;
    sessions[event.session_id] = (sessions[event.session_id] ?? 0) + 1;
    pageViews[event.page_url] = (pageViews[event.page_url] ?? 0) + (event.event_type === 'page_view' ? 1 : 0);
  }
  const rollupViews = Object.fromEntries(Object.entries(pageViews).filter(([, views]) => views > 0));
  return { counters, sessions, pageViews, rollupViews, archived: sent.map((event) => event.event_id).sort() };
}

it('keeps discarded batches with their records and replays them exactly once', async () => {
  const outage = { down: true };
  const mappings = await Promise.all(services.map((service) => mappingFor(service, outage)));
  await Promise.all(mappings.map((mapping) => mapping.start()));
  const lost = events(30);
  const later = events(20);
  const lostAgain = events(25);
  const afterwards = events(15);
  const everything = [...lost, ...later, ...lostAgain, ...afterwards];
  try {
    // During the outage every record ages past MaximumRecordAgeInSeconds and is discarded.
    await send(lost);
    await until(() => mappings.every((mapping) => mapping.stats.recordsDiscarded === lost.length && mapping.isIdle()), 'the discards');
    outage.down = false;

    // The discarded batches are in the bucket, in Lambda's S3 shape, with every lost record.
    const stored = await Promise.all((await keys(stack.names.onFailureBucket, ON_FAILURE_PREFIX)).map((key) => readJson<S3OnFailureObject>(stack.names.onFailureBucket, key)));
    for (const service of services) {
      const own = stored.filter((object) => object.requestContext.functionArn.endsWith(`:function:${stack.names.functions[service]}`));
      expect(own.every((object) => object.requestContext.condition === 'RecordAgeExceeded')).toBe(true);
      const ids = own.flatMap((object) => payloadEvents(object.payload)).map((event) => event.event_id);
      expect(ids.sort()).toEqual(lost.map((event) => event.event_id).sort());
    }
    expect(await observed()).toEqual(groundTruth([]));

    // The dependency is back: replay, through the command as a user runs it.
    const first = JSON.parse(await replayCommand()) as ReplayReport;
    expect(first).toMatchObject({ failed: 0, replayed: stored.length, recordsReplayed: lost.length * services.length });
    expect(await keys(stack.names.onFailureBucket, ON_FAILURE_PREFIX)).toEqual([]);
    expect(await keys(stack.names.onFailureBucket, REPLAYED_PREFIX)).toHaveLength(stored.length);
    expect(await observed()).toEqual(groundTruth(lost));

    // Traffic goes on, on the same sessions, pages and minutes.
    await send(later);
    await until(() => mappings.every((mapping) => mapping.isIdle() && mapping.stats.recordsDelivered >= later.length), 'the later records');
    await sleep(200);

    // A second outage discards more; traffic after it moves the shards' fences past the discarded
    // records before anyone replays them. The replay still adds each of them exactly once.
    outage.down = true;
    await send(lostAgain);
    await until(() => mappings.every((mapping) => mapping.stats.recordsDiscarded === lost.length + lostAgain.length && mapping.isIdle()), 'the second discards');
    outage.down = false;
    await send(afterwards);
    for (const deadline = Date.now() + 20_000; (await observed()).counters['events#all'] !== lost.length + later.length + afterwards.length; await sleep(50)) {
      if (Date.now() > deadline) throw new Error('the records after the second outage were not applied');
    }
    await until(() => mappings.every((mapping) => mapping.isIdle()), 'the records after the second outage');
    const again = JSON.parse(await replayCommand()) as ReplayReport;
    expect(again).toMatchObject({ failed: 0, recordsReplayed: lostAgain.length * services.length });
    expect(await observed()).toEqual(groundTruth(everything));
  } finally {
    await Promise.all(mappings.map((mapping) => mapping.stop()));
  }
  expect(await observed()).toEqual(groundTruth(everything));

  // A second run finds nothing to replay.
  const invoke = localReplayInvoke(stack.manifest, { logLevel: 'silent' });
  const second = await replayDiscardedBatches({ s3, bucket: stack.names.onFailureBucket, invoke });
  expect(second).toMatchObject({ replayed: 0, failed: 0, batches: [] });

  // A crash between a replay and its move leaves the object in place: replaying it again changes nothing.
  for (const replayedKey of await keys(stack.names.onFailureBucket, REPLAYED_PREFIX)) {
    const body = await readJson<S3OnFailureObject>(stack.names.onFailureBucket, replayedKey);
    await s3.send(new PutObjectCommand({ Bucket: stack.names.onFailureBucket, Key: replayedKey.slice(REPLAYED_PREFIX.length), Body: JSON.stringify(body) }));
  }
  const third = await replayDiscardedBatches({ s3, bucket: stack.names.onFailureBucket, invoke, functionName: stack.names.functions.archiver });
  expect(third.replayed).toBeGreaterThan(0);
  expect(third.batches.every((batch) => batch.functionName === stack.names.functions.archiver)).toBe(true);
  const fourth = await replayDiscardedBatches({ s3, bucket: stack.names.onFailureBucket, invoke });
  expect(fourth.batches.every((batch) => batch.functionName === stack.names.functions['event-processor'] && batch.outcome === 'replayed')).toBe(true);
  expect(await observed()).toEqual(groundTruth(everything));
}, 120_000);

it('leaves an object it cannot read where it is and says why', async () => {
  const key = `${ON_FAILURE_PREFIX}00000000-0000-5000-8000-000000000000/shardId-000000000000/2026/12/01/2026-12-01T10.00.00-garbage`;
  await s3.send(new PutObjectCommand({ Bucket: stack.names.onFailureBucket, Key: key, Body: 'not json' }));
  const report = await replayDiscardedBatches({ s3, bucket: stack.names.onFailureBucket, invoke: localReplayInvoke(stack.manifest, { logLevel: 'silent' }), dryRun: false });
  expect(report.failed).toBe(1);
  expect(report.batches[0]).toMatchObject({ key, outcome: 'failed', error: expect.stringMatching(/not JSON/) });
  expect(await keys(stack.names.onFailureBucket, ON_FAILURE_PREFIX)).toContain(key);
});

function payloadEvents(payload: KinesisStreamEvent): SentEvent[] {
  return payload.Records.map((record) => JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')) as SentEvent);
}

async function replayCommand(): Promise<string> {
  const root = path.resolve(__dirname, '../../..');
  const { stdout } = await run(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'local/replay.ts', '--json', '--state-dir', stack.stateDir], { cwd: root });
  return stdout;
}
