/**
 * The curated zone's contract with its readers (the local SQL, `npm run quality`, the load test's
 * verification, Athena): where an hour's Parquet files live, which generation of them is live,
 * and what a compaction recorded about the hour. The compactor is the only writer of `curated/`.
 *
 *   curated/events/year=YYYY/month=MM/day=DD/hour=HH/<generation>/part-00000.parquet   the rows
 *   curated/events/year=…/hour=HH/<generation>/_compaction.json                       what the run saw
 *   curated/_symlink/events/year=…/hour=HH/manifest                                   the switch
 *
 * **Generations and the switch.** Every compaction of an hour writes a new generation (a folder
 * named `<compacted-at>-<source digest>`) and only then overwrites the hour's symlink manifest, a
 * text file listing the generation's Parquet files as `s3://` URIs (Hive's
 * `SymlinkTextInputFormat`, which the Glue table of `events` reads). An S3 PUT replaces an object
 * whole, so a reader that reads the manifest sees the old generation or the new one, never a part
 * of either. Superseded generations are deleted later (`RETIRE_AFTER`), once no reader that read
 * the old manifest can still be reading their files.
 *
 * **Rows.** One row per `event_id` within the hour (the curated schema is `CURATED_EVENT_COLUMNS`
 * in `shared/src/contract/lake.ts`); of several archived copies of an event the one that arrived
 * first in Kinesis is kept (`received_at`, then shard and sequence number), which is the copy the
 * event-processor counted. Rows are sorted by session, event time and event id.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { hourPartition, LAKE_PREFIXES, parseHourLabel, type ArchiveObject } from '@clickstream/shared';

export { CURATED_EVENT_COLUMNS } from '@clickstream/shared';

export const PARQUET_SUFFIX = '.parquet';
export const COMPACTION_MANIFEST_FILE = '_compaction.json';
export const SYMLINK_FILE = 'manifest';
export const COMPACTION_SCHEMA_VERSION = 1;

/** `curated/events/year=…/hour=HH/`: every generation of one hour. */
export function curatedHourPrefix(hourMs: number): string {
  return `${LAKE_PREFIXES.curatedEvents}${hourPartition(hourMs)}/`;
}

/** `curated/events/year=…/hour=HH/<generation>/`. */
export function generationPrefix(hourMs: number, generation: string): string {
  return `${curatedHourPrefix(hourMs)}${generation}/`;
}

/** The `index`-th Parquet file of a generation. */
export function partKey(hourMs: number, generation: string, index: number): string {
  return `${generationPrefix(hourMs, generation)}part-${String(index).padStart(5, '0')}${PARQUET_SUFFIX}`;
}

/** The symlink manifest of an hour: the one object whose content says which files are live. */
export function symlinkKey(hourMs: number): string {
  return `${LAKE_PREFIXES.curatedSymlinks}${hourPartition(hourMs)}/${SYMLINK_FILE}`;
}

/**
 * A generation's name: when it was compacted (UTC, sortable) and a digest of the raw objects it
 * was built from, so a scheduled run can tell from the manifest alone whether the hour's sources
 * changed since.
 */
export function generationName(compactedAtMs: number, sourceDigest: string): string {
  return `${new Date(compactedAtMs).toISOString().replace(/[-:.]/g, '')}-${sourceDigest.slice(0, 16)}`;
}

/**
 * A digest of the raw objects an hour is built from (key and size of each, in key order). Raw
 * objects are never rewritten with other content (their names are their sequence ranges), so
 * the same digest means the same lines; a late object changes it.
 */
export function sourceDigest(objects: readonly ArchiveObject[]): string {
  const hash = createHash('sha256');
  for (const object of [...objects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) hash.update(`${object.key}\t${object.size}\n`);
  return hash.digest('hex');
}

/** Whether `generation` was built from exactly these raw objects (false: the hour is stale). */
export function builtFrom(generation: string, objects: readonly ArchiveObject[]): boolean {
  const parsed = parseGenerationName(generation);
  return parsed !== undefined && sourceDigest(objects).startsWith(parsed.digest);
}

export interface GenerationName {
  name: string;
  compactedAtMs: number;
  /** The first 16 hex digits of the source digest. */
  digest: string;
}

/** Reads a generation name back; undefined for anything else. */
export function parseGenerationName(name: string): GenerationName | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-([0-9a-f]{16})$/.exec(name);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, ms, digest] = match as unknown as [string, string, string, string, string, string, string, string, string];
  return { name, compactedAtMs: Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms)), digest };
}

