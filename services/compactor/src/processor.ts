import { forgottenPrefix, hourLabel, hourPrefixes, mapWithConcurrency, type ArchiveLine, type ArchiveObject, type ForgottenTally, type Observe, type QuarantineLine } from '@clickstream/shared';
import {
  COMPACTION_MANIFEST_FILE,
  COMPACTION_SCHEMA_VERSION,
  generationName,
  generationOfKeys,
  generationPrefix,
  parseSymlinkText,
  partKey,
  sourceDigest,
  symlinkKey,
  symlinkText,
  type CompactionManifest,
  type QualityFigures,
} from './contract';
import { encodeParquet } from './parquet';
import { closedHours, decideHour, eventIdOf, generationsToDelete, HOUR_MS, partitionCount, partitionOf, type HourDecision } from './plan';
import { judge, QualityAccumulator, type QualityVerdict } from './quality';
import { compareRows, isPreferredCopy, StringInterner, toCuratedRow, unknownFields, type CopyOrigin, type CuratedRow } from './rows';
import { DiskSpill, MemorySpill, type PartitionSpill } from './spill';
import type { LakeStore } from './store';

export interface CompactorOptions {
  partitionRows: number;
  retireAfterMs: number;
  closeGraceMs: number;
  lookbackHours: number;
  freshnessP99ThresholdMs: number;
  spillDir?: string;
  /** Raw objects read in parallel. */
  readConcurrency: number;
}

export interface CompactedHour {
  hour: string;
  action: 'compacted';
  reason: string;
  generation: string;
  manifest: CompactionManifest;
  verdict: QualityVerdict;
  deletedGenerations: string[];
  spilledBytes: number;
}

export interface SkippedHour {
  hour: string;
  action: 'skipped';
  reason: HourDecision['reason'];
  deletedGenerations: string[];
}

export type HourOutcome = CompactedHour | SkippedHour;

/**
 * Compacts one event hour into a new generation of curated Parquet and switches readers to it,
 * as named steps:
 *
 * 1. **list** the hour's raw objects (the sources) and name the generation after them;
 * 2. **route** every raw line to a partition by the hash of its event id (all copies of an
 *    event meet in one partition), in memory for a small hour, on local disk otherwise;
 * 3. **deduplicate and write** one partition at a time: keep the first-arrived copy of each
 *    event id, sort, encode one Parquet file, PUT it; memory holds one partition's rows;
 * 4. **measure**: quarantine by reason for the hour, events `forget` removed, accepted events in the counters table;
 * 5. **record** the figures beside the files (`_compaction.json`);
 * 6. **switch**: overwrite the hour's symlink manifest with the new files (one PUT: readers see
 *    the old generation or the new one, never a mix);
 * 7. **retire** generations no reader can still be using.
 *
 * A failure before step 6 leaves readers on the previous generation; the files already written
 * are an unswitched generation that step 7 of a later run removes. Re-running gives the same rows.
 */
