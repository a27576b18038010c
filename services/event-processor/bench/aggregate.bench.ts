/**
 * Event-processor benchmark, two measurements side by side on one traffic model:
 *  1. decode + validate + aggregate throughput on one core (no I/O);
 *  2. DynamoDB write requests per event at batches of 500 against dynalite, beside the recipe's
 *     per-event baseline (one UpdateItem per event per table).
 * Run: npm run bench  (or: npx tsx services/event-processor/bench/aggregate.bench.ts)
 */
import '../../../local/quiet-warnings';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbClient, createLogger, decideBatch, loadConfig, MetricsLogger, minuteWindow, resourceNames, type StreamRecord } from '@clickstream/shared';
import { startDynamoDb } from '../../../local/emulators';
import { createTables } from '../../../local/provision';
import { TrafficModel } from '../../../testkit/traffic';
import { aggregateBefore, groupBySession, planSessions } from '../src/plan';
import { processBatch } from '../src/processor';
import { DynamoDbMetricsStore } from '../src/store';

const BATCH = 500;
const THROUGHPUT_EVENTS = 200_000;
const WRITE_EVENTS = 10_000;
const SHARDS = 2;
// 1,000 events/s: about 110 new shopper sessions a second, ~12,000 open at once.
const SESSIONS_PER_SECOND = 110;

function toShardBatches(count: number, startMs: number): StreamRecord[][] {
  const model = new TrafficModel({ seed: 2026, botShare: 0.01, invalidShare: 0.01, camelCaseShare: 0.1 });
  const traffic = model.stream(count, startMs, SESSIONS_PER_SECOND);
  const shards: StreamRecord[][] = Array.from({ length: SHARDS }, () => []);
  let sequence = 49_600_000_000_000_000_000_000_000_000_000_000_000_000_000_000n;
  for (const record of traffic) {
    let hash = 0;
    for (let index = 0; index < record.partitionKey.length; index++) hash = (hash * 31 + record.partitionKey.charCodeAt(index)) >>> 0;
    const shard = hash % SHARDS;
    sequence += 1_000n;
    shards[shard]!.push({ shardId: `shardId-00000000000${shard}`, sequenceNumber: sequence.toString(), partitionKey: record.partitionKey, data: Buffer.from(record.data), arrivalMs: record.eventTimeMs + 50 });
  }
  return shards.flatMap((records) => Array.from({ length: Math.ceil(records.length / BATCH) }, (_, index) => records.slice(index * BATCH, (index + 1) * BATCH)));
}

