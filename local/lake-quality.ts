/**
 * The data-quality report of the lake, per event hour: what the compactor measured when it built
 * the hour's live generation (`_compaction.json`), tied to the real-time pipeline now (accepted
 * events in the counters table must equal the curated rows) and to the raw archive now (an hour
 * whose raw objects changed since is stale until the next compaction).
 */
import { ALL_EVENTS_COUNTER, ARCHIVE_PREFIXES, hourLabel, hourPrefixes, listArchiveObjects, minuteWindow, parseHourLabel, type ArchiveReader } from '@clickstream/shared';
import { builtFrom, compactedHours, generationOfKeys, liveCompaction, liveFiles } from '../services/compactor/src/contract';
import { counterTotals, type TablesReader } from '../services/event-processor/src/contract';

export interface HourQuality {
  hour: string;
  compacted: boolean;
  /** Raw objects changed since the live generation was built (a late object): not yet re-compacted. */
  stale: boolean;
  generation: string | null;
  compacted_at: string | null;
  raw_lines: number | null;
  curated_rows: number | null;
  /** `events#all` over the hour's minutes in the counters table, read now. */
  accepted_events: number;
  counts_agree: boolean;
  duplicates_removed: number | null;
  malformed_lines: number | null;
  null_rates: Record<string, number>;
  freshness_ms: { p50: number; p99: number; max: number } | null;
  late_events: number | null;
  quarantine_by_reason: Record<string, number>;
  unknown_fields: Record<string, number>;
  /** Why this hour is not ok (empty when it is). */
  problems: string[];
}

/** The hours to report: `hourMs` alone, or every hour that has raw objects or a curated generation. */
export async function reportHours(reader: ArchiveReader, hourMs?: number): Promise<number[]> {
  if (hourMs !== undefined) return [hourMs];
  const raw = await listArchiveObjects(reader, ARCHIVE_PREFIXES.events);
  const hours = new Set(await compactedHours(reader));
  for (const object of raw) {
    const match = /year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/hour=(\d{2})\//.exec(object.key);
    if (match) hours.add(parseHourLabel(`${match[1]}-${match[2]}-${match[3]}T${match[4]}`));
  }
  return [...hours].sort((a, b) => a - b);
}

export async function hourQuality(reader: ArchiveReader, tables: TablesReader, hourMs: number): Promise<HourQuality> {
  const hour = hourLabel(hourMs);
  const [manifest, files, sources, counters] = await Promise.all([
    liveCompaction(reader, hourMs),
    liveFiles(reader, hourMs),
    listArchiveObjects(reader, hourPrefixes('events', hourMs, hourMs)[0]!),
    counterTotals(tables, [ALL_EVENTS_COUNTER], minuteWindow(hourMs), minuteWindow(hourMs + 59 * 60_000)),
  ]);
  const accepted = [...(counters.get(ALL_EVENTS_COUNTER)?.values() ?? [])].reduce((sum, count) => sum + count, 0);
  const generation = generationOfKeys(files) ?? null;
  const stale = generation !== null && sources.length > 0 && !builtFrom(generation, sources);
  const problems: string[] = [];
  if (manifest === undefined) {
    if (sources.length > 0) problems.push('not compacted yet');
    return {
      hour, compacted: false, stale: false, generation: null, compacted_at: null, raw_lines: null, curated_rows: null, accepted_events: accepted,
      counts_agree: accepted === 0, duplicates_removed: null, malformed_lines: null, null_rates: {}, freshness_ms: null, late_events: null, quarantine_by_reason: {}, unknown_fields: {}, problems,
    };
  }
  const figures = manifest.figures;
  const forgotten = figures.forgotten_events ?? 0;
  const countsAgree = figures.curated_rows + forgotten === accepted;
  if (!countsAgree) problems.push(`curated rows ${figures.curated_rows}${forgotten > 0 ? ` + forgotten events ${forgotten}` : ''} ≠ accepted events ${accepted}`);
  if (stale) problems.push('raw objects changed since the live generation was built');
  if (figures.malformed_lines > 0) problems.push(`${figures.malformed_lines} malformed raw lines`);
  return {
    hour,
    compacted: true,
    stale,
    generation,
    compacted_at: manifest.compacted_at,
    raw_lines: figures.raw_lines,
    curated_rows: figures.curated_rows,
    accepted_events: accepted,
    counts_agree: countsAgree,
    duplicates_removed: figures.duplicates_removed,
    malformed_lines: figures.malformed_lines,
    null_rates: Object.fromEntries(Object.entries(figures.null_counts).map(([column, nulls]) => [column, figures.curated_rows === 0 ? 0 : Math.round((nulls / figures.curated_rows) * 10_000) / 10_000])),
    freshness_ms: figures.freshness_ms,
    late_events: figures.late_events,
    quarantine_by_reason: figures.quarantine_by_reason,
    unknown_fields: figures.unknown_fields,
    problems,
  };
}
