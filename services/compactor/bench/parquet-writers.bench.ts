/**
 * The Parquet writer, chosen by measurement: the same 200,000 curated rows (traffic model seed
 * 2026, sorted as the compactor sorts them) written by the compactor's encoder (hyparquet-writer)
 * with each codec, and by DuckDB's node API (COPY … TO parquet) for comparison: rows/s on one
 * core and bytes per event.
 *
 *   npm run bench -- services/compactor/bench/parquet-writers.bench.ts
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { decodeEvent } from '@clickstream/shared';
import { TrafficModel } from '../../../testkit/traffic';
import { toArchiveLine } from '../../archiver/src/lines';
import { CURATED_PARQUET_SCHEMA, encodeParquet } from '../src/parquet';
import { compareRows, toCuratedRow, type CuratedRow } from '../src/rows';

const ROWS = 200_000;

function curatedRows(): CuratedRow[] {
  const records = new TrafficModel({ seed: 2026, botShare: 0.01, camelCaseShare: 0.1 }).stream(ROWS, Date.parse('2026-11-22T14:00:00Z'), 110);
  const rows: CuratedRow[] = [];
  let sequence = 0;
  for (const record of records) {
    const origin = { shardId: 'shardId-000000000000', sequenceNumber: String(++sequence), partitionKey: record.partitionKey, data: Buffer.from(record.data), arrivalMs: record.eventTimeMs + 800 };
    const decided = decodeEvent(origin.data, origin, { nowMs: origin.arrivalMs, maxFutureSkewMs: 300_000, maxEventAgeMs: 7 * 86_400_000, maxRecordBytes: 1 << 20 });
    if (decided.ok) rows.push(toCuratedRow(toArchiveLine(decided.event, origin)));
  }
  return rows.sort(compareRows);
}

function hyparquet(rows: readonly CuratedRow[], codec: 'SNAPPY' | 'GZIP', deltaTimestamps: boolean): Uint8Array {
  const writer = new ByteWriter();
  const parquet = new ParquetWriter({ writer, schema: CURATED_PARQUET_SCHEMA as never, codec, compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)) } });
  const time = (pick: (row: CuratedRow) => number) => ({ data: rows.map((row) => BigInt(pick(row))), ...(deltaTimestamps ? { encoding: 'DELTA_BINARY_PACKED' } : {}) });
  void parquet.write({
    rowGroupSize: 100_000,
    columnData: [
      ...(['event_id', 'event_type', 'session_id', 'user_id'] as const).map((name) => ({ name, data: rows.map((row) => row[name]) })),
      { name: 'event_time', ...time((row) => row.event_time) },
      { name: 'received_at', ...time((row) => row.received_at) },
      ...(['page_url', 'page_path', 'referrer', 'user_agent', 'country', 'device_type', 'user_login_state', 'product', 'value'] as const).map((name) => ({ name, data: rows.map((row) => row[name]) })),
    ] as never,
  });
  void parquet.finish();
  return new Uint8Array(writer.getBuffer());
}

async function duckdb(rows: readonly CuratedRow[], codec: 'SNAPPY' | 'ZSTD', directory: string): Promise<number> {
  const staged = path.join(directory, 'rows.jsonl');
  writeFileSync(staged, rows.map((row) => JSON.stringify({ ...row, event_time: new Date(row.event_time).toISOString(), received_at: new Date(row.received_at).toISOString() })).join('\n'));
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  const out = path.join(directory, `duck-${codec}.parquet`);
  await connection.run(
    `COPY (SELECT * FROM read_json('${staged}', columns = {event_id: 'VARCHAR', event_type: 'VARCHAR', session_id: 'VARCHAR', user_id: 'VARCHAR', event_time: 'TIMESTAMPTZ', received_at: 'TIMESTAMPTZ', page_url: 'VARCHAR', page_path: 'VARCHAR', referrer: 'VARCHAR', user_agent: 'VARCHAR', country: 'VARCHAR', device_type: 'VARCHAR', user_login_state: 'VARCHAR', product: 'STRUCT(id VARCHAR, name VARCHAR, category VARCHAR, brand VARCHAR, price DOUBLE, discount_price DOUBLE)', value: 'DOUBLE'})) TO '${out}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 100000)`,
  );
  connection.closeSync();
  instance.closeSync();
  return statSync(out).size;
}

async function main(): Promise<void> {
  const rows = curatedRows();
  const directory = mkdtempSync(path.join(tmpdir(), 'parquet-writers-'));
  const results: Array<Record<string, string | number>> = [];
  const measure = async (writer: string, run: () => Promise<number> | number) => {
    const started = performance.now();
    const bytes = await run();
    const seconds = (performance.now() - started) / 1000;
    results.push({ writer, 'rows/s': Math.round(rows.length / seconds), 'bytes/event': +(bytes / rows.length).toFixed(1) });
  };
  try {
    await measure('hyparquet-writer, SNAPPY, plain timestamps', () => hyparquet(rows, 'SNAPPY', false).byteLength);
    await measure('hyparquet-writer, SNAPPY, delta timestamps', () => hyparquet(rows, 'SNAPPY', true).byteLength);
    await measure('hyparquet-writer, GZIP, delta timestamps (the compactor: encodeParquet)', () => encodeParquet(rows).byteLength);
    await measure('DuckDB node API, SNAPPY (1 thread, incl. staging JSON)', () => duckdb(rows, 'SNAPPY', directory));
    await measure('DuckDB node API, ZSTD (1 thread, incl. staging JSON)', () => duckdb(rows, 'ZSTD', directory));
    console.log(`${rows.length.toLocaleString('en')} curated rows`);
    console.table(results);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
