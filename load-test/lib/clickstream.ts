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
import { COLLECTOR_PATHS, WRITE_KEY_HEADER, type ErrorResponse, type EventsResponse, type EventVerdict } from '../../services/collector/src/contract';

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
  /** Send through the collector instead of PutRecords. */
  collector?: { url: string; writeKey?: string };
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
      const { collector } = bound();
      result = collector === undefined ? await putRecords(kinesis, streamName, records) : await postToCollector(collector, records, ledger);
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

/**
 * One POST of the records to the collector as NDJSON (each record's bytes one line, malformed
 * ones included, as a producer would send them), in requests of at most 500. A 503 marks the
 * events it did not write; they count as failed, like entries Kinesis refused. Events the
 * collector wrote without an `event_id` are known by their derived id (`derived:<shard>:<seq>`),
 * which is how the verification finds their quarantine lines.
 */
async function postToCollector(collector: { url: string; writeKey?: string }, records: TrafficRecord[], ledger: Ledger): Promise<PutResult> {
  const result: PutResult = { sent: 0, failed: 0, requests: 0, retried: 0, failedIndexes: [] };
  for (let offset = 0; offset < records.length; offset += 500) {
    const group = records.slice(offset, offset + 500);
    result.requests++;
    const response = await fetch(`${collector.url}${COLLECTOR_PATHS.events}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', ...(collector.writeKey ? { [WRITE_KEY_HEADER]: collector.writeKey } : {}) },
      body: group.map((record) => record.data).join('\n'),
    });
    const body = (await response.json()) as EventsResponse & ErrorResponse;
    const verdicts: EventVerdict[] | undefined = body.events;
    if (verdicts === undefined || (response.status !== 200 && response.status !== 503)) throw new Error(`collector answered ${response.status}: ${body.error ?? ''} ${body.message ?? ''}`);
    verdicts.forEach((verdict, index) => {
      if (verdict.status === 'not_written') {
        result.failed++;
        result.failedIndexes!.push(offset + index);
        return;
      }
      result.sent++;
      if (verdict.status === 'quarantined' && verdict.event_id?.startsWith('derived:')) ledger.rejectedPositions.add(verdict.event_id.slice('derived:'.length));
    });
  }
  return result;
}
