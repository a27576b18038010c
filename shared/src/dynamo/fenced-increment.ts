import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isPermanentError, StoreWriteError } from '../contract/errors';
import { mapWithConcurrency } from '../runtime/concurrency';
import { sequenceKey } from '../runtime/kinesis';

/** One Kinesis record's share of a counter item, in stream order. */
export interface FencedContribution {
  /** `sequenceKey` of the record: compares numerically as a plain string. */
  sequence: string;
  /** The raw sequence number, reported back to Lambda when the write fails. */
  sequenceNumber: string;
  increments: Record<string, number>;
}

/** A counter item and the contributions of one batch to it. */
export interface FencedItem<K extends Record<string, string> = Record<string, string>> {
  key: K;
  ttl: number;
  contributions: FencedContribution[];
}

/** A record's contribution from its sequence number. */
export function contribution(sequenceNumber: string, increments: Record<string, number>): FencedContribution {
  return { sequence: sequenceKey(sequenceNumber), sequenceNumber, increments };
}

/** Request counters the caller keeps (benchmarks, metrics). */
export interface FenceStats {
  writeRequests: number;
  readRequests: number;
  fenceConflicts: number;
}

/** Name of the per-shard sequence fence attribute on a counter item. */
export const fenceAttribute = (shardId: string): string => `fence#${shardId}`;

const FENCE_RETRIES = 5;

/**
 * Adds a batch's contributions to one DynamoDB item exactly once per Kinesis record.
 *
 * The item keeps, per shard, the sequence key of the last record applied to it (its fence).
 * Optimistic path: one conditional `UpdateItem` that succeeds when the fence is below the
 * batch's first contribution. On a conflict (a redelivery), read the fence and add only the
 * contributions beyond it, conditioned on that fence. Assumes one batch in flight per shard.
 * Resolves true when it wrote, false when every contribution was already applied.
 */
export async function addFenced(
  client: DynamoDBDocumentClient,
  target: { tableName: string; key: Record<string, unknown>; shardId: string; ttl: number },
  contributionsInOrder: readonly FencedContribution[],
  stats: FenceStats,
): Promise<boolean> {
  const fence = fenceAttribute(target.shardId);
  let contributions = contributionsInOrder;
  let observedFence: string | undefined;
  for (let attempt = 0; attempt <= FENCE_RETRIES; attempt++) {
    const names: Record<string, string> = { '#fence': fence, '#ttl': 'ttl' };
    const values: Record<string, unknown> = { ':fence': contributions[contributions.length - 1]!.sequence, ':ttl': target.ttl };
    const totals = new Map<string, number>();
    for (const { increments } of contributions) {
      for (const [attribute, amount] of Object.entries(increments)) totals.set(attribute, (totals.get(attribute) ?? 0) + amount);
    }
    const additions = [...totals].map(([attribute, amount], index) => {
      names[`#a${index}`] = attribute;
      values[`:a${index}`] = amount;
      return `#a${index} :a${index}`;
    });
    let condition: string;
    if (observedFence === undefined) {
      condition = 'attribute_not_exists(#fence) OR #fence < :first';
      values[':first'] = contributions[0]!.sequence;
    } else {
      condition = '#fence = :observed';
      values[':observed'] = observedFence;
    }
    stats.writeRequests++;
    try {
      await client.send(
        new UpdateCommand({
          TableName: target.tableName,
          Key: target.key,
          UpdateExpression: `ADD ${additions.join(', ')} SET #fence = :fence, #ttl = :ttl`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
    stats.fenceConflicts++;
    stats.readRequests++;
    const current = await client.send(
      new GetCommand({ TableName: target.tableName, Key: target.key, ConsistentRead: true, ProjectionExpression: '#fence', ExpressionAttributeNames: { '#fence': fence } }),
    );
    observedFence = current.Item?.[fence] as string | undefined;
    if (observedFence === undefined) continue;
    const beyond = observedFence;
    contributions = contributions.filter((contribution) => contribution.sequence > beyond);
    if (contributions.length === 0) return false;
  }
  throw new StoreWriteError(`fence on ${target.tableName} ${JSON.stringify(target.key)} kept moving after ${FENCE_RETRIES} attempts`, {
    context: { tableName: target.tableName, key: target.key },
  });
}

/** Items written concurrently by `addFencedItems`. */
const WRITE_CONCURRENCY = 16;

export interface FencedItemsResult<K extends Record<string, string>> {
  /** Items whose write failed transiently: the batch is redelivered from their first contribution. */
  failed: FencedItem<K>[];
  /** Items the store can never hold (permanent errors): reported, not retried. */
  unwritable: FencedItem<K>[];
  errors: unknown[];
  /** Items that changed. */
  written: number;
}

/** Adds every item's contributions with `addFenced`, 16 items at a time. */
export async function addFencedItems<K extends Record<string, string>>(
  client: DynamoDBDocumentClient,
  tableName: string,
  shardId: string,
  items: readonly FencedItem<K>[],
  stats: FenceStats,
): Promise<FencedItemsResult<K>> {
  const result: FencedItemsResult<K> = { failed: [], unwritable: [], errors: [], written: 0 };
  await mapWithConcurrency(items, WRITE_CONCURRENCY, async (item) => {
    try {
      if (await addFenced(client, { tableName, key: item.key, shardId, ttl: item.ttl }, item.contributions, stats)) result.written++;
    } catch (error) {
      (isPermanentError(error) ? result.unwritable : result.failed).push(item);
      result.errors.push(error);
    }
  });
  return result;
}
