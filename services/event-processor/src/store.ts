import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { addFencedItems, batchGetItems, putVersioned, type Config, type FencedItem, type FencedItemsResult, type VersionedResult } from '@clickstream/shared';
import type { SessionItem } from './contract';

export type AggregateTable = 'pageMetrics' | 'counters';

/** A session to write and the version of the item it was computed from (0: there was none). */
export interface SessionWrite {
  item: SessionItem;
  readVersion: number;
}

/** What the event-processor needs from its storage; one DynamoDB adapter implements it. */
export interface MetricsStore {
  /** Reads sessions; ids whose read failed after retries come back in `failed`. */
  loadSessions(sessionIds: readonly string[]): Promise<{ items: Map<string, SessionItem>; failed: Set<string>; errors: unknown[] }>;
  /**
   * Writes sessions, each conditional on the version it was computed from: `conflicts` are ids
   * another writer moved on since the read (re-read and re-apply them), `failed` ids failed
   * transiently, `unwritable` ids can never be stored.
   */
  saveSessions(writes: readonly SessionWrite[]): Promise<VersionedResult>;
  /**
   * Adds each item's contributions exactly once per shard record, fenced by sequence number.
   * Returns the items whose write failed after retries, and those the store can never hold.
   */
  applyIncrements(table: AggregateTable, shardId: string, items: readonly FencedItem[]): Promise<FencedItemsResult<Record<string, string>>>;
}

/** Request counts, for the benchmark and the DynamoDBRequests metric. */
export interface StoreStats {
  readRequests: number;
  writeRequests: number;
  itemsWritten: number;
  fenceConflicts: number;
}

export class DynamoDbMetricsStore implements MetricsStore {
  readonly stats: StoreStats = { readRequests: 0, writeRequests: 0, itemsWritten: 0, fenceConflicts: 0 };

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: Config['tables'],
  ) {}

  async loadSessions(sessionIds: readonly string[]) {
    const read = await batchGetItems(this.client, this.tables.sessionMetrics, sessionIds.map((session_id) => ({ session_id })), this.stats);
    const items = new Map(read.items.map((item) => [item.session_id as string, item as unknown as SessionItem]));
    return { items, failed: new Set(read.failedKeys.map((key) => key.session_id as string)), errors: read.errors };
  }

  async saveSessions(writes: readonly SessionWrite[]) {
    const result = await putVersioned(
      this.client,
      this.tables.sessionMetrics,
      'session_id',
      writes.map(({ item, readVersion }) => ({ id: item.session_id, item: { ...item }, readVersion })),
      this.stats,
    );
    this.stats.itemsWritten += writes.length - result.conflicts.size - result.failed.size - result.unwritable.size;
    return result;
  }

  async applyIncrements(table: AggregateTable, shardId: string, items: readonly FencedItem[]) {
    const result = await addFencedItems(this.client, this.tables[table], shardId, items, this.stats);
    this.stats.itemsWritten += result.written;
    return result;
  }
}
