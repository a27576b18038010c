import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamEvent } from 'aws-lambda';
import { CONSUMERS, createKinesisClient, createLogger, createS3Client, parseEmfLine, putRecords, sleep, type EmfDatapoint } from '@clickstream/shared';
import { startFauxqs, startKinesis, type Emulator } from '../../emulators';
import { MemoryCheckpointStore } from '../../esm/checkpoints';
import { EventSourceMapping, type LambdaInvoke, type MappingSettings, type OnFailureDestination, type S3OnFailureObject } from '../../esm/event-source-mapping';
import { S3OnFailureDestination } from '../../esm/on-failure';

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
let kinesisEmulator: Emulator;
let awsEmulator: Emulator;
let kinesis: KinesisClient;
let s3: S3Client;
let streamCount = 0;
const mappings: EventSourceMapping[] = [];
/** The mappings' own EMF metrics (AWS/Lambda), as the local telemetry would read them back. */
const metrics: EmfDatapoint[] = [];

beforeAll(async () => {
  [kinesisEmulator, awsEmulator] = await Promise.all([startKinesis({ port: 0 }), startFauxqs({ port: 0 })]);
  kinesis = createKinesisClient({ region: 'us-east-1', endpoints: { kinesis: kinesisEmulator.endpoint }, credentials });
  s3 = createS3Client({ region: 'us-east-1', endpoints: { s3: awsEmulator.endpoint }, credentials });
}, 30_000);
afterEach(async () => {
  await Promise.all(mappings.splice(0).map((mapping) => mapping.stop()));
  metrics.splice(0);
});
afterAll(async () => {
  await Promise.all([kinesisEmulator.stop(), awsEmulator.stop()]);
});

