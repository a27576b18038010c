import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, KinesisStreamBatchResponse } from 'aws-lambda';
import { createDynamoDbClient, createLogger, loadConfig, resourceNames, type StreamRecord } from '@clickstream/shared';
import { startDynamoDb, type Emulator } from '../../../../local/emulators';
import { createTables } from '../../../../local/provision';
import { lambdaRecord, pageView, streamRecord } from '../../../../testkit/records';
import { createHandler, type Dependencies } from '../../src/handler';
import { DynamoDbMetricsStore, type MetricsStore } from '../../src/store';

const NOW = Date.parse('2026-11-22T10:20:00Z');
let dynamo: Emulator;
let raw: DynamoDBClient;
let client: DynamoDBDocumentClient;
let project = 0;

beforeAll(async () => {
  dynamo = await startDynamoDb({ port: 0 });
  raw = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  client = DynamoDBDocumentClient.from(raw);
});
afterAll(() => dynamo.stop());

/** A fresh set of tables (its own project name), or the given one, and a handler (a sandbox) over them. */
async function pipeline(wrapStore: (store: MetricsStore) => MetricsStore = (store) => store, shared?: ReturnType<typeof resourceNames>) {
  const names = shared ?? resourceNames(`it${project++}`, 'test');
  if (shared === undefined) await createTables(raw, names);
  const config = loadConfig({ PROJECT_NAME: names.prefix.split('-')[0], ENVIRONMENT: 'test', AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1' });
  const store = new DynamoDbMetricsStore(createDynamoDbClient(config), config.tables);
  const metricLines: string[] = [];
  const deps: Dependencies = {
    config,
    store: wrapStore(store),
    logger: createLogger({ service: 'test', level: 'silent' }),
    emfWriter: (line) => metricLines.push(line),
    now: () => NOW,
  };
  const handler = createHandler(deps);
  const invoke = (records: StreamRecord[]) =>
    handler({ Records: records.map(lambdaRecord) }, { awsRequestId: 'req', getRemainingTimeInMillis: () => 60_000 } as Context) as Promise<KinesisStreamBatchResponse>;
  return { names, store, invoke, metricLines, snapshot: () => snapshot(names) };
}

/** A copy with every object's keys in order, nested maps (the rollups' page counts) included. */
function sortedKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, nested]) => [key, sortedKeys(nested)]));
}

/** Every table's items, without the bookkeeping attributes (fences, seen-set). */
async function snapshot(names: ReturnType<typeof resourceNames>) {
  const tables: Record<string, unknown[]> = {};
  for (const [key, table] of Object.entries(names.tables)) {
    const { Items = [] } = await client.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
    tables[key] = Items.map((item) => Object.fromEntries(Object.entries(item).filter(([name]) => !name.startsWith('fence#') && name !== 'seen_events' && name !== 'version')))
      .map((item) => JSON.stringify(sortedKeys(item)))
      .sort();
  }
  return tables;
}

/** A realistic shard: three sessions interleaved over two minutes, with a bad record. */
function shardRecords(count: number): StreamRecord[] {
  const types = ['page_view', 'product_view', 'click', 'add_to_cart', 'page_view', 'checkout', 'purchase'];
  return Array.from({ length: count }, (_, index) => {
    if (index === 4) return streamRecord('{"not":"an event"');
    const session = `session-${index % 3}`;
    return streamRecord(
      pageView({
        event_id: `evt-${index}`,
        session_id: session,
        event_type: types[index % types.length],
        timestamp: new Date(Date.parse('2026-11-22T10:10:00Z') + index * 7_000).toISOString(),
        page_url: `https://shop.example.com/p/${index % 4}?i=${index}`,
        value: 10,
      }),
    );
  });
}

