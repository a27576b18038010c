/**
 * Compaction of one busy event hour: rows/s and MB/s on one core, peak memory, bytes stored per
 * event (curated Parquet against the raw gzip JSON Lines) and objects per day.
 *
 *   npm run bench -- services/compactor/bench/compaction.bench.ts
 *   COMPACTOR_BENCH_EVENTS=360000 npm run bench -- services/compactor/bench/compaction.bench.ts   # a tenth of the hour
 *
 * Phase 1 (this process) writes the raw hour as the archiver would at 1,000 events/s: the traffic
 * model of the load test (seed 2026: shopper funnels, 1 % bots, 10 % camelCase SDK payloads),
 * validated, turned into archive lines by the archiver's own code, 1 % of them resent by the
 * producer, two shards, one gzip object per shard batch of 1,000 records. Phase 2 runs the real
 * compactor (`compactHour`, 200,000-row partitions spilled to disk, GZIP Parquet) in a fresh
 * process over a store that reads those objects from disk, so its peak RSS is the compactor's
 * alone; S3 latency is not part of the figures.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createLogger, decodeEvent, hourPrefixes, MetricsLogger, type ArchiveObject } from '@clickstream/shared';
import { TrafficModel } from '../../../testkit/traffic';
import { toArchiveLine } from '../../archiver/src/lines';
import { compactHour } from '../src/processor';
import type { LakeStore } from '../src/store';

const EVENTS = Number(process.env.COMPACTOR_BENCH_EVENTS ?? 3_600_000);
const HOUR_MS = Date.parse('2026-11-22T14:00:00.000Z');
const RESEND_SHARE = 0.01;
const BATCH = 1000;

/** Phase 1: the raw hour on disk, as `events/…/hour=14/<shard>_<n>.jsonl.gz`. */
function generate(directory: string): { lines: number; objects: number; bytes: number; jsonBytes: number } {
  const model = new TrafficModel({ seed: 2026, botShare: 0.01, camelCaseShare: 0.1 });
  const prefix = hourPrefixes('events', HOUR_MS, HOUR_MS)[0]!;
  mkdirSync(path.join(directory, prefix), { recursive: true });
  const pending: string[][] = [[], []];
  const sequence = [0n, 0n];
  let objects = 0;
  let bytes = 0;
  let lines = 0;
  let jsonBytes = 0;
  const flush = (shard: number) => {
    const body = gzipSync(`${pending[shard]!.join('\n')}\n`);
    writeFileSync(path.join(directory, `${prefix}shardId-00000000000${shard}_${String(objects).padStart(6, '0')}.jsonl.gz`), body);
    objects++;
    bytes += body.byteLength;
    pending[shard] = [];
  };
  const chunk = 100_000;
  for (let start = 0; start < EVENTS; start += chunk) {
    const records = model.stream(Math.min(chunk, EVENTS - start), HOUR_MS + Math.floor((start / EVENTS) * 3_500_000), 110);
    for (const record of records) {
      const shard = record.sessionId.charCodeAt(record.sessionId.length - 1) % 2;
      const arrivalMs = Math.min(record.eventTimeMs + 800, HOUR_MS + 3_599_999);
      const sequenceNumber = `49${String(++sequence[shard]!).padStart(54, '0')}`;
      const decided = decodeEvent(Buffer.from(record.data), { shardId: `shardId-00000000000${shard}`, sequenceNumber }, { nowMs: arrivalMs, maxFutureSkewMs: 300_000, maxEventAgeMs: 7 * 86_400_000, maxRecordBytes: 1 << 20 });
      if (!decided.ok) continue;
      const origin = { shardId: `shardId-00000000000${shard}`, sequenceNumber, partitionKey: record.partitionKey, data: Buffer.from(record.data), arrivalMs };
      const copies = [JSON.stringify(toArchiveLine(decided.event, origin))];
      if (lines % Math.round(1 / RESEND_SHARE) === 0) copies.push(JSON.stringify(toArchiveLine(decided.event, { ...origin, sequenceNumber: `${sequenceNumber.slice(0, -1)}9`, arrivalMs: arrivalMs + 1 })));
      for (const text of copies) {
        pending[shard]!.push(text);
        lines++;
        jsonBytes += text.length + 1;
        if (pending[shard]!.length === BATCH) flush(shard);
      }
    }
  }
  for (const shard of [0, 1]) if (pending[shard]!.length > 0) flush(shard);
  return { lines, objects, bytes, jsonBytes };
}

/** A LakeStore over the generated files; what the compactor writes is counted and dropped. */
class DirectoryStore implements LakeStore {
  readonly bucket = 'bench';
  written = new Map<string, number>();

