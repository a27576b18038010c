/**
 * `npm run query -- <question>`: the common questions, answered from DynamoDB — the local stack
 * by default (endpoints from .clickstream/local.json), AWS with `--target aws` and the usual
 * credential chain. `npm run query -- --help` lists them.
 */
import './quiet-warnings';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { httpHandler, KNOWN_EVENT_TYPES, minuteWindow, resourceNames, TABLES, type ResourceNames } from '@clickstream/shared';
import { listRecentAlerts } from '../services/anomaly-detector/src/history';
import { readManifest } from './manifest';

const HELP = `Usage: npm run query -- <question> [options]

Questions:
  top-pages                 most viewed pages over the last N minutes (no scan: one query per minute)
  session <session_id>      one session's metrics
  events                    events per minute by type over the last N minutes
  alerts                    anomaly alerts raised over the last N minutes (alert history, newest first)

Options:
  --minutes <n>             window to look back over (default 15)
  --limit <n>               rows for top-pages (default 10)
  --json                    print JSON instead of a table
  --target local|aws        local stack (default) or AWS (default credential chain, AWS_REGION)
  --project <name>          with --target aws (default clickstream-analytics)
  --environment <name>      with --target aws (default dev)
`;

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

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      minutes: { type: 'string', default: '15' },
      limit: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
      target: { type: 'string', default: 'local' },
      project: { type: 'string' },
      environment: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const [question, argument] = positionals;
  if (values.help || question === undefined) {
    process.stdout.write(HELP);
    if (question === undefined && !values.help) process.exitCode = 2;
    return;
  }
  const minutes = Number(values.minutes);
  const limit = Number(values.limit);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) throw new Error(`--minutes must be an integer from 1 to 1440, got "${values.minutes}"`);
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit must be a positive integer, got "${values.limit}"`);
  if (values.target !== 'local' && values.target !== 'aws') throw new Error(`--target must be local or aws, got "${values.target}"`);
  const target = values.target === 'aws' ? awsTarget(values.project, values.environment) : localTarget();
  const print = (rows: Array<Record<string, unknown>>) => process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : formatTable(rows));

  switch (question) {
    case 'top-pages':
      print(await topPages(target, minutes, limit) as unknown as Array<Record<string, unknown>>);
      return;
    case 'session': {
      if (argument === undefined) throw new Error('usage: npm run query -- session <session_id>');
      const item = await session(target, argument);
      if (item === undefined) {
        process.stderr.write(`session ${argument} not found\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(values.json ? `${JSON.stringify(item, null, 2)}\n` : formatTable(Object.entries(item).map(([field, value]) => ({ field, value }))));
      return;
    }
    case 'events':
      print(await eventsPerMinute(target, minutes));
      return;
    case 'alerts': {
      const alerts = await listRecentAlerts(target.client, target.tables.alerts, { limit, sinceMs: Date.now() - minutes * 60_000 });
      if (values.json) {
        process.stdout.write(`${JSON.stringify(alerts, null, 2)}\n`);
        return;
      }
      print(alerts.map((alert) => ({ incident_at: alert.incident_at, rule: alert.rule, severity: alert.severity, subject: alert.subject_key, observed: alert.observed, threshold: alert.threshold, delivery: alert.delivery })));
      return;
    }
    default:
      throw new Error(`unknown question "${question}"; see npm run query -- --help`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`query failed: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
