import { randomUUID } from 'node:crypto';
import type { _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/** Identity of the function a mapping invokes, as Lambda would report it. */
export interface FunctionIdentity {
  functionName: string;
  functionArn: string;
  roleArn: string;
  region: string;
  memorySizeMb: number;
}

/**
 * The record Lambda sends for a Kinesis record: base64 `data`, `approximateArrivalTimestamp` in
 * epoch seconds with a millisecond fraction, `eventID` = `<shardId>:<sequenceNumber>`.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
 */
export function toLambdaRecord(record: KinesisRecord, shardId: string, streamArn: string, fn: FunctionIdentity): KinesisStreamRecord {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber: record.SequenceNumber ?? '',
      data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: arrivalMs(record) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${record.SequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: fn.roleArn,
    awsRegion: fn.region,
    eventSourceARN: streamArn,
  };
}

/** A record's ApproximateArrivalTimestamp in epoch ms (Kinesis always sets it). */
export function arrivalMs(record: KinesisRecord): number {
  return record.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
}

export function toLambdaEvent(records: readonly KinesisRecord[], shardId: string, streamArn: string, fn: FunctionIdentity): KinesisStreamEvent {
  return { Records: records.map((record) => toLambdaRecord(record, shardId, streamArn, fn)) };
}

/** A Node.js Lambda context (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html). */
export function createContext(fn: FunctionIdentity, timeoutMs: number, now: () => number = Date.now): Context {
  const deadline = now() + timeoutMs;
  const awsRequestId = randomUUID();
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is deprecated and not supported; return a value or throw instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: fn.functionArn,
    memoryLimitInMB: String(fn.memorySizeMb),
    awsRequestId,
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: `${new Date(now()).toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${awsRequestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
