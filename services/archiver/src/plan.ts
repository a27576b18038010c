import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { DecidedBatch, RejectionReason } from '@clickstream/shared';
import { eventsPrefix, isCovered, quarantinePrefix, type SequenceRange } from './contract';
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

/**
 * Groups a decided batch's lines by destination prefix: accepted events by event hour, rejected
 * records (quarantine) by arrival hour. The decision itself was made once, against each record's
 * arrival time, by the shared stream handler, so a redelivery days later puts every record where
 * the first attempt did (a record quarantined as `future_timestamp` never becomes a valid event
 * on a retry, which would put it in both places).
 */
export function planBatch(batch: DecidedBatch): ArchiveGroup[] {
  const groups = new Map<string, ArchiveGroup>();
  const add = (prefix: string, kind: ArchiveGroup['kind'], line: PendingLine) => {
    let group = groups.get(prefix);
    if (group === undefined) {
      group = { kind, prefix, lines: [] };
      groups.set(prefix, group);
    }
    group.lines.push(line);
  };
  for (const { record, event } of batch.accepted) {
    const text = JSON.stringify(toArchiveLine(event, record));
    add(eventsPrefix(event.event_time_ms, record.shardId), 'events', { sequenceNumber: record.sequenceNumber, text });
  }
  for (const { record, rejection, data } of batch.rejected) {
    const text = JSON.stringify(toQuarantineLine(rejection, record, data));
    add(quarantinePrefix(record.arrivalMs, record.shardId), 'quarantine', { sequenceNumber: record.sequenceNumber, text, reason: rejection.reason });
  }
  return [...groups.values()];
}

/** Lines of a group not already inside an archived range (what a redelivery still has to write). */
export function unarchivedLines(lines: readonly PendingLine[], archived: readonly SequenceRange[]): PendingLine[] {
  if (archived.length === 0) return [...lines];
  return lines.filter((line) => !isCovered(line.sequenceNumber, archived));
}

/** gzip JSON Lines: one JSON object per line, each line ending in `\n`. */
export async function encodeLines(lines: readonly PendingLine[]): Promise<Buffer> {
  return gzipAsync(Buffer.from(lines.map((line) => `${line.text}\n`).join(''), 'utf8'));
}

/** Lowest and highest sequence numbers of a non-empty list of lines in stream order. */
export function sequenceBounds(lines: readonly PendingLine[]): { first: string; last: string } {
  return { first: lines[0]!.sequenceNumber, last: lines[lines.length - 1]!.sequenceNumber };
}
