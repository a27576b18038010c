import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamEvent } from 'aws-lambda';
import { CONSUMERS, createLogger, httpHandler, sleep } from '@clickstream/shared';
import { putRecords } from '@clickstream/shared';
import { startFauxqs, startKinesis, type Emulator } from '../../emulators';
import { MemoryCheckpointStore } from '../../esm/checkpoints';
import { EventSourceMapping, type LambdaInvoke, type MappingSettings, type OnFailureRecord } from '../../esm/event-source-mapping';

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
let kinesisEmulator: Emulator;
let sqsEmulator: Emulator;
let kinesis: KinesisClient;
let sqs: SQSClient;
let streamCount = 0;
const mappings: EventSourceMapping[] = [];

beforeAll(async () => {
  [kinesisEmulator, sqsEmulator] = await Promise.all([startKinesis({ port: 0 }), startFauxqs({ port: 0 })]);
  kinesis = new KinesisClient({ region: 'us-east-1', endpoint: kinesisEmulator.endpoint, credentials, requestHandler: httpHandler() });
  sqs = new SQSClient({ region: 'us-east-1', endpoint: sqsEmulator.endpoint, credentials, requestHandler: httpHandler() });
}, 30_000);
afterEach(async () => {
  await Promise.all(mappings.splice(0).map((mapping) => mapping.stop()));
});
afterAll(async () => {
  await Promise.all([kinesisEmulator.stop(), sqsEmulator.stop()]);
});

/** A one-shard stream with `count` records `r0…`, and a mapping on it driving `invoke`. */
async function setup(count: number, invoke: LambdaInvoke, settings: Partial<MappingSettings> = {}, now?: () => number) {
  const streamName = `esm-${streamCount++}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
  let arn: string | undefined;
  while (arn === undefined) {
    const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary?.StreamStatus === 'ACTIVE') arn = summary.StreamARN;
    else await sleep(20);
  }
  await putRecords(kinesis, streamName, Array.from({ length: count }, (_, index) => ({ partitionKey: 'key', data: `r${index}` })));
  const { QueueUrl: queueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${streamName}-on-failure` }));
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
    onFailure: { send: async (record) => void (await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(record) }))) },
    logger: createLogger({ service: 'esm-test', level: 'silent' }),
    pollIntervalMs: 20,
    retryDelayMs: 5,
    ...(now ? { now } : {}),
  });
  mappings.push(mapping);
  await mapping.start();
  return { mapping, checkpoints, queueUrl: queueUrl!, streamArn: arn };
}

const payloads = (event: KinesisStreamEvent) => event.Records.map((record) => Buffer.from(record.kinesis.data, 'base64').toString());

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function onFailureRecords(queueUrl: string): Promise<OnFailureRecord[]> {
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  return Messages.map((message) => JSON.parse(message.Body!) as OnFailureRecord);
}

describe('local event source mapping (kinesalite + fauxqs SQS)', () => {
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

  it('re-polls from the lowest reported failure, with more records than the failed batch', async () => {
    const batches: string[][] = [];
    const { mapping } = await setup(25, async (event) => {
      const data = payloads(event);
      batches.push(data);
      if (batches.length === 1) {
        // Report r6 and r3: the lowest (r3) is the checkpoint.
        const failed = [event.Records[6]!, event.Records[3]!].map((record) => ({ itemIdentifier: record.kinesis.sequenceNumber }));
        return { batchItemFailures: failed };
      }
      return { batchItemFailures: [] };
    });
    await until(() => mapping.isIdle() && batches.flat().includes('r24'), 'all records');
    expect(batches[0]).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9']);
    expect(batches[1]).toEqual(['r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12']);
    expect(mapping.stats.partialFailures).toBe(1);
  });

  it('bisects a batch with a poison record, retries it to the limit, and sends Lambda\'s on-failure record to SQS', async () => {
    const delivered: string[] = [];
    const { mapping, queueUrl, streamArn } = await setup(10, async (event) => {
      const data = payloads(event);
      if (data.includes('r6')) throw new Error('poison');
      delivered.push(...data);
      return undefined;
    });
    await until(() => mapping.isIdle() && mapping.stats.recordsDiscarded === 1, 'the poison record to be discarded');
    expect(delivered.sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r7', 'r8', 'r9'].sort());
    const [failure] = await onFailureRecords(queueUrl);
    expect(failure).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', approximateInvokeCount: 3 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      KinesisBatchInfo: { shardId: 'shardId-000000000000', batchSize: 1, streamArn },
    });
    expect(failure!.KinesisBatchInfo.startSequenceNumber).toBe(failure!.KinesisBatchInfo.endSequenceNumber);
  });

  it('without bisect retries the whole batch until it succeeds', async () => {
    let calls = 0;
    const { mapping } = await setup(5, async () => {
      calls++;
      if (calls < 3) throw new Error('flaky dependency');
      return { batchItemFailures: [] };
    }, { bisectBatchOnFunctionError: false });
    await until(() => mapping.isIdle() && calls >= 3, 'success on the third attempt');
    expect(calls).toBe(3);
    expect(mapping.stats).toMatchObject({ functionErrors: 2, recordsDiscarded: 0 });
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

  it('discards records older than MaximumRecordAgeInSeconds without invoking, as RecordAgeExceeded', async () => {
    let invoked = 0;
    const inAnHour = () => Date.now() + 3_600_000;
    const { mapping, queueUrl } = await setup(3, async () => {
      invoked++;
      return undefined;
    }, { maximumRecordAgeInSeconds: 60 }, inAnHour);
    await until(() => mapping.isIdle() && mapping.stats.recordsDiscarded === 3, 'the old records to be discarded');
    expect(invoked).toBe(0);
    const [failure] = await onFailureRecords(queueUrl);
    expect(failure?.requestContext.condition).toBe('RecordAgeExceeded');
    expect(failure?.responseContext).toBeUndefined();
    expect(failure?.KinesisBatchInfo.batchSize).toBe(3);
  });

  it('fails a batch whose function runs past its timeout, then retries it', async () => {
    let calls = 0;
    const { mapping } = await setup(2, async (_event, context) => {
      calls++;
      if (calls === 1) await sleep(context.getRemainingTimeInMillis() + 200);
      return undefined;
    }, { timeoutSeconds: 0.3, bisectBatchOnFunctionError: false });
    await until(() => mapping.isIdle() && calls >= 2, 'the retry after the timeout');
    expect(mapping.stats.functionErrors).toBe(1);
  });
});
