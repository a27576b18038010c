import { compareSequenceNumbers, decodeEvent, type ClickstreamEvent, type Rejection, type StreamRecord, type ValidationOptions } from '@clickstream/shared';
import { aggregateEvents, type Aggregates, type AggregatedEvent } from './aggregate';
import { applyToSession, type SessionItem, type SessionOptions } from './sessions';

export interface DecodedRecord {
  record: StreamRecord;
  event: ClickstreamEvent;
}

export interface RejectedRecord {
  record: StreamRecord;
  rejection: Rejection;
}

/** Decodes and validates a batch; bad records are set aside with their reason, never thrown. */
export function decodeBatch(records: readonly StreamRecord[], validation: ValidationOptions): { accepted: DecodedRecord[]; rejected: RejectedRecord[] } {
  const accepted: DecodedRecord[] = [];
  const rejected: RejectedRecord[] = [];
  for (const record of records) {
    const result = decodeEvent(record.data, record, validation);
    if (result.ok) accepted.push({ record, event: result.event });
    else rejected.push({ record, rejection: result });
  }
  return { accepted, rejected };
}

/** Accepted records grouped by session, each group in stream order. */
export function groupBySession(accepted: readonly DecodedRecord[]): Map<string, DecodedRecord[]> {
  const sessions = new Map<string, DecodedRecord[]>();
  for (const decoded of accepted) {
    const group = sessions.get(decoded.event.session_id);
    if (group === undefined) sessions.set(decoded.event.session_id, [decoded]);
    else group.push(decoded);
  }
  return sessions;
}

export interface SessionPlan {
  /** Session items to write. */
  writes: SessionItem[];
  /** Events to aggregate into pages and counters: first sightings and redeliveries of the same record. */
  originals: Array<AggregatedEvent & { sessionId: string }>;
  newEvents: number;
  redelivered: number;
  duplicates: number;
  /** Count of newly applied events by type. */
  newByType: Map<string, number>;
}

/**
 * Applies every session group to its stored state. Producer resends (same event id, another
 * record) are dropped here, so they reach no table.
 */
export function planSessions(groups: ReadonlyMap<string, DecodedRecord[]>, stored: ReadonlyMap<string, SessionItem>, options: SessionOptions): SessionPlan {
  const plan: SessionPlan = { writes: [], originals: [], newEvents: 0, redelivered: 0, duplicates: 0, newByType: new Map() };
  for (const [sessionId, group] of groups) {
    const update = applyToSession(
      stored.get(sessionId),
      group.map(({ record, event }) => ({ event, recordId: `${record.shardId}:${record.sequenceNumber}` })),
      options,
    );
    if (update.item !== undefined) plan.writes.push(update.item);
    update.sightings.forEach((sighting, index) => {
      const { record, event } = group[index]!;
      if (sighting === 'duplicate') {
        plan.duplicates++;
        return;
      }
      if (sighting === 'new') {
        plan.newEvents++;
        plan.newByType.set(event.event_type, (plan.newByType.get(event.event_type) ?? 0) + 1);
      } else {
        plan.redelivered++;
      }
      plan.originals.push({ event, sequenceNumber: record.sequenceNumber, sessionId });
    });
  }
  plan.originals.sort((a, b) => compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber));
  return plan;
}

/** Aggregates the originals strictly before `cutSequenceNumber` (records at or after it will be redelivered). */
export function aggregateBefore(originals: SessionPlan['originals'], cutSequenceNumber: string | undefined, aggregateTtlDays: number): Aggregates {
  const included =
    cutSequenceNumber === undefined ? originals : originals.filter((original) => compareSequenceNumbers(original.sequenceNumber, cutSequenceNumber) < 0);
  return aggregateEvents(included, aggregateTtlDays);
}

/** The lowest of some sequence numbers, or undefined. */
export function lowestSequenceNumber(sequenceNumbers: Iterable<string>): string | undefined {
  let lowest: string | undefined;
  for (const sequenceNumber of sequenceNumbers) {
    if (lowest === undefined || compareSequenceNumbers(sequenceNumber, lowest) < 0) lowest = sequenceNumber;
  }
  return lowest;
}