describe('event-processor exactly-once effect (dynalite)', () => {
  const records = shardRecords(30);
  let reference: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    const once = await pipeline();
    expect(await once.invoke(records)).toEqual({ batchItemFailures: [] });
    reference = await once.snapshot();
  });

  it('writes the stored contract: pages by normalized path and minute, sessions, counters, top-pages rollups', () => {
    expect(reference.counters).toContainEqual(expect.stringContaining('"metric_name":"events#all"'));
    const all = reference.counters!.map((item) => JSON.parse(item as string)).filter((item) => item.metric_name === 'events#all');
    expect(all.reduce((sum, item) => sum + item.count, 0)).toBe(29);
    const items = reference.pageMetrics!.map((item) => JSON.parse(item as string));
    const pages = items.filter((item) => !item.page_url.startsWith('top#'));
    expect(new Set(pages.map((item) => item.page_url))).toEqual(new Set(['/p/0', '/p/1', '/p/2', '/p/3']));
    expect(pages.every((item) => item.window_start.endsWith('#shardId-000000000000'))).toBe(true);
    expect(pages.reduce((sum, item) => sum + item.events, 0)).toBe(29);
    // The rollups hold the same counts per page and minute as the page items.
    const rollups = items.filter((item) => item.page_url.startsWith('top#'));
    const fromPages = new Map<string, number>();
    for (const item of pages) fromPages.set(`${item.page_url} ${item.window_start}`, item.events);
    const fromRollups = new Map<string, number>();
    for (const rollup of rollups) for (const [page, events] of Object.entries(rollup.events as Record<string, number>)) fromRollups.set(`${page} ${rollup.window_start}`, events);
    expect(fromRollups).toEqual(fromPages);
    const sessions = reference.sessionMetrics!.map((item) => JSON.parse(item as string));
    expect(sessions.map((item) => item.event_count).sort((a, b) => a - b)).toEqual([9, 10, 10]);
  });

  it('leaves every count unchanged when the same batch is delivered twice', async () => {
    const run = await pipeline();
    await run.invoke(records);
    await run.invoke(records);
    expect(await run.snapshot()).toEqual(reference);
  });

  it('counts each record once when a retry starts at a middle sequence number and carries more records', async () => {
    const run = await pipeline();
    await run.invoke(records.slice(0, 20));
    await run.invoke(records.slice(12, 30));
    expect(await run.snapshot()).toEqual(reference);
  });

  it('counts each record once when bisected halves and the whole batch are all delivered', async () => {
    const run = await pipeline();
    await run.invoke(records.slice(0, 15));
    await run.invoke(records.slice(15));
    await run.invoke(records);
    expect(await run.snapshot()).toEqual(reference);
  });

  it('recovers from a crash between the session writes and the aggregate writes', async () => {
    let crash = true;
    const run = await pipeline((store) => ({
      loadSessions: (ids) => store.loadSessions(ids),
      applyRollups: (writer, rollups) => store.applyRollups(writer, rollups),
      saveSessions: (items) => store.saveSessions(items),
      applyIncrements: async (table, shardId, items) => {
        if (crash && table === 'counters') throw new Error('sandbox killed mid-batch');
        return store.applyIncrements(table, shardId, items);
      },
    }));
    await expect(run.invoke(records)).rejects.toThrow('sandbox killed mid-batch');
    crash = false;
    expect(await run.invoke(records)).toEqual({ batchItemFailures: [] });
    expect(await run.snapshot()).toEqual(reference);
  });

  it('reports the lowest failed sequence number when writes fail, and the redelivery completes the counts', async () => {
    let throttled = true;
    const failingSession = 'session-2';
    const run = await pipeline((store) => ({
      loadSessions: (ids) => store.loadSessions(ids),
      applyRollups: (writer, rollups) => store.applyRollups(writer, rollups),
      saveSessions: async (items) => {
        if (!throttled) return store.saveSessions(items);
        const result = await store.saveSessions(items.filter(({ item }) => item.session_id !== failingSession));
        return { ...result, failed: new Set([...result.failed, failingSession]), errors: [new Error('ProvisionedThroughputExceededException')] };
      },
      applyIncrements: (table, shardId, items) => store.applyIncrements(table, shardId, items),
    }));
    const response = await run.invoke(records);
    const firstOfFailingSession = records.find((record) => JSON.parse(Buffer.from(record.data).toString()).session_id === failingSession)!;
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: firstOfFailingSession.sequenceNumber }] });
    throttled = false;
    const from = records.indexOf(firstOfFailingSession);
    expect(await run.invoke(records.slice(from))).toEqual({ batchItemFailures: [] });
    expect(await run.snapshot()).toEqual(reference);
  });

  it('keeps sessions and rollups exact when a shard moves between sandboxes (each store remembers the sessions and parts it last wrote)', async () => {
    const first = await pipeline();
    const second = await pipeline(undefined, first.names);
    await first.invoke(records.slice(0, 10));
    await second.invoke(records.slice(10, 20));
    // The first sandbox's remembered sessions and parts are stale now: its writes must notice, read and re-apply.
    await first.invoke(records.slice(20));
    await second.invoke(records);
    expect(await first.snapshot()).toEqual(reference);
    expect(first.store.stats.sessionsFromMemory).toBe(3);
    const conflicts = first.metricLines.map((line) => JSON.parse(line)).filter((line) => line.SessionWriteConflicts !== undefined);
    expect(conflicts.reduce((sum, line) => sum + line.SessionWriteConflicts, 0)).toBe(3);
  });

  it('reads the sessions it wrote from memory, and never brings back a session deleted since (forget, TTL)', async () => {
    const run = await pipeline();
    await run.invoke(records.slice(0, 15));
    await run.invoke(records.slice(15));
    expect(await run.snapshot()).toEqual(reference);
    expect(run.store.stats.sessionsFromMemory).toBe(3);

    await client.send(new DeleteCommand({ TableName: run.names.tables.sessionMetrics, Key: { session_id: 'session-1' } }));
    const later = streamRecord(pageView({ event_id: 'after-forget', session_id: 'session-1', timestamp: '2026-11-22T10:14:00Z' }));
    expect(await run.invoke([later])).toEqual({ batchItemFailures: [] });
    const sessions = (await run.snapshot()).sessionMetrics!.map((item) => JSON.parse(item as string));
    expect(sessions.find((session) => session.session_id === 'session-1')).toMatchObject({ event_count: 1, first_event_at: '2026-11-22T10:14:00.000Z' });
  });

  it('stops trusting its memory when a shard\'s batches keep alternating between sandboxes, and stays exact', async () => {
    // Ten sessions, one event each per batch, twenty batches handed to two sandboxes in turn.
    const alternating = Array.from({ length: 200 }, (_, index) =>
      streamRecord(pageView({ event_id: `alt-${index}`, session_id: `alt-${index % 10}`, timestamp: new Date(Date.parse('2026-11-22T10:10:00Z') + index * 500).toISOString() })),
    );
    const batches = Array.from({ length: 20 }, (_, batch) => alternating.slice(batch * 10, batch * 10 + 10));
    const first = await pipeline();
    const second = await pipeline(undefined, first.names);
    const memoryUse: number[] = [];
    for (const [index, batch] of batches.entries()) {
      expect(await (index % 2 === 0 ? first : second).invoke(batch)).toEqual({ batchItemFailures: [] });
      memoryUse.push(first.store.stats.sessionsFromMemory + second.store.stats.sessionsFromMemory);
    }
    const alone = await pipeline();
    for (const batch of batches) await alone.invoke(batch);
    expect(await first.snapshot()).toEqual(await alone.snapshot());
    // Every copy either sandbox held was stale: after the first few batches neither gives any out.
    expect(memoryUse[7]).toBeGreaterThan(0);
    expect(memoryUse[19]).toBe(memoryUse[7]);
    expect(alone.store.stats.sessionsFromMemory).toBe(190);
  }, 30_000);

  it('counts an event resent by its producer (same event_id, new record) once', async () => {
    const run = await pipeline();
    await run.invoke(records);
    const resent = records.slice(5, 10).map((record) => streamRecord(Buffer.from(record.data)));
    await run.invoke(resent);
    expect(await run.snapshot()).toEqual(reference);
    expect(run.metricLines.join('\n')).toContain('"DuplicateEvents":5');
  });

  it('skips and counts bad records without failing the batch', async () => {
    const run = await pipeline();
    const bad = [streamRecord(''), streamRecord(Buffer.from([0xc3, 0x28])), streamRecord(pageView({ session_id: undefined }))];
    expect(await run.invoke([...bad, ...records])).toEqual({ batchItemFailures: [] });
    expect(await run.snapshot()).toEqual(reference);
    const invalid = run.metricLines.map((line) => JSON.parse(line)).filter((line) => line.InvalidRecords !== undefined);
    expect(Object.fromEntries(invalid.map((line) => [line.Reason, line.InvalidRecords]))).toEqual({ empty_record: 1, invalid_utf8: 1, missing_field: 1, invalid_json: 1 });
  });

  // Lambda runs one batch per shard at a time (ParallelizationFactor 1, which the fences rely on);
  // different shards do run concurrently and meet on the same page and counter items.
  it('keeps counts exact when two shards write the same page and counter items concurrently', async () => {
    const run = await pipeline();
    const shardA = shardRecords(30).map((record) => ({ ...record, shardId: 'shardId-000000000000' }));
    const shardB = shardRecords(30).map((record) => ({ ...record, shardId: 'shardId-000000000001', data: Buffer.from(Buffer.from(record.data).toString().replace(/session-(\d)/, 'other-$1').replace(/evt-/, 'other-evt-')) }));
    await Promise.all([run.invoke(shardA), run.invoke(shardB)]);
    await Promise.all([run.invoke(shardA.slice(10)), run.invoke(shardB.slice(20))]);
    const all = (await run.snapshot()).counters!.map((item) => JSON.parse(item as string)).filter((item) => item.metric_name === 'events#all');
    expect(all.reduce((sum, item) => sum + item.count, 0)).toBe(58);
  });

  it('never lets a late write of an earlier attempt overwrite newer state (conditional, versioned session writes)', async () => {
    // The first attempt's session write is held back until a later attempt (the redelivery with
    // more records) has written; then it lands. Unconditional puts would lose the later events.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let hold = true;
    const run = await pipeline((store) => ({
      loadSessions: (ids) => store.loadSessions(ids),
      applyRollups: (writer, rollups) => store.applyRollups(writer, rollups),
      saveSessions: async (writes) => {
        if (!hold) return store.saveSessions(writes);
        hold = false;
        await held;
        return store.saveSessions(writes);
      },
      applyIncrements: (table, shardId, items) => store.applyIncrements(table, shardId, items),
    }));
    const first = run.invoke(records.slice(0, 20));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await run.invoke(records)).toEqual({ batchItemFailures: [] });
    release();
    expect(await first).toEqual({ batchItemFailures: [] });
    expect(await run.snapshot()).toEqual(reference);
    const conflicts = run.metricLines.map((line) => JSON.parse(line)).filter((line) => line.SessionWriteConflicts !== undefined);
    expect(conflicts.reduce((sum, line) => sum + line.SessionWriteConflicts, 0)).toBeGreaterThan(0);
  });

  it('rejects a value the store cannot hold on its own record; every other event of the batch is applied', async () => {
    const run = await pipeline();
    const poisoned = [...records.slice(0, 10), streamRecord(pageView({ event_id: 'huge', session_id: 'session-1', event_type: 'purchase', value: 1e16, timestamp: '2026-11-22T10:11:00Z' })), ...records.slice(10)];
    expect(await run.invoke(poisoned)).toEqual({ batchItemFailures: [] });
    expect(await run.snapshot()).toEqual(reference);
    const invalid = run.metricLines.map((line) => JSON.parse(line)).filter((line) => line.InvalidRecords !== undefined);
    expect(invalid.map((line) => line.Reason).sort()).toEqual(['invalid_field_value', 'invalid_json']);
  });

  it('counts a custom event type named "all" under its own counter, never into the total', async () => {
    const run = await pipeline();
    await run.invoke([streamRecord(pageView({ event_id: 'custom-all', session_id: 's-all', event_type: 'all', timestamp: '2026-11-22T10:11:00Z' }))]);
    const counters = (await run.snapshot()).counters!.map((item) => JSON.parse(item as string) as { metric_name: string; count: number });
    expect(counters.map(({ metric_name, count }) => [metric_name, count]).sort()).toEqual([
      ['events#all', 1],
      ['events#custom#all', 1],
    ]);
  });
});
