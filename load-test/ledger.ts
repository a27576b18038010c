import { minuteWindow } from '@clickstream/shared';
import type { TrafficRecord } from '../testkit/traffic';

/** Seconds ahead of the wall clock an event time may be (the pipeline's default MAX_FUTURE_SKEW_SECONDS). */
const MAX_FUTURE_SKEW_MS = 300_000;

/**
 * What a record should become, judged from its bytes by the event contract (docs/ARCHITECTURE.md), without
 * the pipeline's code: the rejection reason, or undefined when it should be accepted. Covers the
 * invalid records the traffic model makes (malformed JSON, missing `session_id` or `page_url`,
 * future timestamps).
 */
export function expectedRejection(data: string, nowMs: number): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return 'invalid_json';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'not_an_object';
  const event = parsed as Record<string, unknown>;
  const sessionId = event.session_id ?? event.sessionId;
  const type = event.event_type ?? event.eventName;
  if (typeof type !== 'string' || typeof sessionId !== 'string' || sessionId === '') return 'missing_field';
  const timestamp = event.timestamp;
  if (timestamp === undefined) return 'missing_field';
  const timeMs = typeof timestamp === 'number' ? timestamp : Date.parse(String(timestamp));
  if (Number.isNaN(timeMs)) return 'invalid_timestamp';
  if (timeMs > nowMs + MAX_FUTURE_SKEW_MS) return 'future_timestamp';
  if (type === 'page_view' && (event.page_url ?? event.pageUrl) === undefined) return 'missing_field';
  return undefined;
}

/**
 * The runner's record of what Kinesis accepted, by what each record should become: accepted
 * events by type and event-time minute, sessions with their event counts, rejections by reason,
 * bot sessions. End-to-end verification compares the pipeline's outputs with it.
 */
export class Ledger {
  readonly acceptedByType = new Map<string, number>();
  readonly acceptedByMinute = new Map<string, number>();
  readonly sessionEvents = new Map<string, number>();
  readonly rejectedByReason = new Map<string, number>();
  /** Partition keys (session ids) of rejected records, to tell the run's quarantine lines from others'. */
  readonly rejectedPartitionKeys = new Set<string>();
  /** `<shardId>:<sequenceNumber>` of rejected records whose partition key the runner did not choose (sent through the collector). */
  readonly rejectedPositions = new Set<string>();
  readonly botSessions = new Set<string>();
  /** Accepted page views and events per page path and event-time minute (`<path>\u0000<minute>`). */
  readonly pages = new Map<string, { pageViews: number; events: number }>();
  /** Bot sessions' accepted events per event-time minute (what the session_rate rule judges). */
  readonly botMinuteCounts = new Map<string, Map<string, number>>();
  accepted = 0;
  rejected = 0;
  /** Records made invalid on purpose that the contract accepts (a future time on a backdated run). */
  acceptedInvalid = 0;
  /** Records Kinesis refused after every retry: never written, not expected downstream. */
  failed = 0;
  /** Records of PutRecords calls that threw: written or not, nobody knows. */
  unknown = 0;
  firstEventMs = Number.POSITIVE_INFINITY;
  lastEventMs = Number.NEGATIVE_INFINITY;
  bytes = 0;

  /** Records one PutRecords outcome; returns the accepted records' session ids with their new counts. */
  record(records: readonly TrafficRecord[], failedIndexes: readonly number[] = [], nowMs = Date.now()): void {
    const failed = new Set(failedIndexes);
    records.forEach((record, index) => {
      if (failed.has(index)) {
        this.failed++;
        return;
      }
      this.bytes += Buffer.byteLength(record.data);
      const reason = record.expected !== undefined ? (record.expected === 'accepted' ? undefined : record.expected) : record.kind === 'invalid' ? expectedRejection(record.data, nowMs) : undefined;
      if (reason !== undefined) {
        this.rejected++;
        increment(this.rejectedByReason, reason);
        this.rejectedPartitionKeys.add(record.partitionKey);
        return;
      }
      // A record made invalid on purpose (a future timestamp) is accepted when the run's events are
      // backdated: it counts in the minute of the timestamp it carries.
      const sent = record.kind === 'invalid' || record.eventType === undefined ? (JSON.parse(record.data) as { event_type?: string; eventName?: string; timestamp?: string }) : undefined;
      const type = record.eventType ?? String(sent?.event_type ?? sent?.eventName);
      const eventTimeMs = sent?.timestamp === undefined ? record.eventTimeMs : Date.parse(sent.timestamp);
      this.accepted++;
      if (record.kind === 'invalid') this.acceptedInvalid++;
      increment(this.acceptedByType, type);
      increment(this.acceptedByMinute, minuteWindow(eventTimeMs));
      if (record.pagePath !== undefined) {
        const page = this.pages.get(`${record.pagePath}\u0000${minuteWindow(eventTimeMs)}`) ?? { pageViews: 0, events: 0 };
        page.events++;
        if (type === 'page_view') page.pageViews++;
        this.pages.set(`${record.pagePath}\u0000${minuteWindow(eventTimeMs)}`, page);
      }
      increment(this.sessionEvents, record.sessionId);
      if (record.kind === 'bot') {
        this.botSessions.add(record.sessionId);
        let minutes = this.botMinuteCounts.get(record.sessionId);
        if (minutes === undefined) this.botMinuteCounts.set(record.sessionId, (minutes = new Map()));
        increment(minutes, minuteWindow(eventTimeMs));
      }
      if (eventTimeMs < this.firstEventMs) this.firstEventMs = eventTimeMs;
      if (eventTimeMs > this.lastEventMs) this.lastEventMs = eventTimeMs;
    });
  }

  /** Bot sessions that sent more than `perMinute` events in some event-time minute. */
  botSessionsAbove(perMinute: number): string[] {
    return [...this.botMinuteCounts].filter(([, minutes]) => [...minutes.values()].some((count) => count > perMinute)).map(([session]) => session);
  }

  recordUnknown(count: number): void {
    this.unknown += count;
  }

  /** Every event-time minute (`window_start`) the accepted events fall in, in order. */
  minutes(): string[] {
    return [...this.acceptedByMinute.keys()].sort();
  }

  toJSON(): Record<string, unknown> {
    return {
      accepted: this.accepted,
      rejected: this.rejected,
      acceptedInvalid: this.acceptedInvalid,
      failed: this.failed,
      unknown: this.unknown,
      sessions: this.sessionEvents.size,
      botSessions: this.botSessions.size,
      acceptedByType: Object.fromEntries([...this.acceptedByType].sort()),
      rejectedByReason: Object.fromEntries([...this.rejectedByReason].sort()),
      eventTime: this.accepted === 0 ? null : { first: new Date(this.firstEventMs).toISOString(), last: new Date(this.lastEventMs).toISOString() },
    };
  }
}

function increment(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}
