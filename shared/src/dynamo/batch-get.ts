import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { backoffDelay, chunk, mapWithConcurrency, sleep } from '../runtime/concurrency';

export type ItemKey = Record<string, unknown>;

export interface BatchGetResult {
  items: Record<string, unknown>[];
  /** Keys still unread after every retry (throttled or erroring); their readers must redeliver. */
  failedKeys: ItemKey[];
  errors: unknown[];
}

/** Request counters the caller keeps (benchmarks, metrics). */
export interface ReadStats {
  readRequests: number;
}

const BATCH_GET_LIMIT = 100;
const CONCURRENCY = 4;
/** Rounds per chunk, the first included; unprocessed keys and errors are retried alike. */
const ATTEMPTS = 7;

/**
 * Reads items by key with BatchGetItem (100 keys a request, strongly consistent), retrying
 * unprocessed keys and failed requests with jittered backoff: the SDK already retried each
 * request, so a key that is still unread after that is reported, never silently dropped.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
 */
export async function batchGetItems(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly ItemKey[],
  stats: ReadStats,
  /** Attributes to return (a ProjectionExpression over plain attribute names); all by default. */
  attributes?: readonly string[],
): Promise<BatchGetResult> {
  const projection =
    attributes === undefined
      ? {}
      : { ProjectionExpression: attributes.map((_, index) => `#p${index}`).join(', '), ExpressionAttributeNames: Object.fromEntries(attributes.map((name, index) => [`#p${index}`, name])) };
  const result: BatchGetResult = { items: [], failedKeys: [], errors: [] };
  await mapWithConcurrency(chunk(keys, BATCH_GET_LIMIT), CONCURRENCY, async (group) => {
    let pending: ItemKey[] = group;
    for (let attempt = 0; pending.length > 0 && attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) await sleep(backoffDelay(attempt));
      stats.readRequests++;
      try {
        const response = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true, ...projection } } }));
        result.items.push(...(response.Responses?.[tableName] ?? []));
        pending = (response.UnprocessedKeys?.[tableName]?.Keys as ItemKey[] | undefined) ?? [];
      } catch (error) {
        result.errors.push(error);
      }
    }
    result.failedKeys.push(...pending);
  });
  return result;
}
