import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { compareSequenceNumbers, sequenceKey } from '../runtime/kinesis';
import { mapWithConcurrency } from '../runtime/concurrency';
import type { ClickstreamEvent, Product } from './event';
import { ARCHIVE_PREFIXES } from './topology';
import type { RejectionReason } from './validate';

/**
 * The raw archive's contract between its one writer (the archiver) and every reader of the bucket
 * (the compactor, the load test's verification, the local SQL, Athena): object keys, the line
 * schemas, and how to read them back. It lives in shared/ because two services need it and
 * services never import each other; the archiver re-exports it as its own `contract.ts`, and is
 * still the only writer of `events/` and `quarantine/`.
 *
 * The S3 layout (docs/DATA_DICTIONARY.md):
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

export const ARCHIVE_OBJECT_SUFFIX = '.jsonl.gz';

/** Hive-style partition path of a UTC hour: `year=2026/month=11/day=22/hour=09`. */
export function hourPartition(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return `year=${iso.slice(0, 4)}/month=${iso.slice(5, 7)}/day=${iso.slice(8, 10)}/hour=${iso.slice(11, 13)}`;
}

/** The hour partitions (`events/year=…/hour=HH/` or `quarantine/…`) from `fromMs` to `toMs`, inclusive. */
export function hourPrefixes(zone: keyof typeof ARCHIVE_PREFIXES, fromMs: number, toMs: number): string[] {
  const prefixes: string[] = [];
  for (let hour = Math.floor(fromMs / 3_600_000) * 3_600_000; hour <= toMs; hour += 3_600_000) prefixes.push(`${ARCHIVE_PREFIXES[zone]}${hourPartition(hour)}/`);
  return prefixes;
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
  return `${groupPrefix}${sequenceKey(lastSequence)}_${sequenceKey(firstSequence)}${ARCHIVE_OBJECT_SUFFIX}`;
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
  if (!key.startsWith(groupPrefix) || !key.endsWith(ARCHIVE_OBJECT_SUFFIX)) return undefined;
  const match = /^(\d{3})(\d+)_(\d{3})(\d+)$/.exec(key.slice(groupPrefix.length, key.length - ARCHIVE_OBJECT_SUFFIX.length));
  if (match === null) return undefined;
  const [, lastLength, last, firstLength, first] = match as unknown as [string, string, string, string, string];
  if (Number(lastLength) !== last.length || Number(firstLength) !== first.length) return undefined;
  if (compareSequenceNumbers(first, last) > 0) return undefined;
  return { first, last };
}

/** Ranges that can overlap the sequence numbers `lowest`..`highest`. */
export function overlapping(ranges: readonly SequenceRange[], lowest: string, highest: string): SequenceRange[] {
  return ranges.filter((range) => compareSequenceNumbers(range.last, lowest) >= 0 && compareSequenceNumbers(range.first, highest) <= 0);
}

/** True when `sequenceNumber` lies inside one of `ranges`. */
export function isCovered(sequenceNumber: string, ranges: readonly SequenceRange[]): boolean {
  return ranges.some((range) => compareSequenceNumbers(range.first, sequenceNumber) <= 0 && compareSequenceNumbers(sequenceNumber, range.last) <= 0);
}

/**
 * The line schemas of the archive and the quarantine. Field names and types are a public contract
 * (docs/DATA_DICTIONARY.md, the Athena tables): add fields only, never rename or retype; bump
 * `schema_version` when the meaning of a field changes.
 */
export const ARCHIVE_SCHEMA_VERSION = 1;

/**
 * One archived event: the normalized canonical event plus where it came from. The internal
 * `event_time_ms` becomes `event_time`, the same instant as an ISO-8601 UTC string with
 * milliseconds (what the hour partition is derived from, and what Athena's
 * `from_iso8601_timestamp` reads); `timestamp` keeps the producer's text as sent. `page_path`
 * stays: it is the key the page-metrics table aggregates by. Optional fields are omitted when
 * absent (NULL in Athena).
 */
export interface ArchiveLine {
  schema_version: number;
  event_id: string;
  event_type: string;
  session_id: string;
  user_id?: string;
  timestamp: string;
  event_time: string;
  page_url?: string;
  page_path?: string;
  referrer?: string;
  user_agent?: string;
  ip_address?: string;
  country?: string;
  device_type?: string;
  user_login_state?: string;
  product?: Product;
  value?: number;
  /** Custom properties and unmapped tracker fields, as sent (a JSON object of at most 8 KiB). */
  properties?: Record<string, unknown>;
  /** Kinesis approximate arrival time, ISO-8601 UTC. */
  received_at: string;
  shard_id: string;
  /** Kinesis sequence number: a decimal string (up to 128 digits, too long for a bigint). */
  sequence_number: string;
}

