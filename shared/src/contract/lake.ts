/**
 * The lake behind the archive, as every part sees it: the three tables (raw archive, curated
 * events, quarantine) with their columns and where their objects live, the names of the catalog
 * resources, and the named queries. The cdktf catalog (Glue tables, Athena workgroup and named
 * queries), the compactor (the curated zone's writer) and the local SQL (DuckDB over the same
 * objects) read this one module, so a column or a query cannot differ between Athena and a laptop.
 *
 *   s3://<bucket>/events/year=YYYY/month=MM/day=DD/hour=HH/…jsonl.gz          raw_events  (archiver)
 *   s3://<bucket>/quarantine/year=YYYY/month=MM/day=DD/hour=HH/…jsonl.gz      quarantine  (archiver)
 *   s3://<bucket>/curated/events/year=…/hour=HH/<generation>/part-NNNNN.parquet   events   (compactor)
 *   s3://<bucket>/curated/_symlink/events/year=…/hour=HH/manifest             the live generation of each hour
 *
 * The curated layout in detail (generations, the manifest switch) is the compactor's contract:
 * `services/compactor/src/contract.ts`.
 */
import { ARCHIVE_PREFIXES } from './topology';

/** Prefixes of the curated zone and of Athena's query results, beside the archive's own. */
export const LAKE_PREFIXES = {
  /** Parquet files of the curated events, one folder per hour and generation. */
  curatedEvents: 'curated/events/',
  /** One symlink manifest per hour: the list of the live generation's files (what Athena reads). */
  curatedSymlinks: 'curated/_symlink/events/',
  /** Athena writes query results here (encrypted, expired by the bucket's lifecycle). */
  athenaResults: 'athena-results/',
} as const;

/** The Hive partition columns of all three tables: zero-padded strings of the UTC hour. */
export const PARTITION_COLUMNS = ['year', 'month', 'day', 'hour'] as const;

/** A column as the Glue catalog declares it (Hive type names). */
export interface LakeColumn {
  name: string;
  /** `string`, `int`, `bigint`, `double`, `timestamp`, or a `struct<…>` of those. */
  type: string;
  comment: string;
}

const PRODUCT_STRUCT = 'struct<id:string,name:string,category:string,brand:string,price:double,discount_price:double>';

/** `raw_events`: the archive line (`ArchiveLine`), gzip JSON Lines, one line per Kinesis record. */
export const RAW_EVENT_COLUMNS: readonly LakeColumn[] = [
  { name: 'schema_version', type: 'int', comment: 'archive line schema version' },
  { name: 'event_id', type: 'string', comment: 'client UUID or derived:<shard>:<sequence>; the dedup key' },
  { name: 'event_type', type: 'string', comment: 'page_view, click, … or a custom type' },
  { name: 'session_id', type: 'string', comment: 'session; the Kinesis partition key' },
  { name: 'user_id', type: 'string', comment: 'optional' },
  { name: 'timestamp', type: 'string', comment: 'event time as the producer sent it' },
  { name: 'event_time', type: 'string', comment: 'event time, ISO-8601 UTC with milliseconds' },
  { name: 'page_url', type: 'string', comment: 'URL as sent' },
  { name: 'page_path', type: 'string', comment: 'normalized path (the page-metrics key)' },
  { name: 'referrer', type: 'string', comment: 'optional' },
  { name: 'user_agent', type: 'string', comment: 'optional' },
  { name: 'ip_address', type: 'string', comment: 'optional; raw zone only' },
  { name: 'country', type: 'string', comment: 'optional' },
  { name: 'device_type', type: 'string', comment: 'optional' },
  { name: 'user_login_state', type: 'string', comment: 'optional' },
  { name: 'product', type: PRODUCT_STRUCT, comment: 'optional product' },
  { name: 'value', type: 'double', comment: 'revenue of a purchase' },
  { name: 'received_at', type: 'string', comment: 'Kinesis arrival time, ISO-8601 UTC' },
  { name: 'shard_id', type: 'string', comment: 'Kinesis shard' },
  { name: 'sequence_number', type: 'string', comment: 'Kinesis sequence number (decimal string)' },
];

