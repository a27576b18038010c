import type { KinesisStreamRecord } from 'aws-lambda';

/** The slice of a Lambda Kinesis record the services read. */
export interface StreamRecord {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  /** Raw record bytes (already base64-decoded). */
  data: Uint8Array;
  /** Arrival time at Kinesis in epoch ms. */
  arrivalMs: number;
}

/**
 * Decodes a record of the event Lambda sends: `data` is base64, `approximateArrivalTimestamp`
 * is epoch seconds with a millisecond fraction, and `eventID` is `<shardId>:<sequenceNumber>`.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
 */
export function decodeKinesisRecord(record: KinesisStreamRecord): StreamRecord {
  const { kinesis } = record;
  const separator = record.eventID.lastIndexOf(':');
  return {
    shardId: separator > 0 ? record.eventID.slice(0, separator) : 'shardId-unknown',
    sequenceNumber: kinesis.sequenceNumber,
    partitionKey: kinesis.partitionKey,
    data: Buffer.from(kinesis.data, 'base64'),
    arrivalMs: Math.round(kinesis.approximateArrivalTimestamp * 1000),
  };
}

/**
 * Encodes a Kinesis sequence number (a decimal string of up to 129 digits) so that plain
 * string comparison, in JavaScript or in a DynamoDB condition, orders it numerically.
 */
export function sequenceKey(sequenceNumber: string): string {
  return `${sequenceNumber.length.toString().padStart(3, '0')}${sequenceNumber}`;
}

/** Numeric comparison of two sequence numbers without BigInt. */
export function compareSequenceNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
