import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { KinesisStreamEvent } from 'aws-lambda';
import { compareSequenceNumbers, CONSUMERS, createLogger, resourceNames, type Logger, type LogLevel, type ServiceName } from '@clickstream/shared';
import { parseBatchResponse } from './esm/invoker';
import { createContext } from './esm/lambda-event';
import { ON_FAILURE_PREFIX, type S3OnFailureObject } from './esm/on-failure';
import type { LambdaInvoke } from './esm/event-source-mapping';
import { loadServiceHandler, localFunctionEnvironment, type LocalFunctionContext } from './services';

/**
 * Replays discarded batches from the on-failure bucket: Lambda's S3 on-failure objects
 * (`aws/lambda/<ESM-UUID>/<shardID>/…`, the on-failure record plus the invocation record under
 * `payload`). Each batch is invoked again with its stored invocation record, unchanged (same
 * shard ids and sequence numbers, so the services' redelivery guards recognise what they have
 * already applied), and, once the function accepted every record, moved under `replayed/`, so a
 * second run replays nothing. A batch whose replay fails stays where it is for the next run.
 */

export const REPLAYED_PREFIX = 'replayed/';

/** The function that discarded a batch, from its on-failure record. */
export interface ReplayFunction {
  functionName: string;
  functionArn: string;
}

/** Invokes the function with `event`; resolves with the function's response, throws its error. */
/** Invokes a function with a stored batch; `replayOf` (the on-failure object's key) tells the handler it is a replay. */
export type ReplayInvoke = (fn: ReplayFunction, event: KinesisStreamEvent & { replayOf?: string }) => Promise<unknown>;

export interface ReplayedBatch {
  key: string;
  functionName: string;
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  records: number;
  condition: string;
  discardedAt: string;
  /** `pending` in a dry run. */
  outcome: 'replayed' | 'failed' | 'pending';
  error?: string;
  replayedKey?: string;
}

export interface ReplayReport {
  bucket: string;
  dryRun: boolean;
  batches: ReplayedBatch[];
  replayed: number;
  failed: number;
  recordsReplayed: number;
}

export interface ReplayOptions {
  s3: S3Client;
  bucket: string;
  invoke: ReplayInvoke;
  /** Only batches discarded by this function. */
  functionName?: string;
  dryRun?: boolean;
}

interface StoredBatch {
  key: string;
  body: string;
  object?: S3OnFailureObject;
  /** Why the object cannot be replayed. */
  problem?: string;
}

export async function replayDiscardedBatches(options: ReplayOptions): Promise<ReplayReport> {
  const stored = await readDiscardedBatches(options.s3, options.bucket);
  const wanted = stored.filter((batch) => options.functionName === undefined || (batch.object !== undefined && functionNameOf(batch.object) === options.functionName));
  const batches: ReplayedBatch[] = [];
  for (const batch of sortInShardOrder(wanted)) batches.push(await replayOne(batch, options));
  return {
    bucket: options.bucket,
    dryRun: options.dryRun ?? false,
    batches,
    replayed: batches.filter((batch) => batch.outcome === 'replayed').length,
    failed: batches.filter((batch) => batch.outcome === 'failed').length,
    recordsReplayed: batches.filter((batch) => batch.outcome === 'replayed').reduce((sum, batch) => sum + batch.records, 0),
  };
}

async function replayOne(batch: StoredBatch, options: ReplayOptions): Promise<ReplayedBatch> {
  const { object } = batch;
  if (object === undefined) {
    return { key: batch.key, functionName: '', shardId: '', startSequenceNumber: '', endSequenceNumber: '', records: 0, condition: '', discardedAt: '', outcome: 'failed', error: batch.problem! };
  }
  const info = object.KinesisBatchInfo;
  const entry = {
    key: batch.key,
    functionName: functionNameOf(object),
    shardId: info.shardId,
    startSequenceNumber: info.startSequenceNumber,
    endSequenceNumber: info.endSequenceNumber,
    records: object.payload.Records.length,
    condition: object.requestContext.condition,
    discardedAt: object.timestamp,
  };
  if (options.dryRun) return { ...entry, outcome: 'pending' };
  try {
    const response = await options.invoke({ functionName: entry.functionName, functionArn: object.requestContext.functionArn }, { ...object.payload, replayOf: batch.key });
    const outcome = parseBatchResponse(response, object.payload.Records.map((record) => ({ SequenceNumber: record.kinesis.sequenceNumber })));
    if (outcome.kind === 'partial') return { ...entry, outcome: 'failed', error: `the function reported a failure from ${outcome.lowest} on; left in place for the next run` };
    if (outcome.kind === 'error') throw outcome.error;
  } catch (error) {
    return { ...entry, outcome: 'failed', error: (error as Error).message };
  }
  const replayedKey = await markReplayed(options.s3, options.bucket, batch);
  return { ...entry, outcome: 'replayed', replayedKey };
}

