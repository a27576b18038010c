import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { httpHandler } from '@clickstream/shared';
import { putRecords } from '@clickstream/shared';
import { TrafficModel } from '../../../testkit/traffic';
import { startTestStack } from '../../testing';
import type { LocalStack } from '../../stack';

async function countAll(stack: LocalStack): Promise<number> {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: stack.manifest.region, endpoint: stack.manifest.endpoints.dynamodb, credentials: stack.manifest.credentials, requestHandler: httpHandler() }));
  const { Items = [] } = await client.send(new QueryCommand({ TableName: stack.manifest.tables.counters, KeyConditionExpression: 'metric_name = :m', ExpressionAttributeValues: { ':m': 'events#all' } }));
  return Items.reduce((sum, item) => sum + Number(item.count), 0);
}

async function send(stack: LocalStack, records: Array<{ partitionKey: string; data: string }>): Promise<void> {
  const kinesis = new KinesisClient({ region: stack.manifest.region, endpoint: stack.manifest.endpoints.kinesis, credentials: stack.manifest.credentials, requestHandler: httpHandler() });
  const result = await putRecords(kinesis, stack.manifest.stream.name, records);
  expect(result.failed).toBe(0);
}

it('resumes from its checkpoints after a restart with a data directory: nothing lost, nothing counted twice', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'clickstream-data-'));
  const now = Date.now();
  const model = new TrafficModel({ seed: 7 });
  const before = model.stream(400, now - 600_000);
  const after = model.stream(300, now - 300_000);

  const first = await startTestStack({ dataDir, services: ['event-processor'] });
  try {
    await send(first, before);
    await first.waitForIdle();
    expect(await countAll(first)).toBe(400);
  } finally {
    await first.stop();
  }

  const second = await startTestStack({ dataDir, services: ['event-processor'] });
  try {
    expect(await countAll(second)).toBe(400);
    await send(second, after);
    await second.waitForIdle();
    expect(await countAll(second)).toBe(700);
    // Only the new records were delivered: the checkpoints survived the restart.
    expect(second.mappings.get('event-processor')!.stats.recordsDelivered).toBe(300);
  } finally {
    await second.stop();
  }
}, 60_000);

it('reports Kinesis IncomingRecords and IncomingBytes for what producers put, as CloudWatch would', async () => {
  const stack = await startTestStack({ services: ['event-processor'] });
  try {
    await send(stack, new TrafficModel({ seed: 3 }).stream(120, Date.now() - 60_000));
    await stack.waitForIdle();
    const dimensions = { StreamName: stack.manifest.stream.name };
    expect(stack.telemetry.sum('AWS/Kinesis', 'IncomingRecords', dimensions)).toBe(120);
    expect(stack.telemetry.sum('AWS/Kinesis', 'IncomingBytes', dimensions)).toBeGreaterThan(120 * 100);
  } finally {
    await stack.stop();
  }
}, 60_000);
