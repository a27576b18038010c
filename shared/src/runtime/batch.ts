import type { Config } from '../contract/config';
import type { ClickstreamEvent } from '../contract/event';
import { applyPrivacy, DEFAULT_PRIVACY_POLICY, sanitizeRecordBytes, type PrivacyPolicy } from '../contract/privacy';
import { decodeEvent, type Rejection, type ValidationOptions } from '../contract/validate';
import { compareSequenceNumbers, type StreamRecord } from './kinesis';

/**
 * The per-batch steps every consumer shares, as pure functions: decide each record's fate once,
 * group, and find the lowest sequence number to redeliver.
 */

/** A record that passed validation, with its canonical event. */
export interface AcceptedRecord {
  record: StreamRecord;
  event: ClickstreamEvent;
}

/** A record that failed validation, with the reason it will be quarantined under. */
export interface RejectedRecord {
  record: StreamRecord;
  rejection: Rejection;
  /** The bytes the quarantine keeps: the record's, with addresses pseudonymized and URL queries reduced (`sanitizeRecordBytes`). */
  data: Uint8Array;
}

/** One shard batch after every record's fate was decided; both lists keep stream order. */
export interface DecidedBatch {
  shardId: string;
  records: StreamRecord[];
  accepted: AcceptedRecord[];
  rejected: RejectedRecord[];
  /** Records carrying the opt-out: not collected (no service counts, archives or quarantines them). */
  optedOut: StreamRecord[];
  /**
   * Set when `npm run replay` re-invokes a discarded batch (the on-failure object's key): later
   * records of the shard may have moved the per-shard fences past these records meanwhile.
   */
  replayOf?: string;
}

export type ValidationLimits = Omit<ValidationOptions, 'nowMs'>;

/** The validation limits a service reads from its config. */
export function validationLimits(config: Pick<Config, 'maxFutureSkewMs' | 'maxEventAgeMs' | 'maxRecordBytes'>): ValidationLimits {
  return { maxFutureSkewMs: config.maxFutureSkewMs, maxEventAgeMs: config.maxEventAgeMs, maxRecordBytes: config.maxRecordBytes };
}

/**
 * Decides every record of a batch: accepted with its event, rejected with a reason, or opted
 * out. The clock is each record's Kinesis arrival time, never the wall clock, so every service and
 * every redelivery (days later, a replay) decides a record the same way: a record one service
 * quarantines is never counted by another. The privacy policy is applied here, once for every
 * service (shared/src/contract/privacy.ts): accepted events have their client address
 * pseudonymized and their URLs reduced to the allowed query parameters, rejected records keep
 * sanitized bytes, so a producer writing to the stream directly gets what the collector does.
 */
export function decideBatch(records: readonly StreamRecord[], limits: ValidationLimits, policy: PrivacyPolicy = DEFAULT_PRIVACY_POLICY): DecidedBatch {
  const ordered = [...records].sort((a, b) => compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber));
  const batch: DecidedBatch = { shardId: ordered[0]?.shardId ?? 'shardId-unknown', records: ordered, accepted: [], rejected: [], optedOut: [] };
  for (const record of ordered) {
    // Lambda always sends approximateArrivalTimestamp; a hand-made event without one falls back to now.
    const nowMs = Number.isFinite(record.arrivalMs) && record.arrivalMs > 0 ? record.arrivalMs : Date.now();
    const result = decodeEvent(record.data, record, { ...limits, nowMs });
    if (result.ok) {
      applyPrivacy(result.event as unknown as Record<string, unknown>, policy);
      batch.accepted.push({ record, event: result.event });
    } else if (result.optedOut) {
      batch.optedOut.push(record);
    } else {
      batch.rejected.push({ record, rejection: result, data: sanitizeRecordBytes(record.data, policy) });
    }
  }
  return batch;
}

/** The lowest of some sequence numbers (numeric order), or undefined when there are none. */
export function lowestSequenceNumber(sequenceNumbers: Iterable<string | undefined>): string | undefined {
  let lowest: string | undefined;
  for (const sequenceNumber of sequenceNumbers) {
    if (sequenceNumber === undefined) continue;
    if (lowest === undefined || compareSequenceNumbers(sequenceNumber, lowest) < 0) lowest = sequenceNumber;
  }
  return lowest;
}

/** Items grouped by key; each group keeps input order, groups keep first-seen order. */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = key(item);
    const group = groups.get(name);
    if (group === undefined) groups.set(name, [item]);
    else group.push(item);
  }
  return groups;
}