/** Moves the object under `replayed/` (S3 has no rename: write the copy, then delete the original). */
async function markReplayed(s3: S3Client, bucket: string, batch: StoredBatch): Promise<string> {
  const replayedKey = `${REPLAYED_PREFIX}${batch.key}`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: replayedKey, Body: batch.body, ContentType: 'application/json' }));
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: batch.key }));
  return replayedKey;
}

/** Every on-failure object not yet replayed, parsed; unreadable ones carry the reason. */
async function readDiscardedBatches(s3: S3Client, bucket: string): Promise<StoredBatch[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: ON_FAILURE_PREFIX, ...(token === undefined ? {} : { ContinuationToken: token }) }));
    for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return Promise.all(
    keys.map(async (key) => {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = (await response.Body?.transformToString('utf8')) ?? '';
      return parseStoredBatch(key, body);
    }),
  );
}

function parseStoredBatch(key: string, body: string): StoredBatch {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    return { key, body, problem: `not JSON: ${(error as Error).message}` };
  }
  const object = parsed as Partial<S3OnFailureObject> | null;
  if (!Array.isArray(object?.payload?.Records) || object.KinesisBatchInfo?.shardId === undefined || typeof object.requestContext?.functionArn !== 'string') {
    return { key, body, problem: 'not a Kinesis on-failure object with its payload (requestContext, KinesisBatchInfo, payload.Records)' };
  }
  return { key, body, object: object as S3OnFailureObject };
}

/** `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` → `<name>`. */
export function functionNameOf(object: Pick<S3OnFailureObject, 'requestContext'>): string {
  return object.requestContext.functionArn.split(':')[6] ?? object.requestContext.functionArn;
}

/** Per shard, oldest records first: the order the batches were discarded in. */
function sortInShardOrder(batches: StoredBatch[]): StoredBatch[] {
  return [...batches].sort((a, b) => {
    if (a.object === undefined || b.object === undefined) return a.key < b.key ? -1 : 1;
    const shard = a.object.KinesisBatchInfo.shardId.localeCompare(b.object.KinesisBatchInfo.shardId);
    return shard !== 0 ? shard : compareSequenceNumbers(a.object.KinesisBatchInfo.startSequenceNumber, b.object.KinesisBatchInfo.startSequenceNumber);
  });
}

/** Replays through the deployed functions (synchronous `Invoke`, as the mapping invokes them). */
export function lambdaReplayInvoke(lambda: LambdaClient): ReplayInvoke {
  return async ({ functionName, functionArn }, event) => {
    const result = await lambda.send(new InvokeCommand({ FunctionName: functionArn, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event)) }));
    const text = result.Payload === undefined ? '' : Buffer.from(result.Payload).toString('utf8');
    if (result.FunctionError !== undefined) throw new Error(`${functionName} failed (${result.FunctionError}): ${text.slice(0, 500)}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  };
}

/**
 * Replays through the services' handlers in this process, the way the local stack runs them
 * (`createHandler(dependenciesFromEnv(env))` against the emulators).
 */
export function localReplayInvoke(local: LocalFunctionContext, options: { logLevel?: LogLevel; logger?: Logger } = {}): ReplayInvoke {
  const names = resourceNames(local.project, local.environment);
  const handlers = new Map<ServiceName, Promise<LambdaInvoke>>();
  const logLevel = options.logLevel ?? 'warn';
  return async ({ functionName, functionArn }, event) => {
    const service = (Object.keys(names.functions) as ServiceName[]).find((candidate) => names.functions[candidate] === functionName);
    if (service === undefined) throw new Error(`no local service runs function ${functionName}`);
    if (!handlers.has(service)) {
      const logger = options.logger ?? createLogger({ service, level: logLevel, destination: process.stderr });
      handlers.set(service, loadServiceHandler(service, localFunctionEnvironment(service, local, logLevel), { logger, emfWriter: () => undefined }));
    }
    const handler = await handlers.get(service)!;
    // The identity the mapping invoked it with: the stored ARN, and the role the records name.
    const fn = {
      functionName,
      functionArn,
      roleArn: event.Records[0]?.invokeIdentityArn ?? '',
      region: local.region,
      memorySizeMb: CONSUMERS[service].memorySizeMb,
    };
    return handler(event, createContext(fn, CONSUMERS[service].timeoutSeconds * 1000));
  };
}
