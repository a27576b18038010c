/**
 * What a scenario script uses to drive the pipeline: the next records of the traffic model and a
 * PutRecords call that retries failed entries (load-test/producer.ts). The runner binds it to
 * its target (in-process local stack, a running `npm start`, or AWS) before `setup()`.
 *
 * Under k6 itself this module is the one part to replace: a `putBatch` on jslib's
 * `KinesisClient.putRecords` (https://jslib.k6.io/aws/) and the traffic model bundled with the script.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Counter, Trend } from '../k6/metrics';
import { putRecords, type PutResult } from '@clickstream/shared';
import type { TrafficFeed } from '../feed';
import type { LatencyProbe } from '../latency';
import type { Ledger } from '../ledger';
import type { TrafficRecord } from '../../testkit/traffic';

/** How a script shapes its traffic; the runner reads `export const pipeline` from the script. */
export interface PipelineOptions {
  /** Records per iteration (one PutRecords call, at most 500). */
  recordsPerIteration: number;
  /** The peak events/s the scenario drives; sessions are laid out for it. */
  eventsPerSecond: number;
  /** Stream shards when the runner starts its own local stack (default 2). */
  shards?: number;
  seed?: number;
  botShare?: number;
  invalidShare?: number;
  camelCaseShare?: number;
}

export interface Binding {
  target: string;
  streamName: string;
  kinesis: KinesisClient;
  feed: TrafficFeed;
  ledger: Ledger;
  probe?: LatencyProbe;
}

export interface BatchOutcome extends PutResult {
  durationMs: number;
}

/** End-to-end latency samples (see LatencyProbe for the method). */
export const e2eLatency = new Trend('e2e_latency', true);
const eventsSent = new Counter('events_sent');
const eventsFailed = new Counter('events_failed');
const eventsRetried = new Counter('events_retried');
const bytesSent = new Counter('data_sent', true);

let binding: Binding | undefined;

export function bind(next: Binding | undefined): void {
  binding = next;
}

function bound(): Binding {
  if (binding === undefined) throw new Error('load-test/lib/clickstream is not bound to a target: run the script with `npm run load-test -- <script>`');
  return binding;
}

export const clickstream = {
  get target(): string {
    return bound().target;
  },
  get streamName(): string {
    return bound().streamName;
  },
  /** The next `count` records of the traffic model, in event-time order. */
  nextBatch(count: number): TrafficRecord[] {
    return bound().feed.take(count);
  },
  /** One PutRecords call (plus retries of failed entries); what Kinesis accepted goes to the ledger. */
  async put(records: TrafficRecord[]): Promise<BatchOutcome> {
    const { kinesis, streamName, ledger, probe } = bound();
    const startedMs = Date.now();
    const started = performance.now();
    let result: PutResult;
    try {
      result = await putRecords(kinesis, streamName, records);
    } catch (error) {
      ledger.recordUnknown(records.length);
      eventsFailed.add(records.length);
      throw error;
    }
    const durationMs = performance.now() - started;
    ledger.record(records, result.failedIndexes);
    eventsSent.add(result.sent);
    eventsFailed.add(result.failed);
    eventsRetried.add(result.retried);
    bytesSent.add(records.reduce((sum, record) => sum + Buffer.byteLength(record.data), 0));
    if (probe !== undefined) {
      const failed = new Set(result.failedIndexes);
      for (let index = records.length - 1; index >= 0; index--) {
        const record = records[index]!;
        const count = ledger.sessionEvents.get(record.sessionId);
        if (record.kind !== 'invalid' && !failed.has(index) && count !== undefined) {
          probe.track(record.sessionId, count, startedMs);
          break;
        }
      }
    }
    return { ...result, durationMs };
  },
};
