import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { addFenced, backoffDelay, chunk, mapWithConcurrency, sleep, type Config } from '@clickstream/shared';
import type { AggregateItem } from './aggregate';
import type { SessionItem } from './sessions';

export type AggregateTable = 'pageMetrics' | 'counters';

/** What the event-processor needs from its storage; one DynamoDB adapter implements it. */
export interface MetricsStore {
  /** Reads sessions; ids whose read failed after retries come back in `failed`. */
  loadSessions(sessionIds: readonly string[]): Promise<{ items: Map<string, SessionItem>; failed: Set<string>; errors: unknown[] }>;
  /** Replaces sessions; ids whose write failed after retries come back in `failed`. */
  saveSessions(items: readonly SessionItem[]): Promise<{ failed: Set<string>; errors: unknown[] }>;
  /**
   * Adds each item's contributions exactly once per shard record, fenced by sequence number.
   * Returns the items whose write failed after retries.
   */
  applyIncrements(table: AggregateTable, shardId: string, items: readonly AggregateItem[]): Promise<{ failed: AggregateItem[]; errors: unknown[] }>;
}

/** Request counts, for the benchmark and the DynamoDBRequests metric. */
export interface StoreStats {
  readRequests: number;
  writeRequests: number;
  itemsWritten: number;
  fenceConflicts: number;
}

const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
const UNPROCESSED_RETRIES = 6;
const WRITE_CONCURRENCY = 16;

export class DynamoDbMetricsStore implements MetricsStore {
  readonly stats: StoreStats = { readRequests: 0, writeRequests: 0, itemsWritten: 0, fenceConflicts: 0 };

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: Config['tables'],
  ) {}

  async loadSessions(sessionIds: readonly string[]) {
    const items = new Map<string, SessionItem>();
    const failed = new Set<string>();
    const errors: unknown[] = [];
    await mapWithConcurrency(chunk(sessionIds, BATCH_GET_LIMIT), 4, async (ids) => {
      let pending: Record<string, unknown>[] = ids.map((session_id) => ({ session_id }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > UNPROCESSED_RETRIES) {
          for (const key of pending) failed.add(key.session_id as string);
          return;
        }
        if (attempt > 0) await sleep(backoffDelay(attempt));
        this.stats.readRequests++;
        try {
          const result = await this.client.send(
            new BatchGetCommand({ RequestItems: { [this.tables.sessionMetrics]: { Keys: pending, ConsistentRead: true } } }),
          );
          for (const item of result.Responses?.[this.tables.sessionMetrics] ?? []) items.set(item.session_id as string, item as SessionItem);
          pending = (result.UnprocessedKeys?.[this.tables.sessionMetrics]?.Keys as Record<string, unknown>[] | undefined) ?? [];
        } catch (error) {
          errors.push(error);
          if (attempt === UNPROCESSED_RETRIES) {
            for (const key of pending) failed.add(key.session_id as string);
            return;
          }
        }
      }
    });
    return { items, failed, errors };
  }

  async saveSessions(sessions: readonly SessionItem[]) {
    const failed = new Set<string>();
    const errors: unknown[] = [];
    await mapWithConcurrency(chunk(sessions, BATCH_WRITE_LIMIT), 4, async (group) => {
      let pending: Array<{ PutRequest: { Item: Record<string, unknown> } }> = group.map((item) => ({ PutRequest: { Item: { ...item } } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > UNPROCESSED_RETRIES) {
          for (const request of pending) failed.add(request.PutRequest.Item.session_id as string);
          return;
        }
        if (attempt > 0) await sleep(backoffDelay(attempt));
        this.stats.writeRequests++;
        try {
          const result = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tables.sessionMetrics]: pending } }));
          const unprocessed = (result.UnprocessedItems?.[this.tables.sessionMetrics] ?? []) as typeof pending;
          this.stats.itemsWritten += pending.length - unprocessed.length;
          pending = unprocessed;
        } catch (error) {
          // The SDK already retried throttles; a few rounds of our own, then give the ids back.
          errors.push(error);
          if (attempt === UNPROCESSED_RETRIES) {
            for (const request of pending) failed.add(request.PutRequest.Item.session_id as string);
            return;
          }
        }
      }
    });
    return { failed, errors };
  }

  async applyIncrements(table: AggregateTable, shardId: string, items: readonly AggregateItem[]) {
    const failed: AggregateItem[] = [];
    const errors: unknown[] = [];
    await mapWithConcurrency(items, WRITE_CONCURRENCY, async (item) => {
      try {
        if (await addFenced(this.client, { tableName: this.tables[table], key: item.key, shardId, ttl: item.ttl }, item.contributions, this.stats)) {
          this.stats.itemsWritten++;
        }
      } catch (error) {
        failed.push(item);
        errors.push(error);
      }
    });
    return { failed, errors };
  }
}