async function main(): Promise<void> {
  const startMs = Date.now() - 3_600_000;
  const validation = { maxFutureSkewMs: 300_000, maxEventAgeMs: 7 * 86_400_000, maxRecordBytes: 1_048_576 };
  const sessionOptions = { sessionTtlDays: 30, maxSeenEventsPerSession: 20_000 };

  // 1. CPU: decode + validate + sessionize + aggregate, one core.
  const batches = toShardBatches(THROUGHPUT_EVENTS, startMs);
  const run = () => {
    let events = 0;
    for (const batch of batches) {
      const { accepted } = decideBatch(batch, validation);
      const plan = planSessions(groupBySession(accepted), new Map(), sessionOptions);
      aggregateBefore(plan.originals, undefined, 90);
      events += batch.length;
    }
    return events;
  };
  run(); // warm-up
  const rounds: number[] = [];
  for (let round = 0; round < 3; round++) {
    const started = process.hrtime.bigint();
    const events = run();
    rounds.push(events / (Number(process.hrtime.bigint() - started) / 1e9));
  }
  rounds.sort((a, b) => a - b);
  const sampleBytes = batches.flat().reduce((sum, record) => sum + record.data.length, 0) / THROUGHPUT_EVENTS;
  console.log(`decode + validate + aggregate: ${Math.round(rounds[1]!).toLocaleString('en-US')} events/s on one core (median of 3 runs over ${THROUGHPUT_EVENTS.toLocaleString('en-US')} events, ~${Math.round(sampleBytes)} B each, batches of ${BATCH})`);

  // 2. DynamoDB writes per event, ours vs the per-event baseline, on the same events.
  const dynamo = await startDynamoDb({ port: 0 });
  try {
    const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const env = { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', PROJECT_NAME: 'bench', ENVIRONMENT: 'ours' };
    const config = loadConfig(env);
    await createTables(raw, resourceNames('bench', 'ours'));
    await createTables(raw, resourceNames('bench', 'baseline'));
    const writeBatches = toShardBatches(WRITE_EVENTS, startMs);
    const store = new DynamoDbMetricsStore(createDynamoDbClient(config), config.tables);
    const logger = createLogger({ service: 'bench', level: 'silent' });
    const metrics = new MetricsLogger('Clickstream', {}, () => undefined);
    let started = Date.now();
    let accepted = 0;
    for (const batch of writeBatches) {
      const outcome = await processBatch(decideBatch(batch, validation), store, { aggregateTtlDays: 90, ...sessionOptions }, { logger, metrics });
      accepted += outcome.accepted;
    }
    const oursMs = Date.now() - started;

    const baselineTables = resourceNames('bench', 'baseline').tables;
    const client = createDynamoDbClient(loadConfig({ ...env, ENVIRONMENT: 'baseline' }));
    let baselineRequests = 0;
    started = Date.now();
    for (const batch of writeBatches) {
      const { accepted: events } = decideBatch(batch, validation);
      // The recipe: per event, one update per table, 16 in flight.
      for (let index = 0; index < events.length; index += 16) {
        await Promise.all(
          events.slice(index, index + 16).flatMap(({ event }) => {
            const windowStart = minuteWindow(event.event_time_ms);
            baselineRequests += 3;
            return [
              client.send(new UpdateCommand({ TableName: baselineTables.counters, Key: { metric_name: `events#${event.event_type}`, window_start: windowStart }, UpdateExpression: 'ADD #count :one', ExpressionAttributeNames: { '#count': 'count' }, ExpressionAttributeValues: { ':one': 1 } })),
              client.send(new UpdateCommand({ TableName: baselineTables.pageMetrics, Key: { page_url: event.page_path ?? '/', window_start: windowStart }, UpdateExpression: 'ADD events :one', ExpressionAttributeValues: { ':one': 1 } })),
              client.send(new UpdateCommand({ TableName: baselineTables.sessionMetrics, Key: { session_id: event.session_id }, UpdateExpression: 'ADD event_count :one SET last_event_at = :t', ExpressionAttributeValues: { ':one': 1, ':t': event.timestamp } })),
            ];
          }),
        );
      }
    }
    const baselineMs = Date.now() - started;
    const ours = store.stats;
    const perEvent = (value: number) => (value / accepted).toFixed(3);
    console.log(`DynamoDB writes, ${accepted.toLocaleString('en-US')} accepted events in ${writeBatches.length} shard batches of up to ${BATCH} (${SHARDS} shards, ~${SESSIONS_PER_SECOND * 110} open sessions):`);
    console.log(`  ours     : ${ours.writeRequests} write requests (${perEvent(ours.writeRequests)}/event), ${ours.itemsWritten} items written (${perEvent(ours.itemsWritten)}/event), ${ours.readRequests} read requests, ${oursMs} ms`);
    console.log(`  baseline : ${baselineRequests} write requests (${perEvent(baselineRequests)}/event), ${baselineRequests} items written (${perEvent(baselineRequests)}/event), ${baselineMs} ms`);
    console.log(`  → ${(baselineRequests / ours.writeRequests).toFixed(1)}× fewer write requests, ${(baselineRequests / ours.itemsWritten).toFixed(1)}× fewer item writes (write capacity units for items ≤ 1 KB)`);
  } finally {
    await dynamo.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
