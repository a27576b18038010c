import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbClient, loadConfig, queryItems, resourceNames, scanItems } from '@clickstream/shared';
import { startDynamoDb, type Emulator } from '../../emulators';
import { createTables } from '../../provision';

// The one pagination loop (shared/src/dynamo/pages.ts) against dynalite: pages of `Limit` items
// follow LastEvaluatedKey to the end, requests are counted, and a reader that stops stops reading.
const names = resourceNames('paging', 'test');
const WINDOWS = ['2026-12-01T10:00', '2026-12-01T10:01', '2026-12-01T10:02', '2026-12-01T10:03', '2026-12-01T10:04'];
let dynamo: Emulator;
let client: DynamoDBDocumentClient;

beforeAll(async () => {
  dynamo = await startDynamoDb({ port: 0 });
  const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await createTables(raw, names);
  client = createDynamoDbClient(loadConfig({ PROJECT_NAME: 'paging', ENVIRONMENT: 'test', AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' }));
  await client.send(
    new BatchWriteCommand({
      RequestItems: {
        [names.tables.counters]: [
          ...WINDOWS.map((window, i) => ({ PutRequest: { Item: { metric_name: 'events#all', window_start: window, count: i + 1 } } })),
          { PutRequest: { Item: { metric_name: 'events#click', window_start: WINDOWS[0], count: 7 } } },
        ],
      },
    }),
  );
});
afterAll(() => dynamo.stop());

const query = (limit: number) => ({
  TableName: names.tables.counters,
  KeyConditionExpression: 'metric_name = :name',
  ExpressionAttributeValues: { ':name': 'events#all' },
  Limit: limit,
});

test('queryItems follows every page to the last one and counts its requests', async () => {
  const stats = { readRequests: 0 };
  const windows: string[] = [];
  for await (const item of queryItems(client, query(2), stats)) windows.push(String(item.window_start));
  expect(windows).toEqual(WINDOWS);
  // Pages of 2 + 2 + 1 items: the short last page carries no LastEvaluatedKey.
  expect(stats.readRequests).toBe(3);
});

test('a reader that stops iterating sends no further request', async () => {
  const stats = { readRequests: 0 };
  const first: string[] = [];
  for await (const item of queryItems(client, query(2), stats)) {
    first.push(String(item.window_start));
    if (first.length === 3) break;
  }
  expect(first).toEqual(WINDOWS.slice(0, 3));
  expect(stats.readRequests).toBe(2);
});

test('scanItems applies the filter on every page', async () => {
  const stats = { readRequests: 0 };
  const counts: number[] = [];
  for await (const item of scanItems(client, { TableName: names.tables.counters, FilterExpression: '#count >= :min', ExpressionAttributeNames: { '#count': 'count' }, ExpressionAttributeValues: { ':min': 4 }, Limit: 2 }, stats)) {
    counts.push(Number(item.count));
  }
  expect(counts.sort((a, b) => a - b)).toEqual([4, 5, 7]);
  expect(stats.readRequests).toBeGreaterThanOrEqual(3);
});
