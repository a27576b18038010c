/**
 * The event-processor's tables: what each item holds, how its keys are built, and the read
 * queries every reader (`npm run query`, the local dashboard, the load test's verification)
 * uses. The event-processor is the only writer of these three tables; readers import this
 * module and nothing else of the service.
 *
 * | table             | key                                      | item                                   |
 * |-------------------|------------------------------------------|----------------------------------------|
 * | `page-metrics`    | `page_url` (normalized path), `window_start` (`<UTC minute>#<writer>`) | `page_views`, `events` per page per minute, one part per writing shard |
 * | `page-metrics`    | `page_url` `top#<UTC minute>#<0–3>`, `window_start` (`<UTC minute>#<writer>`) | the top-pages rollup: `views`, `events` maps (page → count) of one writer's minute |
 * | `session-metrics` | `session_id`                             | `SessionItem`                          |
 * | `counters`        | `metric_name` (`events#<type>`, `events#custom#<type>`, `events#all`), `window_start` (`<UTC minute>#<writer>`) | `count` of accepted events, one part per writing shard |
 *
 * Page and counter items are write-sharded (shared/src/contract/parts.ts): each shard writes its
 * own part of a minute, so no item is written by every shard or carries more than one fence; the
 * read queries here sum the parts. Bookkeeping on the items, never shown to readers:
 * `fence#<writer>` on page, counter and rollup parts (the writer's sequence fence), `seen_events`
 * (the packed seen-set) and `version` (the optimistic lock of every session write) on sessions.
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { ALL_EVENTS_COUNTER, batchGetItems, mapWithConcurrency, counterName, KNOWN_EVENT_TYPES, minuteWindow, partRange, partSortKey, partWindow, queryItems, readCounterWindows, scanItems, type ResourceNames } from '@clickstream/shared';

/** A `session-metrics` item as stored, plus its bookkeeping. */
export interface SessionItem {
  session_id: string;
  user_id?: string;
  first_event_at: string;
  last_event_at: string;
  duration_seconds: number;
  event_count: number;
  page_views: number;
  entry_page?: string;
  exit_page?: string;
  /** Event time of `entry_page` / `exit_page`, so a late event can still move them. */
  entry_page_at?: string;
  exit_page_at?: string;
  is_bounce: boolean;
  converted: boolean;
  revenue: number;
  device_type?: string;
  country?: string;
  ttl: number;
  /** Packed `SeenEvents`: the dedup and redelivery fence for this session. */
  seen_events?: Uint8Array;
  /** Incremented by every write, which is conditional on the version it read (no lost updates). */
  version?: number;
}

/** A session as readers see it: without the bookkeeping attributes. */
export type SessionView = Omit<SessionItem, 'seen_events' | 'version'>;

/** A page and UTC minute (the item's `window_start` is this minute's part: `<minute>#<writer>`). */
export interface PageKey extends Record<string, string> {
  page_url: string;
  window_start: string;
}

/** Key of a `counters` item. */
export { ALL_EVENTS_COUNTER, counterKey, counterName, type CounterKey } from '@clickstream/shared';

export const pageKey = (pagePath: string, windowStart: string): PageKey => ({ page_url: pagePath, window_start: windowStart });

/** The stored key of one writer's part of a page or counter minute. */
export const partKey = <K extends { window_start: string }>(key: K, writer: string): K => ({ ...key, window_start: partSortKey(key.window_start, writer) });

/**
 * The top-pages rollup is split over this many partitions per minute, by writer, so a minute's
 * rollup writes (one per writer and batch) spread over four partition keys instead of one.
 */
export const TOP_PAGES_PARTITIONS = 4;

/** Partition key of a minute's top-pages rollup, partition 0–3 (never a page path: those start with `/`). */
export const topPagesPartition = (windowStart: string, partition: number): string => `top#${windowStart}#${partition}`;

/** Stored key of one writer's top-pages rollup of a minute. */
export function topPagesKey(windowStart: string, writer: string): { page_url: string; window_start: string } {
  const partition = createHash('md5').update(writer).digest().readUInt8(0) % TOP_PAGES_PARTITIONS;
  return { page_url: topPagesPartition(windowStart, partition), window_start: partSortKey(windowStart, writer) };
}

/** A top-pages rollup part: page views and events per page of one writer's minute. */
export interface TopPagesItem {
  page_url: string;
  window_start: string;
  views: Record<string, number>;
  events: Record<string, number>;
  /** Events of pages beyond the rollup's page limit (counted in the per-page items, left out of the ranking). */
  other_events?: number;
  ttl: number;
}

