/**
 * The lake on a laptop: DuckDB over the local stack's archive bucket, with the same three tables
 * Athena has (`raw_events`, `events`, `quarantine`; columns from `shared/src/contract/lake.ts`).
 * DuckDB cannot read S3 here (its httpfs extension is not installable offline), so the objects
 * are mirrored through the S3 API into a cache directory first, incrementally: raw objects and
 * Parquet generations never change once written, so a sync fetches only what is new and drops
 * what the bucket no longer has (retired generations).
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DuckDBDateValue, DuckDBDecimalValue, DuckDBInstance, DuckDBListValue, DuckDBStructValue, DuckDBTimestampTZValue, DuckDBTimestampValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { ARCHIVE_PREFIXES, LAKE_PREFIXES, LAKE_TABLES, listArchiveObjects, mapWithConcurrency, PARTITION_COLUMNS, type ArchiveReader, type LakeColumn } from '@clickstream/shared';
import { compactedHours, liveFiles } from '../services/compactor/src/contract';

/** The local files behind each table after a sync. */
export interface LakeFiles {
  raw: string[];
  curated: string[];
  quarantine: string[];
}

export interface SyncStats {
  downloaded: number;
  removed: number;
  bytes: number;
}

/** Mirrors the archive, the quarantine and the live curated files of `reader`'s bucket under `cacheDir`. */
export async function syncLake(reader: ArchiveReader, cacheDir: string): Promise<{ files: LakeFiles; stats: SyncStats }> {
  const root = path.join(cacheDir, reader.bucket);
  const [raw, quarantine] = await Promise.all([listArchiveObjects(reader, ARCHIVE_PREFIXES.events), listArchiveObjects(reader, ARCHIVE_PREFIXES.quarantine)]);
  const curatedKeys = (await mapWithConcurrency(await compactedHours(reader), 8, (hourMs) => liveFiles(reader, hourMs))).flat();
  const wanted = new Map<string, number | undefined>([...raw, ...quarantine].map((object) => [object.key, object.size]));
  for (const key of curatedKeys) wanted.set(key, undefined);

  const stats: SyncStats = { downloaded: 0, removed: 0, bytes: 0 };
  const missing = [...wanted].filter(([key, size]) => {
    const file = path.join(root, key);
    return !existsSync(file) || (size !== undefined && statSync(file).size !== size);
  });
  await mapWithConcurrency(missing, 8, async ([key]) => {
    const object = await reader.s3.send(new GetObjectCommand({ Bucket: reader.bucket, Key: key }));
    const body = await object.Body!.transformToByteArray();
    const file = path.join(root, key);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, body);
    stats.downloaded++;
    stats.bytes += body.byteLength;
  });
  for (const prefix of [ARCHIVE_PREFIXES.events, ARCHIVE_PREFIXES.quarantine, LAKE_PREFIXES.curatedEvents]) {
    for (const key of listLocal(root, prefix)) {
      if (wanted.has(key)) continue;
      rmSync(path.join(root, key), { force: true });
      stats.removed++;
    }
  }
  const local = (keys: Iterable<string>) => [...keys].sort().map((key) => path.join(root, key));
  return { files: { raw: local(raw.map((o) => o.key)), curated: local(curatedKeys), quarantine: local(quarantine.map((o) => o.key)) }, stats };
}

function listLocal(root: string, prefix: string): string[] {
  const base = path.join(root, prefix);
  if (!existsSync(base)) return [];
  return (readdirSync(base, { recursive: true, withFileTypes: true }) as Array<{ isFile(): boolean; name: string; parentPath?: string; path?: string }>)
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath ?? entry.path ?? base, entry.name)).split(path.sep).join('/'));
}

