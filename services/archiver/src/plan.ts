import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { compareSequenceNumbers, decodeEvent, type RejectionReason, type StreamRecord, type ValidationOptions } from '@clickstream/shared';
import { eventsPrefix, isCovered, quarantinePrefix, type SequenceRange } from './layout';
import { toArchiveLine, toQuarantineLine } from './lines';

const gzipAsync = promisify(gzip);

/** One JSON line waiting to be archived, tagged with the record it came from. */
export interface PendingLine {
  sequenceNumber: string;
  text: string;
  /** Why a quarantined record was rejected (quarantine lines only). */
  reason?: RejectionReason;
}

/**
 * The records of one batch that share an object prefix: one shard's valid events of one UTC
 * event hour, or its bad records of one arrival hour. Lines are in stream order.
 */
export interface ArchiveGroup {
  kind: 'events' | 'quarantine';
  prefix: string;
  lines: PendingLine[];
}

export interface BatchPlan {
  groups: ArchiveGroup[];
  accepted: number;
  rejected: number;
}

/**
 * Validates every record and groups the lines by destination prefix. Validation runs against
 * the record's Kinesis arrival time, not the wall clock, so a redelivery days later classifies
 * each record exactly as the first attempt did (a record quarantined as `future_timestamp` must
 * not become a valid event on a retry, or it would be in both places).
 */
export function planBatch(records: readonly StreamRecord[], validation: Omit<ValidationOptions, 'nowMs'>, fallbackNowMs: number): BatchPlan {
  const groups = new Map<string, ArchiveGroup>();
  const add = (prefix: string, kind: ArchiveGroup['kind'], line: PendingLine) => {
    let group = groups.get(prefix);
    if (group === undefined) {
      group = { kind, prefix, lines: [] };
      groups.set(prefix, group);
    }
    group.lines.push(line);
  };
  let accepted = 0;
  let rejected = 0;
  const ordered = [...records].sort((a, b) => compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber));
  for (const record of ordered) {
    const clockMs = Number.isFinite(record.arrivalMs) && record.arrivalMs > 0 ? record.arrivalMs : fallbackNowMs;
    const result = decodeEvent(record.data, record, { ...validation, nowMs: clockMs });
    if (result.ok) {
      accepted++;
      const text = JSON.stringify(toArchiveLine(result.event, record));
      add(eventsPrefix(result.event.event_time_ms, record.shardId), 'events', { sequenceNumber: record.sequenceNumber, text });
    } else {
      rejected++;
      const text = JSON.stringify(toQuarantineLine(result, record));
      add(quarantinePrefix(clockMs, record.shardId), 'quarantine', { sequenceNumber: record.sequenceNumber, text, reason: result.reason });
    }
  }
  return { groups: [...groups.values()], accepted, rejected };
}

/** Lines of a group not already inside an archived range (what a redelivery still has to write). */
export function unarchivedLines(lines: readonly PendingLine[], archived: readonly SequenceRange[]): PendingLine[] {
  if (archived.length === 0) return [...lines];
  return lines.filter((line) => !isCovered(line.sequenceNumber, archived));
}

/** Ranges that can overlap the sequence numbers `lowest`..`highest`. */
export function overlapping(ranges: readonly SequenceRange[], lowest: string, highest: string): SequenceRange[] {
  return ranges.filter((range) => compareSequenceNumbers(range.last, lowest) >= 0 && compareSequenceNumbers(range.first, highest) <= 0);
}

/** gzip JSON Lines: one JSON object per line, each line ending in `\n`. */
export async function encodeLines(lines: readonly PendingLine[]): Promise<Buffer> {
  return gzipAsync(Buffer.from(lines.map((line) => `${line.text}\n`).join(''), 'utf8'));
}

/** Lowest and highest sequence numbers of a non-empty list of lines in stream order. */
export function sequenceBounds(lines: readonly PendingLine[]): { first: string; last: string } {
  return { first: lines[0]!.sequenceNumber, last: lines[lines.length - 1]!.sequenceNumber };
}

/** The lowest of some sequence numbers, or undefined. */
export function lowestSequenceNumber(sequenceNumbers: Iterable<string>): string | undefined {
  let lowest: string | undefined;
  for (const sequenceNumber of sequenceNumbers) {
    if (lowest === undefined || compareSequenceNumbers(sequenceNumber, lowest) < 0) lowest = sequenceNumber;
  }
  return lowest;
}
