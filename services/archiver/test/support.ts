/**
 * Test fixtures for the archiver: Lambda-shaped Kinesis records, JSON events, an in-memory
 * ArchiveStore for unit tests (integration tests use fauxqs), and readers for archive objects.
 */
import { gunzipSync } from 'node:zlib';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { ObservedContext } from '@clickstream/shared';
import type { ArchiveLine, QuarantineLine } from '../src/contract';
import type { ArchiveStore } from '../src/store';

export const SHARD = 'shardId-000000000001';
export const NOW = Date.parse('2026-11-22T14:30:00.000Z');

/** A realistic 56-digit Kinesis sequence number; `n` orders them. */
export function sequenceNumber(n: number): string {
  return `4966${String(n).padStart(52, '0')}`;
}

export interface RecordSpec {
  n: number;
  data: string | Uint8Array;
  shardId?: string;
  arrivalMs?: number;
  partitionKey?: string;
}

export function kinesisRecord(spec: RecordSpec): KinesisStreamRecord {
  const shardId = spec.shardId ?? SHARD;
  const sequence = sequenceNumber(spec.n);
  const bytes = typeof spec.data === 'string' ? Buffer.from(spec.data, 'utf8') : Buffer.from(spec.data);
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: spec.partitionKey ?? 'session-1',
      sequenceNumber: sequence,
      data: bytes.toString('base64'),
      approximateArrivalTimestamp: (spec.arrivalMs ?? NOW) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${sequence}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/archiver',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/clickstream-analytics-dev-events',
  };
}

/** A valid canonical event whose event time is `minutesAgo` before NOW. */
export function clickEvent(n: number, overrides: Record<string, unknown> = {}, minutesAgo = 1): string {
  return JSON.stringify({
    event_id: `evt-${n}`,
    event_type: 'page_view',
    session_id: `session-${n % 7}`,
    timestamp: new Date(NOW - minutesAgo * 60_000).toISOString(),
    page_url: `https://shop.example.com/p/${n % 13}?ref=mail`,
    user_agent: 'Mozilla/5.0',
    ...overrides,
  });
}

/** Records `from`..`to` (inclusive) of a shard, valid events spread over two event hours. */
export function eventRecords(from: number, to: number): KinesisStreamRecord[] {
  const records: KinesisStreamRecord[] = [];
  for (let n = from; n <= to; n++) records.push(kinesisRecord({ n, data: clickEvent(n, {}, n % 3 === 0 ? 45 : 1) }));
  return records;
}

export function lambdaEvent(records: KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: records };
}

/** A Lambda context; the observability middleware adds `logger` and `metrics` on invocation. */
export function lambdaContext(): ObservedContext {
  const context: Context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'archiver',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:archiver',
    memoryLimitInMB: '256',
    awsRequestId: `req-${Math.random().toString(16).slice(2)}`,
    logGroupName: '/aws/lambda/archiver',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  return context as unknown as ObservedContext;
}

/** Fake S3 for unit tests: keys in order, with failures injected per call. */
export class MemoryArchiveStore implements ArchiveStore {
  readonly objects = new Map<string, Buffer>();
  puts = 0;
  lists = 0;
  /** Return true to make that PUT fail. */
  failPut: (key: string, attempt: number) => boolean = () => false;

  async listKeys(prefix: string, startAfter: string): Promise<string[]> {
    this.lists++;
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix) && key > startAfter).sort();
  }

  async putObject(key: string, body: Uint8Array): Promise<void> {
    this.puts++;
    if (this.failPut(key, this.puts)) throw new Error(`injected failure writing ${key}`);
    this.objects.set(key, Buffer.from(body));
  }
}

/** Decodes a gzip JSON Lines object. */
export function readLines<T = ArchiveLine>(body: Uint8Array): T[] {
  const text = gunzipSync(body).toString('utf8');
  if (!text.endsWith('\n')) throw new Error('JSON Lines object must end with a newline');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as T);
}

/** Every archive line of a set of objects (keys under events/). */
export function archivedLines(objects: ReadonlyMap<string, Uint8Array>): ArchiveLine[] {
  return [...objects].filter(([key]) => key.startsWith('events/')).flatMap(([, body]) => readLines<ArchiveLine>(body));
}

export function quarantinedLines(objects: ReadonlyMap<string, Uint8Array>): QuarantineLine[] {
  return [...objects].filter(([key]) => key.startsWith('quarantine/')).flatMap(([, body]) => readLines<QuarantineLine>(body));
}

/** How many times each sequence number appears; exactly-once means every count is 1. */
export function countBySequence(lines: ReadonlyArray<{ sequence_number: string }>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line.sequence_number, (counts.get(line.sequence_number) ?? 0) + 1);
  return counts;
}

/** The bad-input cases of the event contract (docs/ARCHITECTURE.md), each with the reason it must be quarantined under. */
export const BAD_INPUTS: ReadonlyArray<{ name: string; data: string | Uint8Array; reason: string; field?: string }> = [
  { name: 'not JSON', data: 'this is { not json', reason: 'invalid_json' },
  { name: 'invalid UTF-8', data: Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0xfe, 0x7d]), reason: 'invalid_utf8' },
  { name: 'empty record', data: new Uint8Array(), reason: 'empty_record' },
  { name: 'over the size limit', data: clickEvent(9001, { referrer: 'x'.repeat(2_000) }), reason: 'record_too_large' },
  { name: 'missing session_id', data: JSON.stringify({ event_type: 'click', timestamp: new Date(NOW).toISOString() }), reason: 'missing_field', field: 'session_id' },
  { name: 'mistyped value', data: clickEvent(9002, { value: '12.50' }), reason: 'invalid_field_type', field: 'value' },
  { name: 'future timestamp', data: clickEvent(9003, {}, -60), reason: 'future_timestamp', field: 'timestamp' },
  { name: '__proto__ key', data: '{"event_type":"click","session_id":"s","timestamp":"2026-11-22T14:29:00Z","__proto__":{"admin":true}}', reason: 'forbidden_key', field: '__proto__' },
  { name: 'constructor key', data: clickEvent(9004, { product: { constructor: { prototype: 1 } } }), reason: 'forbidden_key', field: 'product.constructor' },
  { name: 'very long string', data: clickEvent(9005, { user_agent: 'A'.repeat(1_100) }), reason: 'field_too_long', field: 'user_agent' },
  { name: 'control characters in page_url', data: clickEvent(9006, { page_url: 'https://shop.example.com/p/1\u0000<script>' }), reason: 'control_characters', field: 'page_url' },
];

/** The record size limit the BAD_INPUTS "over the size limit" case is built against. */
export const TEST_MAX_RECORD_BYTES = 1_800;
