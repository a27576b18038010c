import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  addFencedItems,
  batchGetItems,
  fenceAttribute,
  isPermanentError,
  mapWithConcurrency,
  putVersioned,
  StoreWriteError,
  WRITTEN_SESSIONS_BYTES,
  WrittenItems,
  type Config,
  type FencedItem,
  type FencedItemsResult,
  type VersionedResult,
} from '@clickstream/shared';
import { applyRollup, type RollupState, type TopPagesRollup } from './aggregate';
import { partKey, topPagesKey, type SessionItem } from './contract';

export type AggregateTable = 'pageMetrics' | 'counters';

/** A session to write and the version of the item it was computed from (0: there was none). */
export interface SessionWrite {
  item: SessionItem;
  readVersion: number;
}

/** What the event-processor needs from its storage; one DynamoDB adapter implements it. */
export interface MetricsStore {
  /**
   * Reads sessions (a session this store wrote last comes from memory); ids whose read failed
   * after retries come back in `failed`.
   */
  loadSessions(sessionIds: readonly string[]): Promise<{ items: Map<string, SessionItem>; failed: Set<string>; errors: unknown[] }>;
  /**
   * Writes sessions, each conditional on the version it was computed from: `conflicts` are ids
   * another writer moved on since the read (re-read and re-apply them), `failed` ids failed
   * transiently, `unwritable` ids can never be stored.
   */
  saveSessions(writes: readonly SessionWrite[]): Promise<VersionedResult>;
  /**
   * Adds each item's contributions exactly once per shard record, fenced by sequence number, to
   * the writer's part of the item (`writer`: the shard id, or its replay namespace). Returns the
   * items whose write failed after retries, and those the store can never hold.
   */
  applyIncrements(table: AggregateTable, writer: string, items: readonly FencedItem[]): Promise<FencedItemsResult<Record<string, string>>>;
  /** Adds each minute's page counts to the writer's top-pages rollup part, exactly once per record. */
  applyRollups(writer: string, rollups: readonly TopPagesRollup[]): Promise<RollupsResult>;
}

export interface RollupsResult {
  failed: TopPagesRollup[];
  unwritable: TopPagesRollup[];
  errors: unknown[];
  written: number;
}

/** Rollup parts kept in memory between batches: a writer's recent minutes (one batch in flight per shard). */
const ROLLUP_CACHE_SIZE = 32;
const ROLLUP_ATTEMPTS = 5;

/** Request counts, for the benchmark and the DynamoDBRequests metric. */
export interface StoreStats {
  readRequests: number;
  writeRequests: number;
  itemsWritten: number;
  fenceConflicts: number;
  /** Sessions read from this store's memory of what it wrote, instead of the table. */
  sessionsFromMemory: number;
}

