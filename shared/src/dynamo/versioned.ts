import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isPermanentError } from '../contract/errors';
import { mapWithConcurrency } from '../runtime/concurrency';

/** One read-modify-write item: the new item and the version it was computed from. */
export interface VersionedWrite {
  /** What the caller calls this item in its results (a session id, a state key). */
  id: string;
  /** The new item, without `version` (this helper sets it). */
  item: Record<string, unknown>;
  /** `version` of the item as read; 0 when there was none. */
  readVersion: number;
}

export interface VersionedResult {
  /** Ids whose stored version moved since the read: re-read, re-apply, write again. */
  conflicts: Set<string>;
  /** Ids whose write failed transiently after the SDK's retries: redeliver. */
  failed: Set<string>;
  /** Ids the store can never hold (permanent errors): reported, not retried. */
  unwritable: Set<string>;
  errors: unknown[];
}

/** Request counters the caller keeps (benchmarks, metrics). */
export interface WriteStats {
  writeRequests: number;
}

const WRITE_CONCURRENCY = 16;

/**
 * Writes read-modify-write items conditionally on the version they were computed from
 * (optimistic locking), so a late or stale write can never overwrite newer state: the write
 * stores `version = readVersion + 1` only if the stored version is still `readVersion` (or, for
 * 0, no item, or an item written before items carried versions).
 */
export async function putVersioned(client: DynamoDBDocumentClient, tableName: string, hashKey: string, writes: readonly VersionedWrite[], stats: WriteStats): Promise<VersionedResult> {
  const result: VersionedResult = { conflicts: new Set(), failed: new Set(), unwritable: new Set(), errors: [] };
  await mapWithConcurrency(writes, WRITE_CONCURRENCY, async ({ id, item, readVersion }) => {
    stats.writeRequests++;
    try {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...item, version: readVersion + 1 },
          ConditionExpression: readVersion === 0 ? 'attribute_not_exists(#key) OR attribute_not_exists(#version)' : '#version = :version',
          ExpressionAttributeNames: readVersion === 0 ? { '#key': hashKey, '#version': 'version' } : { '#version': 'version' },
          ...(readVersion === 0 ? {} : { ExpressionAttributeValues: { ':version': readVersion } }),
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') result.conflicts.add(id);
      else if (isPermanentError(error)) result.unwritable.add(id);
      else result.failed.add(id);
      if ((error as Error).name !== 'ConditionalCheckFailedException') result.errors.push(error);
    }
  });
  return result;
}
