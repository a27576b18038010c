import { compareSequenceNumbers, CURATED_EVENT_COLUMNS, RAW_EVENT_COLUMNS, type ArchiveLine, type Product } from '@clickstream/shared';

/** One curated row (`CURATED_EVENT_COLUMNS`): optional fields are null, times epoch milliseconds. */
export interface CuratedRow {
  event_id: string;
  event_type: string;
  session_id: string;
  user_id: string | null;
  event_time: number;
  received_at: number;
  page_url: string | null;
  page_path: string | null;
  referrer: string | null;
  user_agent: string | null;
  country: string | null;
  device_type: string | null;
  user_login_state: string | null;
  product: CuratedProduct | null;
  value: number | null;
}

export interface CuratedProduct {
  id: string | null;
  name: string | null;
  category: string | null;
  brand: string | null;
  price: number | null;
  discount_price: number | null;
}

/** Where one archived copy of an event came from: what decides which copy is kept. */
export interface CopyOrigin {
  receivedAtMs: number;
  shardId: string;
  sequenceNumber: string;
}

/**
 * Which of two archived copies of one event id is kept: the one Kinesis received first (arrival
 * time, then shard id, then sequence number). That is the copy the event-processor counted (a
 * resend carries the same session, so it lands on the same shard after the first copy), and the
 * choice depends only on the copies, never on the order the objects are read in, so every re-run
 * keeps the same one.
 */
export function isPreferredCopy(candidate: CopyOrigin, kept: CopyOrigin): boolean {
  if (candidate.receivedAtMs !== kept.receivedAtMs) return candidate.receivedAtMs < kept.receivedAtMs;
  if (candidate.shardId !== kept.shardId) return candidate.shardId < kept.shardId;
  return compareSequenceNumbers(candidate.sequenceNumber, kept.sequenceNumber) < 0;
}

/** The curated row of an archive line. */
export function toCuratedRow(line: ArchiveLine): CuratedRow {
  return {
    event_id: line.event_id,
    event_type: line.event_type,
    session_id: line.session_id,
    user_id: line.user_id ?? null,
    event_time: Date.parse(line.event_time),
    received_at: Date.parse(line.received_at),
    page_url: line.page_url ?? null,
    page_path: line.page_path ?? null,
    referrer: line.referrer ?? null,
    user_agent: line.user_agent ?? null,
    country: line.country ?? null,
    device_type: line.device_type ?? null,
    user_login_state: line.user_login_state ?? null,
    product: line.product === undefined ? null : curatedProduct(line.product),
    value: line.value ?? null,
  };
}

function curatedProduct(product: Product): CuratedProduct {
  return {
    id: product.id ?? null,
    name: product.name ?? null,
    category: product.category ?? null,
    brand: product.brand ?? null,
    price: product.price ?? null,
    discount_price: product.discount_price ?? null,
  };
}

/** Row order within a file: session, event time, event id (a total order: ids are unique). */
export function compareRows(a: CuratedRow, b: CuratedRow): number {
  if (a.session_id !== b.session_id) return a.session_id < b.session_id ? -1 : 1;
  if (a.event_time !== b.event_time) return a.event_time - b.event_time;
  return a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0;
}

const KNOWN_RAW_FIELDS: ReadonlySet<string> = new Set(RAW_EVENT_COLUMNS.map((column) => column.name));
const KNOWN_PRODUCT_FIELDS: ReadonlySet<string> = new Set(['id', 'name', 'category', 'brand', 'price', 'discount_price']);

/** Fields of a raw line that the archive line schema (and so the catalog) does not know. */
export function unknownFields(line: Record<string, unknown>): string[] {
  const unknown: string[] = [];
  for (const field of Object.keys(line)) if (!KNOWN_RAW_FIELDS.has(field)) unknown.push(field);
  const product = line.product;
  if (product !== null && typeof product === 'object') for (const field of Object.keys(product)) if (!KNOWN_PRODUCT_FIELDS.has(field)) unknown.push(`product.${field}`);
  return unknown;
}

/** Curated column names, for null counting. */
export const CURATED_COLUMN_NAMES: readonly string[] = CURATED_EVENT_COLUMNS.map((column) => column.name);

/**
 * Low-cardinality strings (user agents, URLs, countries, product names) repeat on most rows; one
 * shared copy of each keeps a partition's rows small. Bounded: past `limit` distinct values a
 * string is kept as parsed.
 */
export class StringInterner {
  private readonly values = new Map<string, string>();

  constructor(private readonly limit = 50_000) {}

  intern<T extends string | null>(value: T): T {
    if (value === null) return value;
    const known = this.values.get(value);
    if (known !== undefined) return known as T;
    if (this.values.size < this.limit) this.values.set(value, value);
    return value;
  }

  /** The row with its repeating strings shared. */
  row(row: CuratedRow): CuratedRow {
    row.event_type = this.intern(row.event_type);
    row.page_url = this.intern(row.page_url);
    row.page_path = this.intern(row.page_path);
    row.referrer = this.intern(row.referrer);
    row.user_agent = this.intern(row.user_agent);
    row.country = this.intern(row.country);
    row.device_type = this.intern(row.device_type);
    row.user_login_state = this.intern(row.user_login_state);
    row.user_id = this.intern(row.user_id);
    if (row.product !== null) {
      row.product.id = this.intern(row.product.id);
      row.product.name = this.intern(row.product.name);
      row.product.category = this.intern(row.product.category);
      row.product.brand = this.intern(row.product.brand);
    }
    return row;
  }
}
