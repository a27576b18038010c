import { ARCHIVE_PREFIXES, compareSequenceNumbers, sequenceKey } from '@clickstream/shared';

/**
 * The archive's S3 layout (docs/DATA_DICTIONARY.md):
 *
 *   events/year=YYYY/month=MM/day=DD/hour=HH/<shardId>_<last>_<first>.jsonl.gz
 *   quarantine/year=YYYY/month=MM/day=DD/hour=HH/<shardId>_<last>_<first>.jsonl.gz
 *
 * `<first>` and `<last>` are the lowest and highest sequence numbers of the records in the object,
 * each encoded with `sequenceKey` (3-digit length, then the digits) so that string order is
 * numeric order. The last sequence number comes first: a listing with `StartAfter =
 * <prefix><sequenceKey(lowest record of a batch)>` then returns exactly the objects that can hold
 * records of that batch, usually none or one, in one request however many objects the hour has.
 *
 * Events are partitioned by event hour, quarantined records by arrival hour (a bad record may
 * have no usable event time), with the reason a column of each line rather than a partition:
 * one quarantine object per batch instead of one per reason halves the S3 requests at a 1%
 * invalid rate and avoids a swarm of tiny objects (docs/BENCHMARKS.md, "archiver").
 */

export const OBJECT_SUFFIX = '.jsonl.gz';

/** Hive-style partition path of a UTC hour: `year=2026/month=11/day=22/hour=09`. */
export function hourPartition(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return `year=${iso.slice(0, 4)}/month=${iso.slice(5, 7)}/day=${iso.slice(8, 10)}/hour=${iso.slice(11, 13)}`;
}

/** Key prefix shared by one shard's archive objects of one event hour. */
export function eventsPrefix(epochMs: number, shardId: string): string {
  return `${ARCHIVE_PREFIXES.events}${hourPartition(epochMs)}/${shardId}_`;
}

/** Key prefix shared by one shard's quarantine objects of one arrival hour. */
export function quarantinePrefix(epochMs: number, shardId: string): string {
  return `${ARCHIVE_PREFIXES.quarantine}${hourPartition(epochMs)}/${shardId}_`;
}

/** The object key for the records `first`..`last` of a group. */
export function objectKey(groupPrefix: string, firstSequence: string, lastSequence: string): string {
  return `${groupPrefix}${sequenceKey(lastSequence)}_${sequenceKey(firstSequence)}${OBJECT_SUFFIX}`;
}

/** `StartAfter` for listing the objects of a group that may hold records at or after `lowestSequence`. */
export function listStartAfter(groupPrefix: string, lowestSequence: string): string {
  return `${groupPrefix}${sequenceKey(lowestSequence)}`;
}

/** An inclusive range of one shard's sequence numbers already archived in one object. */
export interface SequenceRange {
  first: string;
  last: string;
}

/** Reads the range back from a key written by `objectKey`; undefined for any other key. */
export function parseObjectKey(groupPrefix: string, key: string): SequenceRange | undefined {
  if (!key.startsWith(groupPrefix) || !key.endsWith(OBJECT_SUFFIX)) return undefined;
  const match = /^(\d{3})(\d+)_(\d{3})(\d+)$/.exec(key.slice(groupPrefix.length, key.length - OBJECT_SUFFIX.length));
  if (match === null) return undefined;
  const [, lastLength, last, firstLength, first] = match as unknown as [string, string, string, string, string];
  if (Number(lastLength) !== last.length || Number(firstLength) !== first.length) return undefined;
  if (compareSequenceNumbers(first, last) > 0) return undefined;
  return { first, last };
}

/** True when `sequenceNumber` lies inside one of `ranges`. */
export function isCovered(sequenceNumber: string, ranges: readonly SequenceRange[]): boolean {
  return ranges.some((range) => compareSequenceNumbers(range.first, sequenceNumber) <= 0 && compareSequenceNumbers(sequenceNumber, range.last) <= 0);
}