export async function compactHour(hourMs: number, store: LakeStore, options: CompactorOptions, observe: Observe, now: () => number, known?: { sources: ArchiveObject[]; reason: string }): Promise<CompactedHour> {
  const { logger } = observe;
  const startedAt = now();
  const hour = hourLabel(hourMs);
  const sources = known?.sources ?? (await store.listObjects(hourPrefixes('events', hourMs, hourMs)[0]!));
  const sourceBytes = sources.reduce((sum, object) => sum + object.size, 0);
  const digest = sourceDigest(sources);
  const generation = generationName(startedAt, digest);
  const partitions = partitionCount(sourceBytes, options.partitionRows);
  const figures = new QualityAccumulator(hourMs + HOUR_MS);

  const spill = await routeLines(sources, partitions, store, options);
  let files: CompactionManifest['files'];
  try {
    files = await writePartitions(spill, partitions, hourMs, generation, figures, store, observe);
  } finally {
    spill.dispose();
  }
  await countQuarantine(hourMs, figures, store, options);
  await countForgotten(hourMs, figures, store);
  const acceptedEvents = await store.acceptedEvents(hourMs).catch((error: unknown) => {
    logger.warn({ err: error, hour }, 'could not read the counters table; the hour is compacted without the count check');
    return null;
  });

  const measured = figures.figures();
  const manifest: CompactionManifest = {
    schema_version: COMPACTION_SCHEMA_VERSION,
    hour,
    generation,
    compacted_at: new Date(startedAt).toISOString(),
    source: { objects: sources.length, bytes: sourceBytes, digest },
    files,
    figures: measured,
    accepted_events: acceptedEvents,
  };
  await store.putObject(`${generationPrefix(hourMs, generation)}${COMPACTION_MANIFEST_FILE}`, JSON.stringify(manifest, null, 2), 'application/json');
  await store.putObject(symlinkKey(hourMs), symlinkText(store.bucket, files.map((file) => file.key)), 'text/plain');
  const deletedGenerations = await retireGenerations(hourMs, generation, store, options, now);

  const verdict = judge(measured, acceptedEvents, options.freshnessP99ThresholdMs);
  recordMetrics(observe, measured, verdict, files, now() - startedAt);
  logger.info({ hour, generation, reason: known?.reason ?? 'on demand', partitions, sources: sources.length, rows: measured.curated_rows, duplicatesRemoved: measured.duplicates_removed, acceptedEvents, countsAgree: verdict.countsAgree, deletedGenerations }, 'hour compacted');
  return { hour, action: 'compacted', reason: known?.reason ?? 'on demand', generation, manifest, verdict, deletedGenerations, spilledBytes: spill.bytes };
}

/**
 * A scheduled run: every closed hour of the lookback window whose raw objects changed since its
 * live generation was built (or that was never compacted) is compacted; the others only have
 * their retired generations removed.
 */
export async function compactDue(store: LakeStore, options: CompactorOptions, observe: Observe, now: () => number): Promise<HourOutcome[]> {
  const outcomes: HourOutcome[] = [];
  for (const hourMs of closedHours(now(), options.lookbackHours, options.closeGraceMs)) {
    const sources = await store.listObjects(hourPrefixes('events', hourMs, hourMs)[0]!);
    const liveText = sources.length === 0 ? undefined : await store.getText(symlinkKey(hourMs));
    const live = liveText === undefined ? undefined : generationOfKeys(parseSymlinkText(store.bucket, liveText));
    const decision = decideHour(sources, live);
    if (decision.action === 'compact') {
      outcomes.push(await compactHour(hourMs, store, options, observe, now, { sources, reason: decision.reason }));
    } else {
      const deletedGenerations = live === undefined ? [] : await retireGenerations(hourMs, live, store, options, now);
      outcomes.push({ hour: hourLabel(hourMs), action: 'skipped', reason: decision.reason, deletedGenerations });
    }
  }
  observe.metrics.add('HoursCompacted', outcomes.filter((outcome) => outcome.action === 'compacted').length);
  return outcomes;
}

/** Step 2: every raw line into the partition of its event id. */
async function routeLines(sources: readonly ArchiveObject[], partitions: number, store: LakeStore, options: CompactorOptions): Promise<PartitionSpill> {
  const spill: PartitionSpill = partitions === 1 ? new MemorySpill(1) : new DiskSpill(partitions, options.spillDir);
  try {
    await mapWithConcurrency([...sources], options.readConcurrency, async (source) => {
      const lines = await store.readLines(source.key);
      for (const line of lines) {
        let partition = 0;
        if (partitions > 1) {
          try {
            partition = partitionOf(eventIdOf(line), partitions);
          } catch {
            // Unreadable line: partition 0 reads it again and counts it as malformed.
            partition = 0;
          }
        }
        spill.append(partition, line);
      }
    });
  } catch (error) {
    spill.dispose();
    throw error;
  }
  return spill;
}

interface KeptCopy extends CopyOrigin {
  row: CuratedRow;
}