/** `quarantine`: the quarantine line (`QuarantineLine`), by arrival hour. */
export const QUARANTINE_COLUMNS: readonly LakeColumn[] = [
  { name: 'schema_version', type: 'int', comment: 'quarantine line schema version' },
  { name: 'reason', type: 'string', comment: 'rejection reason code' },
  { name: 'message', type: 'string', comment: 'human-readable detail' },
  { name: 'field', type: 'string', comment: 'offending field path, when there is one' },
  { name: 'received_at', type: 'string', comment: 'Kinesis arrival time, ISO-8601 UTC (the partition)' },
  { name: 'shard_id', type: 'string', comment: 'Kinesis shard' },
  { name: 'sequence_number', type: 'string', comment: 'Kinesis sequence number' },
  { name: 'partition_key', type: 'string', comment: 'Kinesis partition key' },
  { name: 'raw_size_bytes', type: 'bigint', comment: 'size of the record' },
  { name: 'raw_base64', type: 'string', comment: 'the record as delivered, base64' },
];

/**
 * `events`: the curated zone, one row per `event_id` per event hour, typed (Parquet). It drops the
 * transport fields (shard, sequence number), the producer's timestamp text (`event_time` is the
 * same instant, typed) and the client address (already truncated or pseudonymized at the door,
 * still not needed for analysis); `raw_events` has them all, joined on `event_id`.
 */
export const CURATED_EVENT_COLUMNS: readonly LakeColumn[] = [
  { name: 'event_id', type: 'string', comment: 'unique in the table' },
  { name: 'event_type', type: 'string', comment: 'page_view, click, … or a custom type' },
  { name: 'session_id', type: 'string', comment: 'session' },
  { name: 'user_id', type: 'string', comment: 'optional' },
  { name: 'event_time', type: 'timestamp', comment: 'event time (UTC, milliseconds)' },
  { name: 'received_at', type: 'timestamp', comment: 'Kinesis arrival time of the kept copy (UTC, milliseconds)' },
  { name: 'page_url', type: 'string', comment: 'URL as sent' },
  { name: 'page_path', type: 'string', comment: 'normalized path (the page-metrics key)' },
  { name: 'referrer', type: 'string', comment: 'optional' },
  { name: 'user_agent', type: 'string', comment: 'optional' },
  { name: 'country', type: 'string', comment: 'optional' },
  { name: 'device_type', type: 'string', comment: 'optional' },
  { name: 'user_login_state', type: 'string', comment: 'optional' },
  { name: 'product', type: PRODUCT_STRUCT, comment: 'optional product' },
  { name: 'value', type: 'double', comment: 'revenue of a purchase' },
];

/** The three tables: name, columns and the prefix their partitions live under. */
export const LAKE_TABLES = {
  raw: { name: 'raw_events', columns: RAW_EVENT_COLUMNS, prefix: ARCHIVE_PREFIXES.events, format: 'json' },
  curated: { name: 'events', columns: CURATED_EVENT_COLUMNS, prefix: LAKE_PREFIXES.curatedSymlinks, format: 'parquet-symlink' },
  quarantine: { name: 'quarantine', columns: QUARANTINE_COLUMNS, prefix: ARCHIVE_PREFIXES.quarantine, format: 'json' },
} as const;

export type LakeTableKey = keyof typeof LAKE_TABLES;

/** Names of the lake's AWS resources for a project and environment. */
export interface LakeNames {
  /** Glue database: lower case, underscores (`clickstream_analytics_dev`). */
  database: string;
  workgroup: string;
  compactorFunction: string;
  compactorRole: string;
  /** EventBridge Scheduler group and schedules of the compactor. */
  scheduleGroup: string;
}

export function lakeNames(project: string, environment: string): LakeNames {
  const prefix = `${project}-${environment}`;
  return {
    database: `${project}_${environment}`.toLowerCase().replace(/[^a-z0-9_]/g, '_'),
    workgroup: `${prefix}-lake`,
    compactorFunction: `${prefix}-compactor`,
    compactorRole: `${prefix}-compactor`,
    scheduleGroup: `${prefix}-lake`,
  };
}

/** `YYYY-MM-DDTHH`, the hour a `--hour` flag and the reports name (UTC). */
export function hourLabel(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 13);
}

/** Start of the UTC hour `YYYY-MM-DDTHH` in epoch ms; throws on anything else. */
export function parseHourLabel(label: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/.exec(label);
  const ms = match === null ? Number.NaN : Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]));
  if (!Number.isFinite(ms) || hourLabel(ms) !== label) throw new Error(`hour must be YYYY-MM-DDTHH (UTC), got "${label}"`);
  return ms;
}

