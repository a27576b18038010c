/**
 * The `counters` table's keys and its one read query. The event-processor is the table's only
 * writer and owns its documentation (`services/event-processor/src/contract.ts`, which re-exports
 * these); they live in shared/ because the compactor reads the same counts to tie the curated
 * zone to the real-time pipeline (curated rows = accepted events), and services never import each
 * other's code.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryItems } from '../dynamo/pages';
import { isKnownEventType } from './event';
import { partRange, partWindow } from './parts';

/**
 * Key of a counter: its metric and UTC minute. Stored as parts (`./parts.ts`): the item's
 * `window_start` is `<minute>#<writer>`, one item per minute per writing shard.
 */
export interface CounterKey extends Record<string, string> {
  metric_name: string;
  window_start: string;
}

/** The total every accepted event adds to, whatever its type. */
export const ALL_EVENTS_COUNTER = 'events#all';

/**
 * `counters` metric name of an event type: `events#<type>` for the known types, and
 * `events#custom#<type>` for any other, so no custom type (not even one named `all`) can land on
 * the total or on a known type's counter.
 */
export const counterName = (eventType: string): string => (isKnownEventType(eventType) ? `events#${eventType}` : `events#custom#${eventType}`);

export const counterKey = (metricName: string, windowStart: string): CounterKey => ({ metric_name: metricName, window_start: windowStart });

/**
 * `count` per minute (`YYYY-MM-DDTHH:MM` → count, the minute's parts summed) of each metric name
 * over the UTC minutes `fromWindow`..`toWindow` (inclusive): one paginated, consistent Query per
 * metric name.
 */
export async function readCounterWindows(client: DynamoDBDocumentClient, tableName: string, metricNames: readonly string[], fromWindow: string, toWindow: string): Promise<Map<string, Map<string, number>>> {
  const byName = new Map<string, Map<string, number>>();
  const range = partRange(fromWindow, toWindow);
  await Promise.all(
    metricNames.map(async (metricName) => {
      const windows = new Map<string, number>();
      const items = queryItems(client, {
        TableName: tableName,
        KeyConditionExpression: '#name = :name AND #window BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#name': 'metric_name', '#window': 'window_start', '#count': 'count' },
        ExpressionAttributeValues: { ':name': metricName, ':from': range.from, ':to': range.to },
        ProjectionExpression: '#window, #count',
        ConsistentRead: true,
      });
      for await (const item of items) {
        const minute = partWindow(String(item.window_start));
        windows.set(minute, (windows.get(minute) ?? 0) + Number(item.count ?? 0));
      }
      byName.set(metricName, windows);
    }),
  );
  return byName;
}