/** One quarantined record: why it was rejected, the raw bytes, and where they came from. */
export interface QuarantineLine {
  schema_version: number;
  reason: RejectionReason;
  message: string;
  /** Offending field path (`page_url`, `product.price`, `__proto__`), when there is one. */
  field?: string;
  received_at: string;
  shard_id: string;
  sequence_number: string;
  partition_key: string;
  raw_size_bytes: number;
  /**
   * The record's bytes as Kinesis delivered them, base64, except that client addresses are
   * pseudonymized and URL query strings reduced to the allowed parameters (shared/src/contract/privacy.ts
   * `sanitizeRecordBytes`); `raw_size_bytes` is the size of these bytes.
   */
  raw_base64: string;
}

/** Reads an archive line back into the canonical event (replays and backfills). */
export function eventFromArchiveLine(line: ArchiveLine): ClickstreamEvent {
  const { schema_version: _version, event_time, received_at: _received, shard_id: _shard, sequence_number: _sequence, ...fields } = line;
  return { ...fields, event_time_ms: Date.parse(event_time) };
}

/** An S3 client and the archive bucket to read. */
export interface ArchiveReader {
  s3: S3Client;
  bucket: string;
}

/** One listed object: its key and size in bytes. */
export interface ArchiveObject {
  key: string;
  size: number;
}

/** Every object under `prefix`, in key order, with its size (paginated ListObjectsV2). */
export async function listArchiveObjects(reader: ArchiveReader, prefix: string): Promise<ArchiveObject[]> {
  const objects: ArchiveObject[] = [];
  let token: string | undefined;
  do {
    const page = await reader.s3.send(new ListObjectsV2Command({ Bucket: reader.bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) objects.push({ key: object.Key, size: object.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return objects;
}

/** Every key under `prefix`, in key order (paginated ListObjectsV2). */
export async function listArchiveKeys(reader: ArchiveReader, prefix: string): Promise<string[]> {
  return (await listArchiveObjects(reader, prefix)).map((object) => object.key);
}

/** Reads gzip JSON Lines objects, 8 at a time, and hands every line to `onLine` (archive or quarantine lines). */
export async function readArchiveLines<L = ArchiveLine | QuarantineLine>(reader: ArchiveReader, keys: readonly string[], onLine: (line: L, key: string) => void): Promise<void> {
  await mapWithConcurrency([...keys], 8, async (key) => {
    const object = await reader.s3.send(new GetObjectCommand({ Bucket: reader.bucket, Key: key }));
    const text = gunzipSync(await object.Body!.transformToByteArray()).toString('utf8');
    for (const line of text.split('\n')) if (line !== '') onLine(JSON.parse(line) as L, key);
  });
}

/**
 * Events removed by `forget` (README "Privacy"), per event hour. Forgetting a user removes their
 * events from the raw and curated zones, but the real-time counters keep their totals (they hold
 * no personal data), so an hour's curated rows would fall short of its accepted events. Forgetting
 * a user writes one tally object per event hour it removed events from (gzip JSON Lines, one
 * `ForgottenTally` line), named by a digest of the user id; it holds digests of the removed event
 * ids, so a repeated or resumed request merges into it instead of counting twice. The compactor's
 * count check adds the tallies up:
 *
 *   forgotten/year=YYYY/month=MM/day=DD/hour=HH/<user digest>.jsonl.gz
 */
export const FORGOTTEN_PREFIX = 'forgotten/';

/** The forget function's audit records, one per request (services/forget/src/contract.ts). */
export const FORGET_AUDIT_PREFIX = 'audit/forget/';

/** One user's removals from one event hour; no user id, no event id (digests only). */
export interface ForgottenTally {
  forgotten_at: string;
  /** Distinct accepted events removed from the hour: what the counters still count. */
  forgotten_events: number;
  /** SHA-256 (first 16 hex digits) of each removed event id, sorted. */
  event_digests: string[];
}

/** The prefix of an event hour's tallies. */
export function forgottenPrefix(hourMs: number): string {
  return `${FORGOTTEN_PREFIX}${hourPartition(hourMs)}/`;
}

/** The tally object of one user (by digest) for one event hour. */
export function forgottenTallyKey(hourMs: number, userDigest: string): string {
  return `${forgottenPrefix(hourMs)}${userDigest}${ARCHIVE_OBJECT_SUFFIX}`;
}
