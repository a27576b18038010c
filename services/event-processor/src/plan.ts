import { compareSequenceNumbers, groupBy, type AcceptedRecord } from '@clickstream/shared';
import { aggregateEvents, type Aggregates, type AggregatedEvent } from './aggregate';
import type { SessionItem } from './contract';
import { applyToSession, type SessionOptions } from './sessions';

/** Accepted records grouped by session, each group in stream order. */
export function groupBySession(accepted: readonly AcceptedRecord[]): Map<string, AcceptedRecord[]> {
  return groupBy(accepted, (decided) => decided.event.session_id);
}

export interface SessionPlan {
  /** Session items to write. */
  writes: SessionItem[];
  /**
   * Events to aggregate into pages and counters: first sightings (`firstSeen`, never applied to
   * their session before) and redeliveries of the same record.
   */
  originals: Array<AggregatedEvent & { sessionId: string; firstSeen: boolean }>;
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
export function planSessions(groups: ReadonlyMap<string, AcceptedRecord[]>, stored: ReadonlyMap<string, SessionItem>, options: SessionOptions): SessionPlan {
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
      plan.originals.push({ event, sequenceNumber: record.sequenceNumber, sessionId, firstSeen: sighting === 'new' });
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

/** One plan from the plans of several rounds (each round covers other sessions). */
export function mergePlans(plans: readonly SessionPlan[]): SessionPlan {
  const merged: SessionPlan = { writes: [], originals: [], newEvents: 0, redelivered: 0, duplicates: 0, newByType: new Map() };
  for (const plan of plans) {
    merged.writes.push(...plan.writes);
    merged.originals.push(...plan.originals);
    merged.newEvents += plan.newEvents;
    merged.redelivered += plan.redelivered;
    merged.duplicates += plan.duplicates;
    for (const [type, count] of plan.newByType) merged.newByType.set(type, (merged.newByType.get(type) ?? 0) + count);
  }
  merged.originals.sort((a, b) => compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber));
  return merged;
}
