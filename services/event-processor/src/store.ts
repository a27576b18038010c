import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { addFencedItems, backoffDelay, batchGetItems, chunk, mapWithConcurrency, sleep, type Config, type FencedItem } from '@clickstream/shared';
import type { SessionItem } from './contract';

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
  applyIncrements(table: AggregateTable, shardId: string, items: readonly FencedItem[]): Promise<{ failed: FencedItem[]; errors: unknown[] }>;
}

/** Request counts, for the benchmark and the DynamoDBRequests metric. */
export interface StoreStats {
  readRequests: number;
  writeRequests: number;
  itemsWritten: number;
  fenceConflicts: number;
}

const BATCH_WRITE_LIMIT = 25;
const UNPROCESSED_RETRIES = 6;

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

  async applyIncrements(table: AggregateTable, shardId: string, items: readonly FencedItem[]) {
    const result = await addFencedItems(this.client, this.tables[table], shardId, items, this.stats);
    this.stats.itemsWritten += result.written;
    return result;
  }
}