/** The symlink manifest's text: one `s3://bucket/key` line per Parquet file. */
export function symlinkText(bucket: string, keys: readonly string[]): string {
  return keys.map((key) => `s3://${bucket}/${key}\n`).join('');
}

/** The keys a symlink manifest lists (URIs of this bucket only). */
export function parseSymlinkText(bucket: string, text: string): string[] {
  const prefix = `s3://${bucket}/`;
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      if (!line.startsWith(prefix)) throw new Error(`symlink manifest lists ${line}, outside s3://${bucket}/`);
      return line.slice(prefix.length);
    });
}

/** The generation a symlink manifest's files belong to. */
export function generationOfKeys(keys: readonly string[]): string | undefined {
  const first = keys[0];
  if (first === undefined) return undefined;
  const parts = first.split('/');
  return parts[parts.length - 2];
}

/** Per-hour data-quality figures, as the compactor measured them (also emitted as metrics). */
export interface QualityFigures {
  /** Lines in the hour's raw objects (one per Kinesis record). */
  raw_lines: number;
  curated_rows: number;
  /** Raw lines that were a second (or later) copy of an event id. */
  duplicates_removed: number;
  /** Raw lines that could not be read as archive lines (skipped, logged; a defect upstream). */
  malformed_lines: number;
  /** Per curated column, the rows where it is null. */
  null_counts: Record<string, number>;
  /** Arrival minus event time of the kept copies, in milliseconds (within 10 %). */
  freshness_ms: { p50: number; p99: number; max: number };
  /** Kept events that arrived after their event hour had ended. */
  late_events: number;
  /** Fields in raw lines that the curated schema does not know, with how often they were seen. */
  unknown_fields: Record<string, number>;
  /** Records quarantined in this hour (by arrival), by reason. */
  quarantine_by_reason: Record<string, number>;
  /**
   * Accepted events of the hour that `forget` removed (its tallies under `forgotten/`): the counters
   * still count them, so the count check is curated rows + forgotten events = accepted events.
   * Absent in manifests written before forgetting existed.
   */
  forgotten_events?: number;
}

/** What a compaction wrote beside its Parquet files (`_compaction.json`). */
export interface CompactionManifest {
  schema_version: number;
  /** `YYYY-MM-DDTHH` (UTC). */
  hour: string;
  generation: string;
  compacted_at: string;
  source: { objects: number; bytes: number; digest: string };
  files: Array<{ key: string; rows: number; bytes: number }>;
  figures: QualityFigures;
  /** `events#all` summed over the hour in the counters table when the compaction ran. */
  accepted_events: number | null;
}

/** An S3 client and the bucket to read. */
export interface CuratedReader {
  s3: S3Client;
  bucket: string;
}

/** The live Parquet keys of an hour (empty when the hour was never compacted). */
export async function liveFiles(reader: CuratedReader, hourMs: number): Promise<string[]> {
  const text = await getText(reader, symlinkKey(hourMs));
  return text === undefined ? [] : parseSymlinkText(reader.bucket, text);
}

/** The compaction manifest of an hour's live generation, or undefined when it was never compacted. */
export async function liveCompaction(reader: CuratedReader, hourMs: number): Promise<CompactionManifest | undefined> {
  const generation = generationOfKeys(await liveFiles(reader, hourMs));
  if (generation === undefined) return undefined;
  const text = await getText(reader, `${generationPrefix(hourMs, generation)}${COMPACTION_MANIFEST_FILE}`);
  return text === undefined ? undefined : (JSON.parse(text) as CompactionManifest);
}

/** Every compacted hour (start epoch ms), from the symlink manifests, in time order. */
export async function compactedHours(reader: CuratedReader): Promise<number[]> {
  const hours: number[] = [];
  let token: string | undefined;
  do {
    const page = await reader.s3.send(new ListObjectsV2Command({ Bucket: reader.bucket, Prefix: LAKE_PREFIXES.curatedSymlinks, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      const match = /year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/hour=(\d{2})\/manifest$/.exec(object.Key ?? '');
      if (match) hours.push(parseHourLabel(`${match[1]}-${match[2]}-${match[3]}T${match[4]}`));
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return hours.sort((a, b) => a - b);
}

async function getText(reader: CuratedReader, key: string): Promise<string | undefined> {
  try {
    const object = await reader.s3.send(new GetObjectCommand({ Bucket: reader.bucket, Key: key }));
    return await object.Body!.transformToString('utf8');
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}