/** A DynamoDB document client and the table names to read. */
export interface TablesReader {
  client: DynamoDBDocumentClient;
  tables: ResourceNames['tables'];
}

/** UTC minutes (`window_start` values) from `minutes - 1` minutes ago up to now. */
export function recentWindows(minutes: number, nowMs = Date.now()): string[] {
  return Array.from({ length: minutes }, (_, index) => minuteWindow(nowMs - (minutes - 1 - index) * 60_000));
}

export interface PageTotal {
  page_url: string;
  page_views: number;
  events: number;
}

/**
 * Top pages by page views over the last `minutes`, from the minutes' top-pages rollups: one Query
 * per minute and rollup partition, every writer's part summed.
 */
export async function topPages(reader: TablesReader, minutes: number, limit: number, nowMs = Date.now()): Promise<PageTotal[]> {
  const totals = new Map<string, PageTotal>();
  const total = (url: string) => {
    let found = totals.get(url);
    if (found === undefined) {
      found = { page_url: url, page_views: 0, events: 0 };
      totals.set(url, found);
    }
    return found;
  };
  const partitions = recentWindows(minutes, nowMs).flatMap((windowStart) => Array.from({ length: TOP_PAGES_PARTITIONS }, (_, partition) => topPagesPartition(windowStart, partition)));
  await Promise.all(
    partitions.map(async (partition) => {
      const items = await queryAll(reader.client, {
        TableName: reader.tables.pageMetrics,
        KeyConditionExpression: '#page = :partition',
        ExpressionAttributeNames: { '#page': 'page_url', '#views': 'views', '#events': 'events' },
        ExpressionAttributeValues: { ':partition': partition },
        ProjectionExpression: '#views, #events',
      });
      for (const item of items) {
        for (const [url, views] of Object.entries((item.views as Record<string, number> | undefined) ?? {})) total(url).page_views += Number(views);
        for (const [url, events] of Object.entries((item.events as Record<string, number> | undefined) ?? {})) total(url).events += Number(events);
      }
    }),
  );
  return [...totals.values()].sort((a, b) => b.page_views - a.page_views || b.events - a.events || a.page_url.localeCompare(b.page_url)).slice(0, limit);
}

/** One session as readers see it, or undefined. */
export async function readSession(reader: TablesReader, sessionId: string): Promise<SessionView | undefined> {
  const result = await reader.client.send(new GetCommand({ TableName: reader.tables.sessionMetrics, Key: { session_id: sessionId }, ConsistentRead: true }));
  if (result.Item === undefined) return undefined;
  const { seen_events: _seen, version: _version, ...visible } = result.Item as SessionItem;
  return visible;
}

/** `event_count` of each session that has an item (BatchGetItem by key, consistent); others are absent. */
export async function sessionEventCounts(reader: TablesReader, sessionIds: readonly string[]): Promise<Map<string, number>> {
  const read = await batchGetItems(reader.client, reader.tables.sessionMetrics, sessionIds.map((session_id) => ({ session_id })), { readRequests: 0 }, ['session_id', 'event_count']);
  if (read.failedKeys.length > 0) throw new Error(`could not read ${read.failedKeys.length} sessions: ${String((read.errors[0] as Error | undefined)?.message ?? 'throttled')}`);
  return new Map(read.items.map((item) => [item.session_id as string, Number(item.event_count ?? 0)]));
}

export interface PageCounts {
  page_views: number;
  events: number;
}

/**
 * `page_views` and `events` of the given pages and minutes (keyed `<page>\u0000<minute>`), every
 * writer's part summed: one Query per page and minute. Pages without events in a minute are absent.
 */
export async function readPageMetrics(reader: TablesReader, keys: readonly PageKey[]): Promise<Map<string, PageCounts>> {
  const counts = new Map<string, PageCounts>();
  await mapWithConcurrency(keys, 16, async (key) => {
    const range = partRange(key.window_start, key.window_start);
    const items = await queryAll(reader.client, {
      TableName: reader.tables.pageMetrics,
      KeyConditionExpression: '#page = :page AND #window BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#page': 'page_url', '#window': 'window_start', '#views': 'page_views', '#events': 'events' },
      ExpressionAttributeValues: { ':page': key.page_url, ':from': range.from, ':to': range.to },
      ProjectionExpression: '#window, #views, #events',
      ConsistentRead: true,
    });
    for (const item of items) {
      const id = `${key.page_url}\u0000${partWindow(String(item.window_start))}`;
      const total = counts.get(id) ?? { page_views: 0, events: 0 };
      total.page_views += Number(item.page_views ?? 0);
      total.events += Number(item.events ?? 0);
      counts.set(id, total);
    }
  });
  return counts;
}

