import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { historyPartition } from './keys';
import type { AlertRecord } from './store';

const DAY_MS = 86_400_000;
const MAX_DAYS = 400;

/**
 * Alerts whose incident time is at or after `sinceMs`, newest first, at most `limit`. Reads the
 * `history#<UTC day>` partitions from today backwards with Query (never Scan): one request per
 * day with alerts, at most `limit` items.
 */
export async function listRecentAlerts(
  client: DynamoDBDocumentClient,
  tableName: string,
  options: { limit: number; sinceMs: number; nowMs?: number },
): Promise<AlertRecord[]> {
  const alerts: AlertRecord[] = [];
  const sinceIso = new Date(options.sinceMs).toISOString();
  const sinceDay = Math.floor(options.sinceMs / DAY_MS) * DAY_MS;
  const nowMs = options.nowMs ?? Date.now();
  let dayMs = Math.floor(nowMs / DAY_MS) * DAY_MS;
  for (let days = 0; dayMs >= sinceDay && days < MAX_DAYS && alerts.length < options.limit; days++, dayMs -= DAY_MS) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND sk >= :since',
          ExpressionAttributeValues: { ':pk': historyPartition(dayMs), ':since': sinceIso },
          ScanIndexForward: false,
          Limit: options.limit - alerts.length,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of result.Items ?? []) {
        const { pk: _pk, sk: _sk, ttl: _ttl, ...record } = item;
        alerts.push(record as AlertRecord);
      }
      startKey = alerts.length < options.limit ? result.LastEvaluatedKey : undefined;
    } while (startKey !== undefined);
  }
  return alerts;
}