/** Step 3: per partition, one row per event id, sorted, one Parquet file. */
async function writePartitions(spill: PartitionSpill, partitions: number, hourMs: number, generation: string, figures: QualityAccumulator, store: LakeStore, observe: Observe): Promise<CompactionManifest['files']> {
  const files: CompactionManifest['files'] = [];
  for (let partition = 0; partition < partitions; partition++) {
    const kept = new Map<string, KeptCopy>();
    const interner = new StringInterner();
    for await (const text of spill.lines(partition)) {
      let line: ArchiveLine;
      try {
        line = JSON.parse(text) as ArchiveLine;
        if (typeof line.event_id !== 'string' || typeof line.event_time !== 'string' || typeof line.received_at !== 'string') throw new Error('event_id, event_time or received_at missing');
      } catch (error) {
        figures.malformedLine();
        figures.rawLine([]);
        observe.logger.error({ err: error, hour: hourLabel(hourMs), line: text.slice(0, 200) }, 'raw line is not an archive line; skipped');
        continue;
      }
      figures.rawLine(unknownFields(line as unknown as Record<string, unknown>));
      const copy: CopyOrigin = { receivedAtMs: Date.parse(line.received_at), shardId: line.shard_id, sequenceNumber: line.sequence_number };
      const previous = kept.get(line.event_id);
      if (previous !== undefined && !isPreferredCopy(copy, previous)) continue;
      kept.set(line.event_id, { ...copy, shardId: interner.intern(copy.shardId), row: interner.row(toCuratedRow(line)) });
    }
    if (kept.size === 0) continue;
    const rows = [...kept.values()].map((copy) => copy.row);
    kept.clear();
    rows.sort(compareRows);
    for (const row of rows) figures.keptRow(row);
    const key = partKey(hourMs, generation, files.length);
    const body = encodeParquet(rows);
    await store.putObject(key, body, 'application/vnd.apache.parquet');
    files.push({ key, rows: rows.length, bytes: body.byteLength });
  }
  return files;
}

/** Step 4: the hour's quarantined records (by arrival hour), by reason. */
async function countQuarantine(hourMs: number, figures: QualityAccumulator, store: LakeStore, options: CompactorOptions): Promise<void> {
  const objects = await store.listObjects(hourPrefixes('quarantine', hourMs, hourMs)[0]!);
  await mapWithConcurrency(objects, options.readConcurrency, async (object) => {
    for (const text of await store.readLines(object.key)) {
      const reason = (JSON.parse(text) as Partial<QuarantineLine>).reason;
      figures.quarantined(typeof reason === 'string' ? reason : 'unknown');
    }
  });
}

/** Step 4: events `forget` removed from the hour, from its tallies (the counters still count them). */
async function countForgotten(hourMs: number, figures: QualityAccumulator, store: LakeStore): Promise<void> {
  for (const object of await store.listObjects(forgottenPrefix(hourMs))) {
    for (const text of await store.readLines(object.key)) figures.forgotten(Number((JSON.parse(text) as Partial<ForgottenTally>).forgotten_events ?? 0));
  }
}

/** Step 7: delete generations other than `live` that no reader can still be reading. */
async function retireGenerations(hourMs: number, live: string, store: LakeStore, options: CompactorOptions, now: () => number): Promise<string[]> {
  const doomed = generationsToDelete(await store.listGenerations(hourMs), live, now(), options.retireAfterMs);
  for (const generation of doomed) await store.deletePrefix(generationPrefix(hourMs, generation));
  return doomed;
}

function recordMetrics(observe: Observe, figures: QualityFigures, verdict: QualityVerdict, files: CompactionManifest['files'], durationMs: number): void {
  const { metrics } = observe;
  metrics.add('RawLines', figures.raw_lines);
  metrics.add('CuratedRows', figures.curated_rows);
  metrics.add('DuplicatesRemoved', figures.duplicates_removed);
  metrics.add('MalformedRawLines', figures.malformed_lines);
  metrics.add('LateEvents', figures.late_events);
  metrics.add('UnknownFields', Object.keys(figures.unknown_fields).length);
  metrics.add('FreshnessP50', figures.freshness_ms.p50, 'Milliseconds');
  metrics.add('FreshnessP99', figures.freshness_ms.p99, 'Milliseconds');
  metrics.add('FreshnessBreached', verdict.freshnessBreached ? 1 : 0);
  // Absolute difference: any disagreement, either way, breaches an alarm at >= 1.
  if (verdict.countDifference !== null) metrics.add('CountMismatch', Math.abs(verdict.countDifference));
  metrics.add('CuratedFiles', files.length);
  metrics.add('CuratedBytes', files.reduce((sum, file) => sum + file.bytes, 0), 'Bytes');
  metrics.add('CompactionDuration', durationMs, 'Milliseconds');
}
