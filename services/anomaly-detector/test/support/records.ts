import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { decideBatch, type DecidedBatch, type ObservedContext, type StreamRecord } from '@clickstream/shared';
import { lambdaRecord } from '../../../../testkit/records';

/** A canonical event as a producer sends it (snake_case JSON). */
export type RawEvent = Record<string, unknown>;

export const BROWSER_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
export const MOBILE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
export const GOOGLEBOT_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

export const T0 = Date.parse('2026-11-22T10:00:00.000Z');

let eventCounter = 0;

/** An event with sensible defaults; `at` is epoch ms of event time. */
export function event(overrides: RawEvent & { at?: number } = {}): RawEvent {
  const { at, ...rest } = overrides;
  eventCounter++;
  return {
    event_id: `evt-${eventCounter.toString().padStart(8, '0')}`,
    event_type: 'page_view',
    session_id: 'session-1',
    timestamp: new Date(at ?? T0).toISOString(),
    page_url: 'https://shop.example.com/',
    user_agent: BROWSER_UA,
    country: 'DE',
    ...rest,
  };
}

/** Hands out increasing Kinesis sequence numbers per shard (56 digits, as Kinesis does). */
export class SequenceClock {
  private next = 1n;
  take(): string {
    const value = this.next++;
    return `4966${value.toString().padStart(52, '0')}`;
  }
}

/** Stream records of one shard, in order (decide them with `decided` for `detectBatch`). */
export function streamRecords(events: readonly RawEvent[], clock: SequenceClock, shardId = 'shardId-000000000000'): StreamRecord[] {
  return events.map((raw) => ({
    shardId,
    sequenceNumber: clock.take(),
    partitionKey: String(raw.session_id ?? 'none'),
    data: Buffer.from(typeof raw === 'string' ? raw : JSON.stringify(raw)),
    // Kinesis stamps arrival a moment after the event happened.
    arrivalMs: (typeof raw === 'object' && Date.parse(String(raw.timestamp))) || T0,
  }));
}

/** The Lambda event for stream records (base64 data, `eventID` = `<shardId>:<sequenceNumber>`). */
export function kinesisEvent(records: readonly StreamRecord[]): KinesisStreamEvent {
  return { Records: records.map(lambdaRecord) };
}

/** A Lambda context; middy's observability middleware adds the logger and metrics. */
export function lambdaContext(): ObservedContext {
  const context: Partial<Context> = {
    awsRequestId: `req-${Math.random().toString(16).slice(2)}`,
    functionName: 'anomaly-detector',
    getRemainingTimeInMillis: () => 60_000,
  };
  return context as ObservedContext;
}

/** A batch decided the way the shared stream handler decides it, for `detectBatch`. */
export function decided(records: readonly StreamRecord[]): DecidedBatch {
  return decideBatch(records, { maxFutureSkewMs: 300_000, maxEventAgeMs: 7 * 86_400_000, maxRecordBytes: 1_048_576 });
}
