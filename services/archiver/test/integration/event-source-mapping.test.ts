import { PutRecordsCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { CONSUMERS, createLogger, functionEnvironment, httpHandler, sleep } from '@clickstream/shared';
import { MemoryCheckpointStore } from '../../../../local/esm/checkpoints';
import { EventSourceMapping, type LambdaInvoke } from '../../../../local/esm/event-source-mapping';
import { startTestStack } from '../../../../local/testing';
import { createHandler, dependenciesFromEnv } from '../../src/handler';
import { archivedLines, countBySequence } from '../support';
import { readAllObjects } from '../s3-support';

/**
 * The archiver behind the local Lambda-like event source mapping (kinesalite + fauxqs), with
 * the redeliveries produced by the mapping itself: a function error bisects the batch, and a
 * partial batch response is cut at a middle record whose remainder is retried (with bisect on,
 * as Lambda does; the re-poll with more records that bisect-off produces is covered in
 * fauxqs-archive.test.ts).
 */
type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let kinesis: KinesisClient;
let s3: S3Client;

beforeAll(async () => {
  stack = await startTestStack({ services: [], shardCount: 1 });
  const common = { region: stack.manifest.region, credentials: stack.manifest.credentials, requestHandler: httpHandler() };
  kinesis = new KinesisClient({ ...common, endpoint: stack.manifest.endpoints.kinesis });
  s3 = new S3Client({ ...common, endpoint: stack.manifest.endpoints.s3, forcePathStyle: true });
});

afterAll(async () => {
  kinesis?.destroy();
  s3?.destroy();
  await stack?.stop();
});

function archiverInvoke(): LambdaInvoke {
  const env = {
    ...functionEnvironment({ service: 'archiver', project: stack.manifest.project, environment: stack.manifest.environment, names: stack.names }),
    AWS_REGION: stack.manifest.region,
    AWS_ACCESS_KEY_ID: stack.manifest.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: stack.manifest.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_S3: stack.manifest.endpoints.s3,
  };
  const handler = createHandler(dependenciesFromEnv(env, { logger: createLogger({ service: 'archiver', level: 'silent' }), emfWriter: () => undefined }));
  return handler as unknown as LambdaInvoke;
}

async function putEvents(from: number, to: number): Promise<void> {
  const entries = [];
  for (let n = from; n <= to; n++) {
    const minutesAgo = n % 4 === 0 ? 70 : 0;
    const event = { event_id: `esm-${n}`, event_type: 'click', session_id: `s-${n % 5}`, timestamp: new Date(Date.now() - minutesAgo * 60_000).toISOString() };
    entries.push({ Data: Buffer.from(JSON.stringify(event)), PartitionKey: event.session_id });
  }
  const result = await kinesis.send(new PutRecordsCommand({ StreamName: stack.names.stream, Records: entries }));
  expect(result.FailedRecordCount ?? 0).toBe(0);
}

function startMapping(id: string, invoke: LambdaInvoke): EventSourceMapping {
  const functionName = stack.names.functions.archiver;
  const mapping = new EventSourceMapping({
    id,
    fn: { functionName, functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`, roleArn: 'arn:aws:iam::000000000000:role/archiver', region: 'us-east-1', memorySizeMb: 256 },
    streamName: stack.names.stream,
    streamArn: stack.resources.streamArn,
    settings: { ...CONSUMERS.archiver, maximumBatchingWindowInSeconds: 0 },
    kinesis,
    invoke,
    checkpoints: new MemoryCheckpointStore(),
    logger: createLogger({ service: 'archiver-esm', level: 'silent' }),
    pollIntervalMs: 20,
    retryDelayMs: 10,
  });
  return mapping;
}

async function drain(mapping: EventSourceMapping): Promise<void> {
  for (let idle = 0; idle < 3; idle = mapping.isIdle() ? idle + 1 : 0) await sleep(50);
}

it('archives each event once through a crash-then-bisect and a partial failure retried from a middle record', async () => {
  await putEvents(1, 120);
  const archive = archiverInvoke();
  const sizes: number[] = [];
  let crashed = false;
  let reportedPartial = false;
  let redeliveredAfterPartial: { failedRemainder: number; retrySize?: number } | undefined;
  const invoke: LambdaInvoke = async (event: KinesisStreamEvent, context: Context) => {
    sizes.push(event.Records.length);
    if (redeliveredAfterPartial !== undefined && redeliveredAfterPartial.retrySize === undefined) redeliveredAfterPartial.retrySize = event.Records.length;
    if (!crashed && event.Records.length > 1) {
      // Crash mid-batch: the first half's objects are written, then the function dies.
      crashed = true;
      await archive({ Records: event.Records.slice(0, Math.floor(event.Records.length / 2)) }, context);
      throw new Error('Runtime exited: out of memory');
    }
    const response = await archive(event, context);
    if (crashed && !reportedPartial && event.Records.length > 10 && sizes.length > 3) {
      // Report a middle record as failed after writing the whole batch; meanwhile more records arrive.
      reportedPartial = true;
      await putEvents(121, 180);
      const middle = Math.floor(event.Records.length / 2);
      redeliveredAfterPartial = { failedRemainder: event.Records.length - middle };
      return { batchItemFailures: [{ itemIdentifier: event.Records[middle]!.kinesis.sequenceNumber }] };
    }
    return response;
  };
  const mapping = startMapping('archiver-redelivery', invoke);
  await mapping.start();
  try {
    await drain(mapping);
    await putEvents(181, 200);
    await drain(mapping);
  } finally {
    await mapping.stop();
  }

  expect(mapping.stats.functionErrors).toBe(1);
  expect(mapping.stats.partialFailures).toBe(1);
  expect(mapping.stats.recordsDelivered).toBeGreaterThan(200);
  // Bisect on: the retry after the partial failure held exactly the failed remainder.
  expect(redeliveredAfterPartial!.retrySize).toBe(redeliveredAfterPartial!.failedRemainder);
  const lines = archivedLines(await readAllObjects(s3, stack.names.archiveBucket));
  const counts = countBySequence(lines);
  expect(counts.size).toBe(200);
  expect([...counts.values()].every((count) => count === 1)).toBe(true);
  expect(new Set(lines.map((line) => line.event_id)).size).toBe(200);
});
