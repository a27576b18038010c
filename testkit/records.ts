/** Test factories: realistic events and Kinesis records, as Lambda delivers them. */
import type { KinesisStreamRecord } from 'aws-lambda';
import type { StreamRecord } from '@clickstream/shared';

let sequence = 49_600_000_000_000_000_000_000_000_000_000_000_000_000_000_000n;

/** A fresh, increasing 56-digit Kinesis sequence number. */
export function nextSequenceNumber(): string {
  sequence += 1_000_000n;
  return sequence.toString();
}

export function pageView(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: `evt-${Math.random().toString(36).slice(2, 12)}`,
    event_type: 'page_view',
    session_id: 'session-1',
    user_id: 'user-1',
    timestamp: '2026-11-22T10:15:30.000Z',
    page_url: 'https://shop.example.com/products/42?utm_source=mail#reviews',
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36',
    country: 'DE',
    device_type: 'desktop',
    ...overrides,
  };
}

export function streamRecord(data: string | Uint8Array | Record<string, unknown>, options: { shardId?: string; sequenceNumber?: string; arrivalMs?: number } = {}): StreamRecord {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data instanceof Uint8Array ? data : Buffer.from(JSON.stringify(data));
  return {
    shardId: options.shardId ?? 'shardId-000000000000',
    sequenceNumber: options.sequenceNumber ?? nextSequenceNumber(),
    partitionKey: typeof data === 'object' && !(data instanceof Uint8Array) ? String(data.session_id ?? 'pk') : 'pk',
    data: bytes,
    arrivalMs: options.arrivalMs ?? Date.parse('2026-11-22T10:15:31.000Z'),
  };
}

/** The Lambda event record for a stream record (base64 data, seconds timestamp). */
export function lambdaRecord(record: StreamRecord): KinesisStreamRecord {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.partitionKey,
      sequenceNumber: record.sequenceNumber,
      data: Buffer.from(record.data).toString('base64'),
      approximateArrivalTimestamp: record.arrivalMs / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${record.shardId}:${record.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/test',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/test',
  };
}
