import { gzipSync } from 'node:zlib';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { CuratedRow } from './rows';

/**
 * Parquet encoding of curated rows with hyparquet-writer: pure JavaScript, so the bundle runs
 * unchanged on Lambda's arm64 and on any laptop (docs/BENCHMARKS.md, "compactor", has the
 * measurements against DuckDB and parquet-wasm). GZIP pages (zlib, built into Node): an event id
 * is 36 random hex digits that Snappy cannot shrink, gzip's entropy coding halves it, which is
 * what brings a row under 40 bytes. Timestamps use DELTA_BINARY_PACKED: rows are sorted by
 * session, so consecutive event times differ by seconds.
 */

export const ROW_GROUP_ROWS = 100_000;
export const PARQUET_CODEC = 'GZIP';

const text = (name: string, required = false) => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: required ? 'REQUIRED' : 'OPTIONAL' }) as const;
const double = (name: string) => ({ name, type: 'DOUBLE', repetition_type: 'OPTIONAL' }) as const;
const timestamp = (name: string) => ({ name, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' }, repetition_type: 'REQUIRED' }) as const;

/** The Parquet schema of `CURATED_EVENT_COLUMNS`, in the same order. */
export const CURATED_PARQUET_SCHEMA = [
  { name: 'root', num_children: 15 },
  text('event_id', true),
  text('event_type', true),
  text('session_id', true),
  text('user_id'),
  timestamp('event_time'),
  timestamp('received_at'),
  text('page_url'),
  text('page_path'),
  text('referrer'),
  text('user_agent'),
  text('country'),
  text('device_type'),
  text('user_login_state'),
  { name: 'product', repetition_type: 'OPTIONAL', num_children: 6 },
  text('id'),
  text('name'),
  text('category'),
  text('brand'),
  double('price'),
  double('discount_price'),
  double('value'),
];

const compressors = { GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input, { level: 6 })) };

/** One Parquet file of `rows` (already in file order), in row groups of `ROW_GROUP_ROWS`. */
export function encodeParquet(rows: readonly CuratedRow[]): Uint8Array {
  const writer = new ByteWriter();
  const parquet = new ParquetWriter({ writer, schema: CURATED_PARQUET_SCHEMA as never, codec: PARQUET_CODEC, compressors, createdBy: 'clickstream-compactor' });
  for (let start = 0; start < rows.length || start === 0; start += ROW_GROUP_ROWS) {
    const group = rows.slice(start, start + ROW_GROUP_ROWS);
    const column = <T>(pick: (row: CuratedRow) => T) => group.map(pick);
    void parquet.write({
      rowGroupSize: ROW_GROUP_ROWS,
      columnData: [
        { name: 'event_id', data: column((row) => row.event_id) },
        { name: 'event_type', data: column((row) => row.event_type) },
        { name: 'session_id', data: column((row) => row.session_id) },
        { name: 'user_id', data: column((row) => row.user_id) },
        { name: 'event_time', data: column((row) => BigInt(row.event_time)), encoding: 'DELTA_BINARY_PACKED' },
        { name: 'received_at', data: column((row) => BigInt(row.received_at)), encoding: 'DELTA_BINARY_PACKED' },
        { name: 'page_url', data: column((row) => row.page_url) },
        { name: 'page_path', data: column((row) => row.page_path) },
        { name: 'referrer', data: column((row) => row.referrer) },
        { name: 'user_agent', data: column((row) => row.user_agent) },
        { name: 'country', data: column((row) => row.country) },
        { name: 'device_type', data: column((row) => row.device_type) },
        { name: 'user_login_state', data: column((row) => row.user_login_state) },
        { name: 'product', data: column((row) => row.product) },
        { name: 'value', data: column((row) => row.value) },
      ] as never,
    });
    if (rows.length === 0) break;
  }
  void parquet.finish();
  return new Uint8Array(writer.getBuffer());
}
