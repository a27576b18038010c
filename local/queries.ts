/**
 * The questions `npm run query` and the local dashboard answer from DynamoDB. No side effects on
 * import, so the dashboard and tests can use them.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { httpHandler, KNOWN_EVENT_TYPES, minuteWindow, resourceNames, TABLES, type ResourceNames } from '@clickstream/shared';
import { readManifest } from './manifest';

export interface QueryTarget {
  client: DynamoDBDocumentClient;
  tables: ResourceNames['tables'];
}

export function localTarget(): QueryTarget {
  const manifest = readManifest();
  const client = new DynamoDBClient({ region: manifest.region, endpoint: manifest.endpoints.dynamodb, credentials: manifest.credentials, requestHandler: httpHandler() });
  return { client: DynamoDBDocumentClient.from(client), tables: manifest.tables };
}

export function awsTarget(project?: string, environment?: string): QueryTarget {
  const client = new DynamoDBClient({ requestHandler: httpHandler() });
  return { client: DynamoDBDocumentClient.from(client), tables: resourceNames(project, environment).tables };
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

/** Top pages by page views: one Query per minute on the `by-window` index, summed. */
export async function topPages(target: QueryTarget, minutes: number, limit: number, nowMs = Date.now()): Promise<PageTotal[]> {
  const totals = new Map<string, PageTotal>();
  const index = TABLES.pageMetrics.globalSecondaryIndexes[0];
  await Promise.all(
    recentWindows(minutes, nowMs).map(async (windowStart) => {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await target.client.send(
          new QueryCommand({
            TableName: target.tables.pageMetrics,
            IndexName: index.indexName,
            KeyConditionExpression: '#window = :window',
            ExpressionAttributeNames: { '#window': 'window_start' },
            ExpressionAttributeValues: { ':window': windowStart },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const url = item.page_url as string;
          const total = totals.get(url) ?? { page_url: url, page_views: 0, events: 0 };
          total.page_views += Number(item.page_views ?? 0);
          total.events += Number(item.events ?? 0);
          totals.set(url, total);
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
    }),
  );
  return [...totals.values()].sort((a, b) => b.page_views - a.page_views || b.events - a.events || a.page_url.localeCompare(b.page_url)).slice(0, limit);
}

export async function session(target: QueryTarget, sessionId: string): Promise<Record<string, unknown> | undefined> {
  const result = await target.client.send(new GetCommand({ TableName: target.tables.sessionMetrics, Key: { session_id: sessionId }, ConsistentRead: true }));
  if (result.Item === undefined) return undefined;
  const { seen_events: _seen, ...visible } = result.Item;
  return visible;
}

/** Events per minute by type; types outside the known list show as `custom`. */
export async function eventsPerMinute(target: QueryTarget, minutes: number, nowMs = Date.now()): Promise<Array<Record<string, string | number>>> {
  const windows = recentWindows(minutes, nowMs);
  const types = [...KNOWN_EVENT_TYPES, 'all'];
  const counts = new Map<string, Map<string, number>>();
  await Promise.all(
    types.map(async (type) => {
      const result = await target.client.send(
        new QueryCommand({
          TableName: target.tables.counters,
          KeyConditionExpression: 'metric_name = :name AND window_start BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':name': `events#${type}`, ':from': windows[0], ':to': windows[windows.length - 1] },
        }),
      );
      const byWindow = new Map<string, number>();
      for (const item of result.Items ?? []) byWindow.set(item.window_start as string, Number(item.count ?? 0));
      counts.set(type, byWindow);
    }),
  );
  return windows.map((windowStart) => {
    const row: Record<string, string | number> = { minute: windowStart };
    let known = 0;
    for (const type of KNOWN_EVENT_TYPES) {
      const count = counts.get(type)?.get(windowStart) ?? 0;
      row[type] = count;
      known += count;
    }
    const all = counts.get('all')?.get(windowStart) ?? 0;
    row.custom = all - known;
    row.all = all;
    return row;
  });
}

export function formatTable(rows: Array<Record<string, unknown>>): string {
  if (rows.length === 0) return '(no data)\n';
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((row) => columns.map((column) => String(row[column] ?? '')));
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((row) => row[index]!.length)));
  const line = (values: string[]) => values.map((value, index) => value.padEnd(widths[index]!)).join('  ').trimEnd();
  return `${[line(columns), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n')}\n`;
}
