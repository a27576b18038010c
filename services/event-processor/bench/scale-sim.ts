/**
 * `npm run scale-sim -- [--shards 100] [--seconds 6] [--batches 2] [--events 25] [--pages 500]`:
 * a scaled-down simulation of many shards, to count hot keys. It runs the event-processor's real
 * handler and store against DynamoDB Local (dynalite) for `--shards` shards, each delivering
 * `--batches` batches of `--events` events per simulated second (as Lambda does: one batch in
 * flight per shard), and counts every write request by the item key and the partition key it lands
 * on, with the write units DynamoDB reports for it. An index (from `TABLES`) adds one write on the
 * index partition of the written item's index key.
 *
 * What it prints: per table, the hottest item and partition key in writes/s and write units/s
 * (the simulated second with the most), against DynamoDB's 1,000 WCU/s per partition; the most
 * fence attributes any item carries; write units per event. The per-key rate depends on batches
 * per shard per second, not on events per batch (a batch writes each item once), so a run with
 * small batches shows the rates of full-size ones; events per batch only changes item sizes.
 */
import '../../../local/quiet-warnings';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, KinesisStreamBatchResponse } from 'aws-lambda';
import { createLogger, httpHandler, loadConfig, mapWithConcurrency, resourceNames, scanItems, TABLES, type TableKey } from '@clickstream/shared';
import { startDynamoDb } from '../../../local/emulators';
import { createTables } from '../../../local/provision';
import { createHandler } from '../src/handler';
import { DynamoDbMetricsStore } from '../src/store';
import { integerOption, runCommand, type CommandLine } from '../../../local/cli-args';
import { lambdaRecord, pageView, streamRecord } from '../../../testkit/records';

const PARTITION_LIMIT_WCU = 1000;
const TYPES = ['page_view', 'page_view', 'page_view', 'product_view', 'click', 'click', 'add_to_cart', 'checkout', 'purchase', 'search'];

type AttributeValue = { S?: string; N?: string };
type Key = Record<string, AttributeValue>;

export interface KeyRate {
  key: string;
  writes: number;
  writeUnits: number;
}

interface Counter {
  /** second → key → [writes, units] */
  items: Map<number, Map<string, [number, number]>>;
  partitions: Map<number, Map<string, [number, number]>>;
}

const keyText = (key: Key) =>
  Object.entries(key)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, value]) => value.S ?? value.N ?? '?')
    .join(' | ');

function add(map: Map<number, Map<string, [number, number]>>, second: number, key: string, units: number) {
  let perSecond = map.get(second);
  if (perSecond === undefined) map.set(second, (perSecond = new Map()));
  const entry = perSecond.get(key) ?? [0, 0];
  entry[0] += 1;
  entry[1] += units;
  perSecond.set(key, entry);
}

/** The simulated second with the most writes on one key, and the key. */
function hottest(map: Map<number, Map<string, [number, number]>>, by: 0 | 1): KeyRate | undefined {
  let best: KeyRate | undefined;
  for (const perSecond of map.values()) {
    for (const [key, [writes, units]] of perSecond) {
      const value = by === 0 ? writes : units;
      if (best === undefined || value > (by === 0 ? best.writes : best.writeUnits)) best = { key, writes, writeUnits: units };
    }
  }
  return best;
}

const SPEC = {
  command: 'npm run scale-sim',
  help: [
    'Usage: npm run scale-sim -- [--shards 100] [--seconds 6] [--batches 2] [--events 25] [--pages 500]',
    '',
    "Runs the event-processor's handler for many shards against dynalite and prints the hottest item and",
    'partition key of every table in writes/s and write units/s per simulated second.',
    '',
  ].join('\n'),
  options: { shards: { type: 'string' }, seconds: { type: 'string' }, batches: { type: 'string' }, events: { type: 'string' }, pages: { type: 'string' } },
} as const;