/** A DuckDB type for a Glue (Hive) column type (Parquet timestamps are UTC instants: TIMESTAMPTZ). */
export function duckDbType(hiveType: string): string {
  const struct = /^struct<(.*)>$/.exec(hiveType);
  if (struct) {
    const fields = struct[1]!.split(',').map((field) => {
      const [name, type] = field.split(':') as [string, string];
      return `"${name}" ${duckDbType(type)}`;
    });
    return `STRUCT(${fields.join(', ')})`;
  }
  const types: Record<string, string> = { string: 'VARCHAR', int: 'INTEGER', bigint: 'BIGINT', double: 'DOUBLE', timestamp: 'TIMESTAMP WITH TIME ZONE', boolean: 'BOOLEAN' };
  const type = types[hiveType];
  if (type === undefined) throw new Error(`no DuckDB type for Hive type ${hiveType}`);
  return type;
}

const sqlString = (value: string) => `'${value.replace(/'/g, "''")}'`;
const fileList = (files: readonly string[]) => `[${files.map(sqlString).join(', ')}]`;
const hiveTypes = `{${PARTITION_COLUMNS.map((name) => `'${name}': 'VARCHAR'`).join(', ')}}`;
const columnStruct = (columns: readonly LakeColumn[]) => `{${columns.map((column) => `'${column.name}': ${sqlString(duckDbType(column.type))}`).join(', ')}}`;
const emptyTable = (name: string, columns: readonly LakeColumn[]) =>
  `CREATE TABLE ${name} (${[...columns.map((column) => `"${column.name}" ${duckDbType(column.type)}`), ...PARTITION_COLUMNS.map((column) => `"${column}" VARCHAR`)].join(', ')})`;

/** A DuckDB session with the three tables defined over the synced files. */
export class LakeSession {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(files: LakeFiles): Promise<LakeSession> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    // Athena works in UTC; so do the local tables (timestamps are instants, shown in UTC).
    await connection.run("SET TimeZone = 'UTC'");
    const session = new LakeSession(instance, connection);
    for (const [table, sources] of [
      [LAKE_TABLES.raw, files.raw],
      [LAKE_TABLES.quarantine, files.quarantine],
    ] as const) {
      await connection.run(
        sources.length === 0
          ? emptyTable(table.name, table.columns)
          : `CREATE VIEW ${table.name} AS SELECT * FROM read_json(${fileList(sources)}, format = 'newline_delimited', compression = 'gzip', columns = ${columnStruct(table.columns)}, hive_partitioning = true, hive_types = ${hiveTypes})`,
      );
    }
    await connection.run(
      files.curated.length === 0
        ? emptyTable(LAKE_TABLES.curated.name, LAKE_TABLES.curated.columns)
        : `CREATE VIEW ${LAKE_TABLES.curated.name} AS SELECT ${LAKE_TABLES.curated.columns.map((column) => `"${column.name}"`).join(', ')}, ${PARTITION_COLUMNS.join(', ')} FROM read_parquet(${fileList(files.curated)}, hive_partitioning = true, hive_types = ${hiveTypes})`,
    );
    return session;
  }

  /** Runs one statement and returns its rows as plain JSON values. */
  async query(sql: string): Promise<Array<Record<string, unknown>>> {
    const result = await this.connection.runAndReadAll(sql);
    const names = result.columnNames();
    return result.getRows().map((row) => Object.fromEntries(row.map((value, index) => [names[index]!, plainValue(value)])));
  }

  /** Column names and DuckDB types of a table. */
  async describe(table: string): Promise<Array<{ name: string; type: string }>> {
    const rows = await this.query(`DESCRIBE ${table}`);
    return rows.map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** DuckDB values as JSON: safe integers as numbers, timestamps as ISO-8601 UTC, structs as objects. */
export function plainValue(value: DuckDBValue): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) return new Date(Number(value.micros / 1000n)).toISOString();
  if (value instanceof DuckDBDateValue) return value.toString();
  if (value instanceof DuckDBDecimalValue) return Number(value.toString());
  if (value instanceof DuckDBStructValue) return Object.fromEntries(Object.entries(value.entries).map(([key, entry]) => [key, plainValue(entry)]));
  if (value instanceof DuckDBListValue) return value.items.map(plainValue);
  return String(value);
}