  constructor(private readonly directory: string) {}

  async listObjects(prefix: string): Promise<ArchiveObject[]> {
    const folder = path.join(this.directory, prefix);
    let names: string[] = [];
    try {
      names = readdirSync(folder).sort();
    } catch {
      return [];
    }
    return names.map((name) => ({ key: `${prefix}${name}`, size: statSync(path.join(folder, name)).size }));
  }
  async listGenerations(): Promise<string[]> {
    return [];
  }
  async readLines(key: string): Promise<string[]> {
    return gunzipSync(readFileSync(path.join(this.directory, key))).toString('utf8').split('\n').filter((line) => line !== '');
  }
  async getText(): Promise<string | undefined> {
    return undefined;
  }
  async putObject(key: string, body: Uint8Array | string): Promise<void> {
    this.written.set(key, typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
  }
  async deletePrefix(): Promise<number> {
    return 0;
  }
  async acceptedEvents(): Promise<number> {
    return 0;
  }
}

/** Phase 2: the compaction alone, in this (fresh) process. */
async function compact(directory: string): Promise<void> {
  const store = new DirectoryStore(directory);
  const observe = { logger: createLogger({ service: 'compactor', level: 'silent' }), metrics: new MetricsLogger('Bench', {}, () => undefined) };
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const outcome = await compactHour(HOUR_MS, store, { partitionRows: 200_000, retireAfterMs: 0, closeGraceMs: 0, lookbackHours: 1, freshnessP99ThresholdMs: 300_000, readConcurrency: 8, spillDir: directory }, observe, () => Date.now());
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  const parquetBytes = outcome.manifest.files.reduce((sum, file) => sum + file.bytes, 0);
  process.stdout.write(
    `${JSON.stringify({
      rows: outcome.manifest.figures.curated_rows,
      rawLines: outcome.manifest.figures.raw_lines,
      duplicatesRemoved: outcome.manifest.figures.duplicates_removed,
      files: outcome.manifest.files.length,
      parquetBytes,
      sourceBytes: outcome.manifest.source.bytes,
      spilledBytes: outcome.spilledBytes,
      wallMs: Math.round(wallMs),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      peakRssMb: Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20),
    })}\n`,
  );
}

async function main(): Promise<void> {
  if (process.env.COMPACTOR_BENCH_DIR) return compact(process.env.COMPACTOR_BENCH_DIR);
  const directory = mkdtempSync(path.join(tmpdir(), 'compactor-bench-'));
  try {
    const generatedAt = performance.now();
    const raw = generate(directory);
    console.log(`generated ${raw.lines.toLocaleString('en')} raw lines in ${raw.objects.toLocaleString('en')} objects (${(raw.bytes / 2 ** 20).toFixed(1)} MiB gzip) in ${((performance.now() - generatedAt) / 1000).toFixed(0)} s`);
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=900', __filename], { env: { ...process.env, COMPACTOR_BENCH_DIR: directory }, encoding: 'utf8', maxBuffer: 1 << 20 });
    if (child.status !== 0) throw new Error(`compaction failed: ${child.stderr}`);
    const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as Record<string, number>;
    const perEventRaw = raw.bytes / raw.lines;
    const perEventCurated = result.parquetBytes! / result.rows!;
    console.table({
      'events (curated rows)': result.rows,
      'raw lines (incl. resends)': result.rawLines,
      'duplicates removed': result.duplicatesRemoved,
      'wall time, s': +(result.wallMs! / 1000).toFixed(1),
      'CPU time, s': +(result.cpuMs! / 1000).toFixed(1),
      'rows/s (wall)': Math.round(result.rows! / (result.wallMs! / 1000)),
      'raw MB/s (uncompressed JSON, wall)': +(raw.jsonBytes / 1e6 / (result.wallMs! / 1000)).toFixed(1),
      'raw MB/s (gzip, wall)': +(raw.bytes / 1e6 / (result.wallMs! / 1000)).toFixed(1),
      'peak RSS, MiB': result.peakRssMb,
      'spill on /tmp, MiB': +(result.spilledBytes! / 2 ** 20).toFixed(0),
      'raw bytes/event (gzip JSON Lines)': +perEventRaw.toFixed(1),
      'curated bytes/event (Parquet)': +perEventCurated.toFixed(1),
      'raw objects/hour → per day': `${raw.objects} → ${raw.objects * 24}`,
      'curated objects/hour → per day (files + manifest + symlink)': `${result.files! + 2} → ${(result.files! + 2) * 24}`,
    });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