/**
 * `count` per metric name and minute over windows `fromWindow`..`toWindow` (inclusive), every
 * writer's part summed: one paginated Query per metric name.
 */
export async function counterTotals(reader: TablesReader, metricNames: readonly string[], fromWindow: string, toWindow: string): Promise<Map<string, Map<string, number>>> {
  return readCounterWindows(reader.client, reader.tables.counters, metricNames, fromWindow, toWindow);
}

/** Events per minute by type over the last `minutes`; types outside the known list show as `custom`. */
export async function eventsPerMinute(reader: TablesReader, minutes: number, nowMs = Date.now()): Promise<Array<Record<string, string | number>>> {
  const windows = recentWindows(minutes, nowMs);
  const counts = await counterTotals(reader, [...KNOWN_EVENT_TYPES.map(counterName), ALL_EVENTS_COUNTER], windows[0]!, windows[windows.length - 1]!);
  return windows.map((windowStart) => {
    const row: Record<string, string | number> = { minute: windowStart };
    let known = 0;
    for (const type of KNOWN_EVENT_TYPES) {
      const count = counts.get(counterName(type))?.get(windowStart) ?? 0;
      row[type] = count;
      known += count;
    }
    const all = counts.get(ALL_EVENTS_COUNTER)?.get(windowStart) ?? 0;
    row.custom = all - known;
    row.all = all;
    return row;
  });
}

/** A session is active while its last event is at most this old (event time). */
export const ACTIVE_SESSION_MINUTES = 5;

export interface ActiveSession {
  session_id: string;
  user_id?: string;
  last_event_at: string;
  event_count: number;
  page_views: number;
  exit_page?: string;
  converted: boolean;
  revenue: number;
  device_type?: string;
  country?: string;
}

export interface ActiveSessions {
  count: number;
  windowMinutes: number;
  /** The most recent, newest first. */
  recent: ActiveSession[];
}

/**
 * Sessions whose last event is within the last five minutes. The session table has no index on
 * `last_event_at`, so this scans it with a filter: fine for a local table of demo sessions, not
 * something to run against a production table (there, keep a per-minute active-session counter).
 */
export async function activeSessions(reader: TablesReader, nowMs = Date.now(), limit = 10): Promise<ActiveSessions> {
  const since = new Date(nowMs - ACTIVE_SESSION_MINUTES * 60_000).toISOString();
  const found: ActiveSession[] = [];
  const items = scanItems(reader.client, {
    TableName: reader.tables.sessionMetrics,
    FilterExpression: 'last_event_at >= :since',
    ProjectionExpression: 'session_id, user_id, last_event_at, event_count, page_views, exit_page, converted, revenue, device_type, country',
    ExpressionAttributeValues: { ':since': since },
  });
  for await (const item of items) {
    found.push({
      session_id: String(item.session_id),
      ...(item.user_id === undefined ? {} : { user_id: String(item.user_id) }),
      last_event_at: String(item.last_event_at),
      event_count: Number(item.event_count ?? 0),
      page_views: Number(item.page_views ?? 0),
      ...(item.exit_page === undefined ? {} : { exit_page: String(item.exit_page) }),
      converted: item.converted === true,
      revenue: Number(item.revenue ?? 0),
      ...(item.device_type === undefined ? {} : { device_type: String(item.device_type) }),
      ...(item.country === undefined ? {} : { country: String(item.country) }),
    });
  }
  found.sort((a, b) => b.last_event_at.localeCompare(a.last_event_at));
  return { count: found.length, windowMinutes: ACTIVE_SESSION_MINUTES, recent: found.slice(0, limit) };
}

/**
 * The sessions of one user (`user_id` of the session item): what `forget` deletes. The table has
 * no index on `user_id` (it would cost a write per session update for a rare request), so this
 * scans it with a filter, reading only the keys.
 */
export async function sessionsOfUser(reader: TablesReader, userId: string): Promise<string[]> {
  const sessions: string[] = [];
  const items = scanItems(reader.client, {
    TableName: reader.tables.sessionMetrics,
    FilterExpression: 'user_id = :user',
    ProjectionExpression: 'session_id',
    ExpressionAttributeValues: { ':user': userId },
    ConsistentRead: true,
  });
  for await (const item of items) sessions.push(String(item.session_id));
  return sessions.sort();
}

/** The key of a `session-metrics` item. */
export const sessionKey = (sessionId: string) => ({ session_id: sessionId });

async function queryAll(client: DynamoDBDocumentClient, input: Parameters<typeof queryItems>[1]): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const item of queryItems(client, input)) items.push(item);
  return items;
}
