/**
 * Archive cost on a realistic traffic model: S3 requests per million events and bytes stored per
 * event, for this archiver (gzip JSON Lines per shard batch and hour) beside the recipe's design
 * (one uncompressed JSON object per event, one PUT each), on the same records.
 *
 *   npm run bench -- services/archiver/bench/archive.bench.ts
 *
 * The archiver code runs for real (validation, grouping, listing, gzip) against an in-memory
 * store that counts requests and bytes. Batches are cut as the event source mapping cuts them:
 * per shard, at 1,000 records or when the 10 s batching window of the topology closes.
 */
import { createHash } from 'node:crypto';
import { CONSUMERS, createLogger, decideBatch, MetricsLogger, type StreamRecord } from '@clickstream/shared';
import { TrafficModel, type TrafficRecord } from '../../../testkit/traffic';
import { archiveBatch } from '../src/processor';
import type { ArchiveStore } from '../src/store';

const EVENTS = 200_000;
const SHARDS = 2;
const START_MS = Date.parse('2026-11-22T13:50:00.000Z');
const S3_REQUEST_USD_PER_1000 = 0.005; // PUT, COPY, POST, LIST: S3 Standard, us-east-1
const settings = CONSUMERS.archiver;

class CountingStore implements ArchiveStore {
  readonly objects = new Map<string, number>();
  puts = 0;
  lists = 0;
  quarantineRequests = 0;
  bytes = 0;
  private sortedKeys: string[] | undefined;

  async listKeys(prefix: string, startAfter: string): Promise<string[]> {
    this.lists++;
    if (prefix.startsWith('quarantine/')) this.quarantineRequests++;
    this.sortedKeys ??= [...this.objects.keys()].sort();
    return this.sortedKeys.filter((key) => key.startsWith(prefix) && key > startAfter);
  }

  async putObject(key: string, body: Uint8Array): Promise<void> {
    this.puts++;
    if (key.startsWith('quarantine/')) this.quarantineRequests++;
    this.bytes += body.byteLength - (this.objects.get(key) ?? 0);
    this.objects.set(key, body.byteLength);
    this.sortedKeys = undefined;
  }
}

function shardOf(partitionKey: string): number {
  // Kinesis maps the MD5 of the partition key onto the shards' hash key ranges.
  return createHash('md5').update(partitionKey).digest().readUInt32BE(0) % SHARDS;
}