/** A one-shard stream with `count` records `r0…`, and a mapping on it driving `invoke`. */
async function setup(count: number, invoke: LambdaInvoke, settings: Partial<MappingSettings> = {}, now?: () => number, wrap: (destination: OnFailureDestination) => OnFailureDestination = (destination) => destination) {
  const streamName = `esm-${streamCount++}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
  let arn: string | undefined;
  while (arn === undefined) {
    const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary?.StreamStatus === 'ACTIVE') arn = summary.StreamARN;
    else await sleep(20);
  }
  await putRecords(kinesis, streamName, Array.from({ length: count }, (_, index) => ({ partitionKey: 'key', data: `r${index}` })));
  const bucket = `${streamName}-on-failure`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const checkpoints = new MemoryCheckpointStore();
  const mapping = new EventSourceMapping({
    id: 'fn',
    fn: { functionName: 'fn', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', roleArn: 'arn:aws:iam::000000000000:role/fn', region: 'us-east-1', memorySizeMb: 128 },
    streamName,
    streamArn: arn,
    settings: { ...CONSUMERS['event-processor'], batchSize: 10, maximumRetryAttempts: 2, ...settings },
    kinesis,
    invoke,
    checkpoints,
    onFailure: wrap(new S3OnFailureDestination(s3, bucket)),
    logger: createLogger({ service: 'esm-test', level: 'silent' }),
    emfWriter: (line) => metrics.push(...parseEmfLine(line)),
    pollIntervalMs: 20,
    retryDelayMs: 5,
    ...(now ? { now } : {}),
  });
  mappings.push(mapping);
  await mapping.start();
  return { mapping, checkpoints, bucket, streamArn: arn };
}

const payloads = (event: KinesisStreamEvent) => event.Records.map((record) => Buffer.from(record.kinesis.data, 'base64').toString());

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The S3 on-failure objects of a bucket, with their keys. */
async function onFailureObjects(bucket: string): Promise<Array<{ key: string; object: S3OnFailureObject }>> {
  const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return Promise.all(
    Contents.map(async ({ Key }) => {
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      return { key: Key!, object: JSON.parse(await body.Body!.transformToString()) as S3OnFailureObject };
    }),
  );
}

describe('local event source mapping (kinesalite + fauxqs S3)', () => {
  it('sends the event shape Lambda sends, in shard order, in batches of BatchSize, then checkpoints the last record', async () => {
    const batches: KinesisStreamEvent[] = [];
    const remaining: number[] = [];
    const { mapping, checkpoints, streamArn } = await setup(25, async (event, context) => {
      batches.push(event);
      remaining.push(context.getRemainingTimeInMillis());
      return { batchItemFailures: [] };
    });
    await until(() => batches.flatMap(payloads).length === 25 && mapping.isIdle(), '25 records');
    expect(batches.map((batch) => batch.Records.length)).toEqual([10, 10, 5]);
    expect(batches.flatMap(payloads)).toEqual(Array.from({ length: 25 }, (_, index) => `r${index}`));
    const record = batches[0]!.Records[0]!;
    expect(record).toMatchObject({ eventSource: 'aws:kinesis', eventName: 'aws:kinesis:record', eventVersion: '1.0', eventSourceARN: streamArn, awsRegion: 'us-east-1' });
    expect(record.eventID).toBe(`shardId-000000000000:${record.kinesis.sequenceNumber}`);
    expect(record.kinesis.approximateArrivalTimestamp).toBeGreaterThan(1.7e9);
    expect(record.kinesis.approximateArrivalTimestamp).toBeLessThan(1e11);
    expect(remaining.every((ms) => ms > 0 && ms <= 60_000)).toBe(true);
    const last = batches[2]!.Records[4]!.kinesis.sequenceNumber;
    expect(checkpoints.get('fn', 'shardId-000000000000')).toBe(last);
  });

  it('keeps a caught-up shard idle and 0 ms behind while it goes on polling it', async () => {
    const { mapping } = await setup(5, async () => ({ batchItemFailures: [] }));
    await until(() => mapping.isIdle(), 'the records');
    // Note when a GetRecords is on its way, to know the samples below include polls under way.
    let reading = 0;
    kinesis.middlewareStack.add(
      (next, context) => async (args) => {
        const polling = context.commandName === 'GetRecordsCommand';
        if (polling) reading++;
        try {
          return await next(args);
        } finally {
          if (polling) reading--;
        }
      },
      { step: 'initialize', name: 'countReads' },
    );
    try {
      const samples: Array<{ idle: boolean; lag: number; duringRead: boolean }> = [];
      const until = Date.now() + 1_000;
      while (Date.now() < until) {
        samples.push({ idle: mapping.isIdle(), lag: mapping.millisBehindLatest(), duringRead: reading > 0 });
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(samples.filter((sample) => sample.duringRead).length).toBeGreaterThan(0);
      expect(samples.filter((sample) => !sample.idle || sample.lag !== 0)).toEqual([]);
    } finally {
      kinesis.middlewareStack.remove('countReads');
    }
  });

  const reportR6AndR3 = (event: KinesisStreamEvent) => ({
    batchItemFailures: [event.Records[6]!, event.Records[3]!].map((record) => ({ itemIdentifier: record.kinesis.sequenceNumber })),
  });

  it('without bisect, re-polls from the lowest reported failure, with more records than the failed batch', async () => {
    const batches: string[][] = [];
    const { mapping } = await setup(25, async (event) => {
      batches.push(payloads(event));
      return batches.length === 1 ? reportR6AndR3(event) : { batchItemFailures: [] };
    }, { bisectBatchOnFunctionError: false });
    await until(() => mapping.isIdle() && batches.flat().includes('r24'), 'all records');
    expect(batches[0]).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9']);
    expect(batches[1]).toEqual(['r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12']);
    expect(mapping.stats.partialFailures).toBe(1);
  });

  it('with bisect, cuts the batch at the lowest reported failure and retries only the remaining records', async () => {
    const batches: string[][] = [];
    const { mapping } = await setup(25, async (event) => {
      batches.push(payloads(event));
      return batches.length === 1 ? reportR6AndR3(event) : { batchItemFailures: [] };
    }, { bisectBatchOnFunctionError: true });
    await until(() => mapping.isIdle() && batches.flat().includes('r24'), 'all records');
    expect(batches[1]).toEqual(['r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9']);
    expect(batches[2]).toEqual(['r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'r16', 'r17', 'r18', 'r19']);
  });

  it('bisects a batch with a poison record, retries it to the limit, and writes Lambda\'s S3 on-failure object with the record', async () => {
    const delivered: string[] = [];
    const { mapping, bucket, streamArn } = await setup(10, async (event) => {
      const data = payloads(event);
      if (data.includes('r6')) throw new Error('poison');
      delivered.push(...data);
      return undefined;
    });
    await until(() => mapping.isIdle() && mapping.stats.recordsDiscarded === 1, 'the poison record to be discarded');
    expect(delivered.sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r7', 'r8', 'r9'].sort());
    expect(mapping.stats).toMatchObject({ recordsDiscarded: 1, batchesDiscarded: 1 });
    const [stored, ...more] = await onFailureObjects(bucket);
    expect(more).toHaveLength(0);
    expect(stored!.key).toMatch(new RegExp(`^aws/lambda/${mapping.uuid}/shardId-000000000000/\\d{4}/\\d{2}/\\d{2}/\\d{4}-\\d{2}-\\d{2}T\\d{2}\\.\\d{2}\\.\\d{2}-[0-9a-f-]{36}$`));
    const failure = stored!.object;
    expect(failure).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', approximateInvokeCount: 3 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      KinesisBatchInfo: { shardId: 'shardId-000000000000', batchSize: 1, streamArn },
    });
    expect(failure.KinesisBatchInfo.startSequenceNumber).toBe(failure.KinesisBatchInfo.endSequenceNumber);
    // The S3 destination keeps the whole invocation record, as the function would have received it.
    expect(payloads(failure.payload)).toEqual(['r6']);
    expect(failure.payload.Records[0]).toMatchObject({ eventSource: 'aws:kinesis', eventSourceARN: streamArn, eventID: `shardId-000000000000:${failure.KinesisBatchInfo.startSequenceNumber}` });
  });

  it('without bisect retries the whole batch, backing off, until it succeeds', async () => {
    const calls: number[] = [];
    const { mapping } = await setup(5, async () => {
      calls.push(Date.now());
      if (calls.length < 4) throw new Error('flaky dependency');
      return { batchItemFailures: [] };
    }, { bisectBatchOnFunctionError: false, maximumRetryAttempts: -1 });
    await until(() => mapping.isIdle() && calls.length >= 4, 'success on the fourth attempt');
    expect(calls).toHaveLength(4);
    expect(mapping.stats).toMatchObject({ functionErrors: 3, recordsDiscarded: 0 });
    // retryDelayMs 5: 5, 10, 20 ms between attempts.
    const gaps = calls.slice(1).map((at, index) => at - calls[index]!);
    expect(gaps[2]!).toBeGreaterThanOrEqual(19);
  });

  it('treats an itemIdentifier that is not in the batch as a failure of the whole batch', async () => {
    const sizes: number[] = [];
    const { mapping } = await setup(4, async (event) => {
      sizes.push(event.Records.length);
      return sizes.length === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-a-sequence-number' }] } : { batchItemFailures: [] };
    }, { bisectBatchOnFunctionError: false });
    await until(() => mapping.isIdle() && sizes.length === 2, 'the retry');
    expect(sizes).toEqual([4, 4]);
    expect(mapping.stats.functionErrors).toBe(1);
  });

  it('discards records older than MaximumRecordAgeInSeconds without invoking, as RecordAgeExceeded, with their data', async () => {
    let invoked = 0;
    const inAnHour = () => Date.now() + 3_600_000;
    const { mapping, bucket } = await setup(3, async () => {
      invoked++;
      return undefined;
    }, { maximumRecordAgeInSeconds: 60 }, inAnHour);
    await until(() => mapping.isIdle() && mapping.stats.recordsDiscarded === 3, 'the old records to be discarded');
    expect(invoked).toBe(0);
    const [stored] = await onFailureObjects(bucket);
    expect(stored?.object.requestContext.condition).toBe('RecordAgeExceeded');
    expect(stored?.object.responseContext).toBeUndefined();
    expect(stored?.object.KinesisBatchInfo.batchSize).toBe(3);
    expect(payloads(stored!.object.payload)).toEqual(['r0', 'r1', 'r2']);
    // Lambda's metric for it, by mapping UUID: what the dashboard's discarded-records widget reads.
    const delivered = metrics.filter((point) => point.name === 'OnFailureDestinationDeliveredEventCount' && point.dimensions.EventSourceMappingUUID === mapping.uuid);
    expect(delivered.map((point) => ({ namespace: point.namespace, value: point.value, dimensions: point.dimensions }))).toEqual([{ namespace: 'AWS/Lambda', value: 3, dimensions: { EventSourceMappingUUID: mapping.uuid } }]);
  });

  it('keeps retrying an on-failure destination that is down, and moves on only once the records are written', async () => {
    let refusals = 0;
    const flaky = (destination: OnFailureDestination): OnFailureDestination => ({
      send: async (batch) => {
        if (refusals++ < 2) throw new Error('S3 is unreachable');
        await destination.send(batch);
      },
    });
    const { mapping, bucket, checkpoints } = await setup(2, async () => undefined, { maximumRecordAgeInSeconds: 60 }, () => Date.now() + 3_600_000, flaky);
    await until(() => mapping.isIdle() && mapping.stats.recordsDiscarded === 2, 'the discard to be written');
    expect(refusals).toBe(3);
    expect(mapping.stats.batchesDiscarded).toBe(1);
    const stored = await onFailureObjects(bucket);
    expect(stored.map(({ object }) => payloads(object.payload))).toEqual([['r0', 'r1']]);
    expect(checkpoints.get('fn', 'shardId-000000000000')).toBe(stored[0]!.object.KinesisBatchInfo.endSequenceNumber);
  });

  it('fails a batch whose function runs past its timeout, ignores its late result, and retries only after it has settled', async () => {
    const runs: Array<{ startedAt: number; endedAt?: number }> = [];
    const { mapping } = await setup(2, async (_event, context) => {
      const run: { startedAt: number; endedAt?: number } = { startedAt: Date.now() };
      runs.push(run);
      // The first invocation overruns its deadline by far, then reports success: too late.
      if (runs.length === 1) await sleep(context.getRemainingTimeInMillis() + 700);
      run.endedAt = Date.now();
      return undefined;
    }, { timeoutSeconds: 0.3, bisectBatchOnFunctionError: false });
    await until(() => mapping.isIdle() && runs.length >= 2, 'the retry after the timeout');
    expect(mapping.stats).toMatchObject({ functionErrors: 1, timeouts: 1, invocations: 2 });
    expect(runs[1]!.startedAt).toBeGreaterThanOrEqual(runs[0]!.endedAt!);
  });
});
