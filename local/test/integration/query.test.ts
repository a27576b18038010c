import { KinesisClient } from '@aws-sdk/client-kinesis';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { httpHandler } from '@clickstream/shared';
import { putRecords } from '@clickstream/shared';
import { listRecentAlerts } from '../../../services/anomaly-detector/src/contract';
import { eventsPerMinute, readSession as session, topPages, type TablesReader as QueryTarget } from '../../../services/event-processor/src/contract';
import { formatTable } from '../../format';
import { startTestStack } from '../../testing';
import type { LocalStack } from '../../stack';

let stack: LocalStack;
let target: QueryTarget;
const now = Date.now();
const at = (secondsAgo: number) => new Date(now - secondsAgo * 1000).toISOString();
const event = (id: string, session_id: string, event_type: string, page: string, secondsAgo: number, extra: Record<string, unknown> = {}) => ({
  partitionKey: session_id,
  data: JSON.stringify({ event_id: id, event_type, session_id, timestamp: at(secondsAgo), page_url: `https://shop.example.com${page}?q=1`, user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0', country: 'FR', ...extra }),
});

beforeAll(async () => {
  stack = await startTestStack({ services: ['event-processor', 'anomaly-detector'] });
  const kinesis = new KinesisClient({ region: stack.manifest.region, endpoint: stack.manifest.endpoints.kinesis, credentials: stack.manifest.credentials, requestHandler: httpHandler() });
  await putRecords(kinesis, stack.manifest.stream.name, [
    event('q1', 'shopper', 'page_view', '/', 120),
    event('q2', 'shopper', 'page_view', '/p/9', 100),
    event('q3', 'shopper', 'add_to_cart', '/p/9', 90),
    event('q4', 'other', 'page_view', '/p/9', 60),
    event('q5', 'other', 'video_play', '/p/9', 50),
    event('q6', 'rusher', 'purchase', '/checkout', 30, { value: 99 }),
  ]);
  await stack.waitForIdle();
  target = { client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: stack.manifest.region, endpoint: stack.manifest.endpoints.dynamodb, credentials: stack.manifest.credentials, requestHandler: httpHandler() })), tables: stack.manifest.tables };
}, 60_000);
afterAll(() => stack.stop());

describe('npm run query', () => {
  it('ranks top pages by page views over the last minutes, from the top-pages rollups (every shard part summed)', async () => {
    expect(await topPages(target, 15, 10, now)).toEqual([
      { page_url: '/p/9', page_views: 2, events: 4 },
      { page_url: '/', page_views: 1, events: 1 },
      { page_url: '/checkout', page_views: 0, events: 1 },
    ]);
  });

  it('shows one session', async () => {
    expect(await session(target, 'shopper')).toMatchObject({ event_count: 3, page_views: 2, entry_page: '/', exit_page: '/p/9', converted: false });
    expect(await session(target, 'missing')).toBeUndefined();
  });

  it('counts events per minute by type, custom types apart', async () => {
    const rows = await eventsPerMinute(target, 5, now);
    const totals = rows.reduce<Record<string, number>>((sum, row) => {
      for (const [key, value] of Object.entries(row)) if (typeof value === 'number') sum[key] = (sum[key] ?? 0) + value;
      return sum;
    }, {});
    expect(totals).toMatchObject({ page_view: 3, add_to_cart: 1, purchase: 1, custom: 1, all: 6 });
    expect(formatTable(rows)).toContain('page_view');
  });

  it('lists the alert history: a purchase without browsing', async () => {
    const alerts = await listRecentAlerts(target.client, target.tables.alerts, { limit: 10, sinceMs: now - 3_600_000 });
    expect(alerts.map((alert) => [alert.rule, alert.subject_key])).toContainEqual(['checkout_without_browsing', expect.stringContaining('rusher')]);
  });
});
