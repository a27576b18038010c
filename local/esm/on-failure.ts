import { createHash, randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import type { DiscardCondition } from './decision';
import { arrivalMs } from './lambda-event';

/**
 * Lambda's on-failure record for a discarded Kinesis batch
 * (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html). Records
 * discarded before any invocation carry no `responseContext`; a partial batch response leaves
 * `functionError` out.
 */
export interface OnFailureRecord {
  requestContext: { requestId: string; functionArn: string; condition: DiscardCondition; approximateInvokeCount: number };
  responseContext?: { statusCode: number; executedVersion: string; functionError?: string };
  version: '1.0';
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

/**
 * What Lambda writes to an S3 on-failure destination: the on-failure record and the whole
 * invocation record under `payload` ("For Amazon S3 destinations, Lambda also sends the entire
 * invocation record along with the metadata").
 */
export interface S3OnFailureObject extends OnFailureRecord {
  payload: KinesisStreamEvent;
}

export interface DiscardedBatch {
  /** The mapping's UUID (Lambda names S3 on-failure objects after it). */
  mappingUuid: string;
  failure: OnFailureRecord;
  /** The invocation record of the discarded records, as the function would have received it. */
  invocation: KinesisStreamEvent;
}

export interface OnFailureDestination {
  send(batch: DiscardedBatch): Promise<void>;
}

export interface OnFailureInput {
  functionArn: string;
  streamArn: string;
  shardId: string;
  records: readonly KinesisRecord[];
  condition: DiscardCondition;
  invokeCount: number;
  functionError?: string;
  nowMs: number;
}

/** Builds the on-failure record for discarded `records` (in shard order). */
export function onFailureRecord(input: OnFailureInput): OnFailureRecord {
  const first = input.records[0];
  const last = input.records[input.records.length - 1];
  if (first === undefined || last === undefined) throw new Error('an on-failure record needs at least one record');
  const failure: OnFailureRecord = {
    requestContext: { requestId: randomUUID(), functionArn: input.functionArn, condition: input.condition, approximateInvokeCount: input.invokeCount },
    version: '1.0',
    timestamp: new Date(input.nowMs).toISOString(),
    KinesisBatchInfo: {
      shardId: input.shardId,
      startSequenceNumber: first.SequenceNumber!,
      endSequenceNumber: last.SequenceNumber!,
      approximateArrivalOfFirstRecord: new Date(arrivalMs(first)).toISOString(),
      approximateArrivalOfLastRecord: new Date(arrivalMs(last)).toISOString(),
      batchSize: input.records.length,
      streamArn: input.streamArn,
    },
  };
  if (input.invokeCount > 0 && input.condition === 'RetryAttemptsExhausted') {
    failure.responseContext = { statusCode: 200, executedVersion: '$LATEST', ...(input.functionError === undefined ? {} : { functionError: input.functionError }) };
  }
  return failure;
}

/** Where Lambda's S3 on-failure objects live: `aws/lambda/<ESM-UUID>/<shardID>/…`. */
export const ON_FAILURE_PREFIX = 'aws/lambda/';

/** `aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>`, in UTC. */
export function onFailureObjectKey(mappingUuid: string, shardId: string, at: Date, unique: string = randomUUID()): string {
  const iso = at.toISOString();
  const day = `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}`;
  const stamp = `${iso.slice(0, 10)}T${iso.slice(11, 19).replace(/:/g, '.')}`;
  return `${ON_FAILURE_PREFIX}${mappingUuid}/${shardId}/${day}/${stamp}-${unique}`;
}

/** Lambda's S3 on-failure destination on an S3 bucket (fauxqs locally). */
export class S3OnFailureDestination implements OnFailureDestination {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async send({ mappingUuid, failure, invocation }: DiscardedBatch): Promise<void> {
    const body: S3OnFailureObject = { ...failure, payload: invocation };
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: onFailureObjectKey(mappingUuid, failure.KinesisBatchInfo.shardId, new Date(failure.timestamp)),
        Body: JSON.stringify(body),
        ContentType: 'application/json',
      }),
    );
  }
}

/**
 * A stable UUID for a mapping id (name-based, RFC 4122 version 5 layout), so the on-failure
 * objects of one local mapping share a prefix across restarts, as a Lambda mapping's UUID does.
 */
export function mappingUuid(mappingId: string): string {
  const bytes = createHash('sha1').update(`clickstream-local-esm:${mappingId}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