/**
 * A catalogued query. The SQL is the common subset of Athena (Trino) and DuckDB, over the table
 * names above, so `npm run query -- named <name>` runs the very text Athena saves. Each filters on
 * the partition columns (today, UTC) so Athena's partition projection enumerates one day only.
 */
export interface NamedQuery {
  name: string;
  description: string;
  sql: string;
}

const today = (table?: string) => {
  const column = (name: string) => (table === undefined ? name : `${table}.${name}`);
  return `${column('year')} = CAST(year(current_date) AS varchar) AND ${column('month')} = lpad(CAST(month(current_date) AS varchar), 2, '0') AND ${column('day')} = lpad(CAST(day(current_date) AS varchar), 2, '0')`;
};

export const NAMED_QUERIES: readonly NamedQuery[] = [
  {
    name: 'top-pages',
    description: 'Most viewed pages today (UTC), one row per event.',
    sql: `SELECT page_path, count(*) AS page_views, count(DISTINCT session_id) AS sessions
FROM events
WHERE ${today()} AND event_type = 'page_view'
GROUP BY page_path
ORDER BY page_views DESC, page_path
LIMIT 20`,
  },
  {
    name: 'page-views-by-hour',
    description: 'Page views per page and hour today (UTC): what the page-metrics table holds per minute, summed per hour.',
    sql: `SELECT hour, page_path, count(*) AS page_views
FROM events
WHERE ${today()} AND event_type = 'page_view'
GROUP BY hour, page_path
ORDER BY hour, page_path`,
  },
  {
    name: 'funnel',
    description: 'Sessions reaching each funnel step today (UTC).',
    sql: `SELECT
  count(DISTINCT CASE WHEN event_type = 'page_view' THEN session_id END) AS page_view,
  count(DISTINCT CASE WHEN event_type = 'product_view' THEN session_id END) AS product_view,
  count(DISTINCT CASE WHEN event_type = 'add_to_cart' THEN session_id END) AS add_to_cart,
  count(DISTINCT CASE WHEN event_type = 'checkout' THEN session_id END) AS checkout,
  count(DISTINCT CASE WHEN event_type = 'purchase' THEN session_id END) AS purchase
FROM events
WHERE ${today()}`,
  },
  {
    name: 'sessions-per-day',
    description: 'Sessions, users, events and revenue per day this month (UTC).',
    sql: `SELECT year, month, day, count(DISTINCT session_id) AS sessions, count(DISTINCT user_id) AS users, count(*) AS events,
  round(sum(CASE WHEN event_type = 'purchase' THEN value ELSE 0 END), 2) AS revenue
FROM events
WHERE year = CAST(year(current_date) AS varchar) AND month = lpad(CAST(month(current_date) AS varchar), 2, '0')
GROUP BY year, month, day
ORDER BY year, month, day`,
  },
  {
    name: 'quarantine-by-reason',
    description: 'Records quarantined today (UTC, by arrival), by reason.',
    sql: `SELECT reason, count(*) AS records, min(received_at) AS first_received, max(received_at) AS last_received
FROM quarantine
WHERE ${today()}
GROUP BY reason
ORDER BY records DESC, reason`,
  },
  {
    name: 'data-quality',
    description: 'Per event hour today (UTC): raw lines, distinct events, curated rows, duplicates; consistent when curated rows equal distinct raw events and no event id repeats.',
    sql: `WITH raw AS (
  SELECT hour, count(*) AS raw_lines, count(DISTINCT event_id) AS raw_events
  FROM raw_events WHERE ${today()} GROUP BY hour
), curated AS (
  SELECT hour, count(*) AS curated_rows, count(DISTINCT event_id) AS curated_events
  FROM events WHERE ${today()} GROUP BY hour
)
SELECT raw.hour, raw.raw_lines, raw.raw_events, coalesce(curated.curated_rows, 0) AS curated_rows,
  raw.raw_lines - raw.raw_events AS duplicates_removed,
  coalesce(curated.curated_rows, 0) - coalesce(curated.curated_events, 0) AS curated_duplicates,
  coalesce(curated.curated_rows, 0) = raw.raw_events AND coalesce(curated.curated_rows, 0) = coalesce(curated.curated_events, 0) AS consistent
FROM raw LEFT JOIN curated ON curated.hour = raw.hour
ORDER BY raw.hour`,
  },
];