async function main({ values }: CommandLine<typeof SPEC.options>): Promise<number> {
  const shards = integerOption(values.shards, 'shards', { min: 1, fallback: 100 });
  const seconds = integerOption(values.seconds, 'seconds', { min: 1, fallback: 6 });
  const batches = integerOption(values.batches, 'batches', { min: 1, fallback: 2 });
  const eventsPerBatch = integerOption(values.events, 'events', { min: 1, fallback: 25 });
  const pages = integerOption(values.pages, 'pages', { min: 1, fallback: 500 });

  const dynamo = await startDynamoDb({ port: 0 });
  const names = resourceNames('scalesim', 'sim');
  const tableKeyOf = new Map((Object.keys(names.tables) as TableKey[]).map((key) => [names.tables[key], key]));
  const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, requestHandler: httpHandler(64) });
  await createTables(raw, names);

  const counters = new Map<TableKey, Counter>();
  let second = 0;
  const record = (tableName: string, key: Key, units: number, item?: Key) => {
    const table = tableKeyOf.get(tableName);
    if (table === undefined) return;
    let counter = counters.get(table);
    if (counter === undefined) counters.set(table, (counter = { items: new Map(), partitions: new Map() }));
    const definition = TABLES[table];
    add(counter.items, second, keyText(key), units);
    add(counter.partitions, second, `${key[definition.hashKey.name]?.S ?? '?'}`, units);
    for (const index of definition.globalSecondaryIndexes) {
      const value = (item ?? key)[index.hashKey.name]?.S;
      // An index write is charged on the index's own partition: about one unit for a small projection.
      if (value !== undefined) add(counter.partitions, second, `index ${index.indexName}: ${value}`, 1);
    }
  };
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown> & { TableName?: string; Key?: Key; Item?: Key; RequestItems?: Record<string, Array<{ PutRequest?: { Item: Key } }>> };
      const command = String(context.commandName);
      if (!['PutItemCommand', 'UpdateItemCommand', 'BatchWriteItemCommand'].includes(command)) return next(args);
      input.ReturnConsumedCapacity = 'TOTAL';
      try {
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } | Array<{ TableName?: string; CapacityUnits?: number }> }).ConsumedCapacity;
        if (command === 'BatchWriteItemCommand') {
          for (const [tableName, requests] of Object.entries(input.RequestItems ?? {})) {
            const units = (Array.isArray(consumed) ? consumed.find((entry) => entry.TableName === tableName)?.CapacityUnits : undefined) ?? requests.length;
            const definition = TABLES[tableKeyOf.get(tableName)!];
            for (const request of requests) {
              const item = request.PutRequest?.Item ?? {};
              const key = Object.fromEntries([definition.hashKey.name, ...('rangeKey' in definition ? [definition.rangeKey.name] : [])].map((name) => [name, item[name] ?? {}]));
              record(tableName, key, units / requests.length, item);
            }
          }
        } else {
          const key = input.Key ?? Object.fromEntries(Object.entries(input.Item ?? {}).filter(([name]) => name === TABLES[tableKeyOf.get(input.TableName!)!]?.hashKey.name || name === (TABLES[tableKeyOf.get(input.TableName!)!] as { rangeKey?: { name: string } }).rangeKey?.name));
          record(input.TableName!, key, (consumed as { CapacityUnits?: number } | undefined)?.CapacityUnits ?? 1, input.Key ?? input.Item);
        }
        return result;
      } catch (error) {
        // A write rejected by its condition is billed (one unit at least).
        if ((error as Error).name === 'ConditionalCheckFailedException') record(input.TableName!, input.Key ?? input.Item ?? {}, 1);
        throw error;
      }
    },
    { step: 'build', name: 'scaleSimKeyCounter' },
  );
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });

  const startMs = Date.parse('2026-12-01T12:00:10Z');
  let nowMs = startMs;
  const config = loadConfig({ PROJECT_NAME: 'scalesim', ENVIRONMENT: 'sim', AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' });
  // One handler (one sandbox, one store) per shard, as Lambda runs them.
  const handlers = Array.from({ length: shards }, () =>
    createHandler({ config, store: new DynamoDbMetricsStore(client, config.tables), logger: createLogger({ service: 'scale-sim', level: 'silent' }), emfWriter: () => undefined, now: () => nowMs }),
  );
  const shardIds = Array.from({ length: shards }, (_, shard) => `shardId-${String(shard).padStart(12, '0')}`);
  const sequences = shardIds.map(() => 0n);
  // Zipf-like page popularity: page i has weight 1 / (i + 1).
  const weights = Array.from({ length: pages }, (_, index) => 1 / (index + 1));
  const totalWeight = weights.reduce((sum, weight) => sum + weight, 0);
  let seed = 2026;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  const pickPage = () => {
    let target = random() * totalWeight;
    for (let index = 0; index < pages; index++) if ((target -= weights[index]!) <= 0) return index;
    return pages - 1;
  };

  let events = 0;
  const started = Date.now();
  for (second = 0; second < seconds; second++) {
    for (let batch = 0; batch < batches; batch++) {
      nowMs = startMs + second * 1000 + Math.floor((batch * 1000) / batches);
      await mapWithConcurrency(shardIds, 8, async (shardId, shard) => {
        const records = Array.from({ length: eventsPerBatch }, (_, index) => {
          sequences[shard]! += 1n;
          const sequenceNumber = `4960${String(shard).padStart(6, '0')}${sequences[shard]!.toString().padStart(20, '0')}`;
          const session = `s${shard}-${Math.floor(random() * 50)}`;
          return streamRecord(
            pageView({
              event_id: `e${shard}-${sequences[shard]}`,
              session_id: session,
              user_id: `u-${session}`,
              event_type: TYPES[(index + shard + batch) % TYPES.length],
              timestamp: new Date(nowMs - 500).toISOString(),
              page_url: `https://shop.example.com/p/${pickPage()}`,
              value: 10,
            }),
            { shardId, sequenceNumber, arrivalMs: nowMs - 200 },
          );
        });
        const response = (await handlers[shard]!({ Records: records.map(lambdaRecord) }, { awsRequestId: 'sim', getRemainingTimeInMillis: () => 60_000 } as Context)) as KinesisStreamBatchResponse;
        if (response.batchItemFailures.length > 0) throw new Error(`${shardId}: batch failed from ${response.batchItemFailures[0]!.itemIdentifier}`);
      });
      events += shards * eventsPerBatch;
    }
    process.stderr.write(`simulated second ${second + 1}/${seconds}: ${events} events, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }

  // Fences per item and the largest item, from a scan of the aggregate tables.
  const fences: Record<string, { maxFences: number; maxBytes: number }> = {};
  for (const table of ['pageMetrics', 'counters'] as const) {
    let maxFences = 0;
    let maxBytes = 0;
    for await (const item of scanItems(client, { TableName: names.tables[table] })) {
      maxFences = Math.max(maxFences, Object.keys(item).filter((name) => name.startsWith('fence#')).length);
      maxBytes = Math.max(maxBytes, Buffer.byteLength(JSON.stringify(item)));
    }
    fences[table] = { maxFences, maxBytes };
  }

  const lines = [
    `scale-sim: ${shards} shards × ${batches} batches/s × ${eventsPerBatch} events, ${seconds} simulated seconds, ${pages} pages (${events} events, ${((Date.now() - started) / 1000).toFixed(0)} s wall)`,
    '',
    '| table | hottest item: writes/s | hottest item: WCU/s | hottest partition: writes/s | hottest partition: WCU/s | most fences on an item | largest item (JSON bytes) | WCU per event (indexes included) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const perSecond = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(0));
  for (const [table, counter] of [...counters].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const item = hottest(counter.items, 0);
    const itemUnits = hottest(counter.items, 1);
    const partition = hottest(counter.partitions, 0);
    const partitionUnits = hottest(counter.partitions, 1);
    let units = 0;
    for (const perSecondMap of counter.items.values()) for (const [, [, wcu]] of perSecondMap) units += wcu;
    for (const perSecondMap of counter.partitions.values()) for (const [key, [, wcu]] of perSecondMap) if (key.startsWith('index ')) units += wcu;
    const over = (partitionUnits?.writeUnits ?? 0) > PARTITION_LIMIT_WCU ? ' **over 1,000**' : '';
    lines.push(
      `| ${table} | ${perSecond(item?.writes)} (\`${item?.key}\`) | ${perSecond(itemUnits?.writeUnits)} (\`${itemUnits?.key}\`) | ${perSecond(partition?.writes)} (\`${partition?.key}\`) | ${perSecond(partitionUnits?.writeUnits)}${over} (\`${partitionUnits?.key}\`) | ${fences[table as 'pageMetrics']?.maxFences ?? '—'} | ${fences[table as 'pageMetrics']?.maxBytes ?? '—'} | ${(units / events).toFixed(3)} |`,
    );
  }
  // The top-pages rollup's partitions (`top#<minute>#<n>`), apart: their items grow with the pages of a minute.
  const rollups = counters.get('pageMetrics')?.partitions;
  if (rollups !== undefined) {
    const only = new Map([...rollups].map(([at, perSecondMap]) => [at, new Map([...perSecondMap].filter(([key]) => key.startsWith('top#')))]));
    const byWrites = hottest(only, 0);
    const byUnits = hottest(only, 1);
    if (byWrites !== undefined) lines.push('', `hottest top-pages rollup partition: ${perSecond(byWrites.writes)} writes/s (\`${byWrites.key}\`), ${perSecond(byUnits?.writeUnits)} WCU/s (\`${byUnits?.key}\`)`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  raw.destroy();
  await dynamo.stop();
  return 0;
}

if (require.main === module) runCommand(SPEC, main);