export class DynamoDbMetricsStore implements MetricsStore {
  readonly stats: StoreStats = { readRequests: 0, writeRequests: 0, itemsWritten: 0, fenceConflicts: 0, sessionsFromMemory: 0 };

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: Config['tables'],
  ) {}

  /** The sessions this store wrote, by id, as stored (with their new version). */
  private readonly written = new WrittenItems<SessionItem>(WRITTEN_SESSIONS_BYTES, sessionBytes);

  /** The last rollup part written per key: its next write needs no read while nobody else wrote it. */
  private readonly rollups = new Map<string, RollupState>();

  async loadSessions(sessionIds: readonly string[]) {
    const { lent: items, toRead } = this.written.lend(sessionIds);
    this.stats.sessionsFromMemory += items.size;
    const read = toRead.length === 0 ? { items: [], failedKeys: [], errors: [] } : await batchGetItems(this.client, this.tables.sessionMetrics, toRead.map((session_id) => ({ session_id })), this.stats);
    const stored = new Map(read.items.map((item) => [item.session_id as string, item as unknown as SessionItem]));
    const failed = new Set(read.failedKeys.map((key) => key.session_id as string));
    this.written.compare(toRead, stored, failed);
    for (const [sessionId, item] of stored) items.set(sessionId, item);
    return { items, failed, errors: read.errors };
  }

  async saveSessions(writes: readonly SessionWrite[]) {
    const result = await putVersioned(
      this.client,
      this.tables.sessionMetrics,
      'session_id',
      writes.map(({ item, readVersion }) => ({ id: item.session_id, item: { ...item }, readVersion })),
      this.stats,
    );
    for (const { item, readVersion } of writes) {
      const id = item.session_id;
      // A conflict or a failure of unknown outcome: the next batch reads the stored session.
      const notWritten = result.conflicts.has(id) || result.failed.has(id) || result.unwritable.has(id);
      this.written.settle(id, notWritten ? { conflict: result.conflicts.has(id) } : { written: { ...item, version: readVersion + 1 } });
    }
    this.stats.itemsWritten += writes.length - result.conflicts.size - result.failed.size - result.unwritable.size;
    return result;
  }

  async applyIncrements(table: AggregateTable, writer: string, items: readonly FencedItem[]) {
    // Callers know their items by the minute, not by the part.
    const logical = new Map<FencedItem, FencedItem>();
    const parts = items.map((item) => {
      const part: FencedItem = { ...item, key: partKey(item.key as { window_start: string }, writer) };
      logical.set(part, item);
      return part;
    });
    const result = await addFencedItems(this.client, this.tables[table], writer, parts, this.stats);
    this.stats.itemsWritten += result.written;
    const logicalItems = (list: FencedItem[]) => list.map((part) => logical.get(part) ?? part);
    return { ...result, failed: logicalItems(result.failed), unwritable: logicalItems(result.unwritable) };
  }

  async applyRollups(writer: string, rollups: readonly TopPagesRollup[]): Promise<RollupsResult> {
    const result: RollupsResult = { failed: [], unwritable: [], errors: [], written: 0 };
    await mapWithConcurrency(rollups, 4, async (rollup) => {
      try {
        if (await this.applyRollup(writer, rollup)) result.written++;
      } catch (error) {
        (isPermanentError(error) ? result.unwritable : result.failed).push(rollup);
        result.errors.push(error);
      }
    });
    this.stats.itemsWritten += result.written;
    return result;
  }

  /**
   * One writer's rollup part is written only by that writer's batches, one at a time, so it is
   * rewritten whole (PutItem) from the copy this store last wrote, conditional on the fence that
   * copy holds: a stale copy (another sandbox wrote meanwhile, or a late write of an earlier
   * attempt) fails the condition, and the part is read again, consistently, and re-applied.
   */
  private async applyRollup(writer: string, rollup: TopPagesRollup): Promise<boolean> {
    const key = topPagesKey(rollup.windowStart, writer);
    const cacheKey = `${key.page_url}\u0000${key.window_start}`;
    const fence = fenceAttribute(writer);
    for (let attempt = 0; attempt < ROLLUP_ATTEMPTS; attempt++) {
      let current = this.rollups.get(cacheKey);
      if (current === undefined) {
        this.stats.readRequests++;
        const read = await this.client.send(new GetCommand({ TableName: this.tables.pageMetrics, Key: key, ConsistentRead: attempt > 0 }));
        current = read.Item === undefined ? undefined : rollupState(read.Item, fence);
      }
      const { state, changed } = applyRollup(current, rollup.contributions);
      if (!changed) return false;
      this.stats.writeRequests++;
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tables.pageMetrics,
            Item: { ...key, views: state.views, events: state.events, ...(state.otherEvents > 0 ? { other_events: state.otherEvents } : {}), [fence]: state.fence, ttl: rollup.ttl },
            ...(current?.fence === undefined
              ? { ConditionExpression: 'attribute_not_exists(#fence)', ExpressionAttributeNames: { '#fence': fence } }
              : { ConditionExpression: '#fence = :fence', ExpressionAttributeNames: { '#fence': fence }, ExpressionAttributeValues: { ':fence': current.fence } }),
          }),
        );
      } catch (error) {
        this.rollups.delete(cacheKey);
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
        this.stats.fenceConflicts++;
        continue;
      }
      this.rollups.delete(cacheKey);
      this.rollups.set(cacheKey, state);
      if (this.rollups.size > ROLLUP_CACHE_SIZE) this.rollups.delete(this.rollups.keys().next().value!);
      return true;
    }
    throw new StoreWriteError(`top-pages rollup ${key.page_url} ${key.window_start} kept changing after ${ROLLUP_ATTEMPTS} attempts`, { context: { tableName: this.tables.pageMetrics, key } });
  }
}

function rollupState(item: Record<string, unknown>, fence: string): RollupState {
  const numbers = (value: unknown) => Object.fromEntries(Object.entries((value as Record<string, unknown> | undefined) ?? {}).map(([page, count]) => [page, Number(count)]));
  return {
    ...(typeof item[fence] === 'string' ? { fence: item[fence] as string } : {}),
    views: numbers(item.views),
    events: numbers(item.events),
    otherEvents: Number(item.other_events ?? 0),
  };
}

/** What a session holds in memory, roughly: its seen-set, its strings and a share for the rest. */
function sessionBytes(item: SessionItem): number {
  let bytes = 256 + (item.seen_events?.byteLength ?? 0);
  for (const value of Object.values(item)) if (typeof value === 'string') bytes += value.length * 2;
  return bytes;
}