/** Per shard, batches as the mapping cuts them: `batchSize` records or the window, whichever first. */
function cutBatches(records: StreamRecord[]): StreamRecord[][] {
  const batches: StreamRecord[][] = [];
  let current: StreamRecord[] = [];
  for (const record of records) {
    if (current.length > 0 && (current.length >= settings.batchSize || record.arrivalMs - current[0]!.arrivalMs >= settings.maximumBatchingWindowInSeconds * 1000)) {
      batches.push(current);
      current = [];
    }
    current.push(record);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The model's traffic replayed at `eventsPerSecond`: event times (and the timestamps inside the records) stretched around START_MS. */
function atRate(traffic: TrafficRecord[], eventsPerSecond: number): TrafficRecord[] {
  const nativeRate = traffic.length / ((traffic[traffic.length - 1]!.eventTimeMs - traffic[0]!.eventTimeMs) / 1000);
  const stretch = nativeRate / eventsPerSecond;
  const map = (ms: number) => Math.round(START_MS + (ms - START_MS) * stretch);
  return traffic.map((record) => {
    let data = record.data;
    try {
      const parsed = JSON.parse(record.data) as { timestamp?: unknown };
      if (typeof parsed.timestamp === 'string') data = JSON.stringify({ ...parsed, timestamp: new Date(map(Date.parse(parsed.timestamp))).toISOString() });
    } catch {
      // Malformed on purpose (an invalid record of the model): replayed as is.
    }
    return { ...record, data, eventTimeMs: map(record.eventTimeMs) };
  });
}

async function scenario(name: string, model: TrafficRecord[], eventsPerSecond: number) {
  const traffic = atRate(model, eventsPerSecond);
  const perShard: StreamRecord[][] = Array.from({ length: SHARDS }, () => []);
  let baselineBytes = 0;
  traffic.forEach((record, index) => {
    const shard = shardOf(record.partitionKey);
    const data = Buffer.from(record.data, 'utf8');
    baselineBytes += data.length;
    perShard[shard]!.push({
      shardId: `shardId-00000000000${shard}`,
      sequenceNumber: `4966${String(index + 1).padStart(52, '0')}`,
      partitionKey: record.partitionKey,
      data,
      // Producers send a moment after the event happens.
      arrivalMs: record.eventTimeMs + 150,
    });
  });
  const spanSeconds = (traffic[traffic.length - 1]!.eventTimeMs - traffic[0]!.eventTimeMs) / 1000;

  const store = new CountingStore();
  const logger = createLogger({ service: 'archiver-bench', level: 'silent' });
  const validation = { maxFutureSkewMs: 300_000, maxEventAgeMs: 7 * 86_400_000, maxRecordBytes: 1_048_576 };
  const options = { writeConcurrency: 4 };
  let batches = 0;
  let archived = 0;
  let quarantined = 0;
  const cpuStart = process.cpuUsage();
  for (const shardRecords of perShard) {
    for (const batch of cutBatches(shardRecords)) {
      batches++;
      const outcome = await archiveBatch(decideBatch(batch, validation), store, options, { logger, metrics: new MetricsLogger('bench', {}, () => undefined) });
      if (outcome.failedSequenceNumber !== undefined) throw new Error('unexpected write failure in the benchmark');
      archived += outcome.archived;
      for (const count of outcome.quarantined.values()) quarantined += count;
    }
  }
  const cpu = process.cpuUsage(cpuStart);
  if (archived + quarantined !== EVENTS) throw new Error(`archived ${archived} + quarantined ${quarantined} != ${EVENTS}`);

  const perMillion = 1_000_000 / EVENTS;
  const requests = store.puts + store.lists;
  return {
    name,
    rate: EVENTS / spanSeconds,
    batches,
    meanBatch: EVENTS / batches,
    archived,
    quarantined,
    putsPerMillion: store.puts * perMillion,
    listsPerMillion: store.lists * perMillion,
    requestsPerBatch: requests / batches,
    quarantineShare: store.quarantineRequests / requests,
    bytesPerEvent: store.bytes / EVENTS,
    costPerMillion: requests * perMillion * (S3_REQUEST_USD_PER_1000 / 1000),
    baselinePutsPerMillion: 1_000_000,
    baselineBytesPerEvent: baselineBytes / EVENTS,
    baselineCostPerMillion: 1_000_000 * (S3_REQUEST_USD_PER_1000 / 1000),
    cpuMsPer1000: ((cpu.user + cpu.system) / 1000) * (1000 / EVENTS),
  };
}

async function main() {
  const model = new TrafficModel({ seed: 7, botShare: 0.02, invalidShare: 0.01, camelCaseShare: 0.1 }).stream(EVENTS, START_MS, 2_000);
  const results = [
    await scenario('busy: 1,000 events/s', model, 1_000),
    await scenario('moderate: 100 events/s', model, 100),
    await scenario('quiet: 10 events/s', model, 10),
  ];
  const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  console.log(`archiver: ${fmt(EVENTS)} events per scenario, ${SHARDS} shards, batch ${settings.batchSize} / window ${settings.maximumBatchingWindowInSeconds} s, traffic model seed 7 (2% bots, 1% invalid, 10% camelCase)`);
  console.log('| scenario | events/s | batches (mean size) | PUT / 1M events | LIST / 1M events | S3 requests per batch (quarantine share) | bytes stored / event | request cost / 1M events | recipe: PUT / 1M | recipe: bytes / event | recipe: request cost / 1M | CPU ms / 1k events |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${fmt(r.rate)} | ${fmt(r.batches)} (${fmt(r.meanBatch)}) | ${fmt(r.putsPerMillion)} | ${fmt(r.listsPerMillion)} | ${fmt(r.requestsPerBatch, 2)} (${fmt(r.quarantineShare * 100)}%) | ${fmt(r.bytesPerEvent, 1)} | $${fmt(r.costPerMillion, 3)} | ${fmt(r.baselinePutsPerMillion)} | ${fmt(r.baselineBytesPerEvent, 1)} | $${fmt(r.baselineCostPerMillion, 2)} | ${fmt(r.cpuMsPer1000, 1)} |`,
    );
  }
  for (const r of results) {
    console.log(
      `${r.name}: ${fmt(r.baselinePutsPerMillion / (r.putsPerMillion + r.listsPerMillion))}x fewer S3 requests, ${fmt(r.baselineBytesPerEvent / r.bytesPerEvent, 1)}x fewer bytes than one object per event; ${fmt(r.quarantined)} records quarantined`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
