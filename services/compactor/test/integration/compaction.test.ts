import { createDynamoDbClient, createS3Client, CURATED_EVENT_COLUMNS, hourLabel, hourPrefixes, listArchiveObjects, type ArchiveObject } from '@clickstream/shared';
import { TrafficModel, type TrafficRecord } from '../../../../testkit/traffic';
import { duckDbType } from '../../../../local/lake';
import { manifestClientConfig } from '../../../../local/manifest';
import { liveCompaction, liveFiles } from '../../src/contract';
import { HOUR_MS } from '../../src/plan';
import { AwsLakeStore } from '../../src/store';
import { compactor, lakeQuery, lakeStore, openLake, send, startPipeline, type Stack } from '../support';

/**
 * The compactor against the real pipeline: records go through kinesalite, the archiver writes the
 * raw hour into fauxqs S3 and the event-processor counts them in dynalite; the compactor's real
 * handler then builds the curated hour, and DuckDB reads it back.
 */
jest.setTimeout(60_000);

let stack: Stack;
const hourMs = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 3 * HOUR_MS;
const hour = hourLabel(hourMs);
const model = new TrafficModel({ seed: 16, camelCaseShare: 0.1 });
const traffic = model.stream(600, hourMs + 5 * 60_000, 20);
/** Producer resends: the same bytes (same event_id) as a second record, after the first. */
const resends = traffic.filter((_, index) => index % 25 === 0);

beforeAll(async () => {
  stack = await startPipeline();
  await send(stack, traffic);
  await send(stack, resends);
  await stack.waitForIdle();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const eventIds = (records: readonly TrafficRecord[]) =>
  records.map((record) => {
    const event = JSON.parse(record.data) as { event_id?: string; eventId?: string };
    return String(event.event_id ?? event.eventId);
  });
const inHour = `year = '${hour.slice(0, 4)}' AND month = '${hour.slice(5, 7)}' AND day = '${hour.slice(8, 10)}' AND hour = '${hour.slice(11, 13)}'`;

describe('compacting an hour', () => {
  it('keeps one row per event id, the copy that arrived first, and counts the duplicates removed', async () => {
    const { invoke } = compactor(stack);
    const result = await invoke({ hour });
    expect(result.hours).toEqual([expect.objectContaining({ hour, action: 'compacted', rows: traffic.length, countsAgree: true })]);

    const rows = await lakeQuery(stack, `SELECT event_id, received_at FROM events WHERE ${inHour}`);
    expect(rows).toHaveLength(traffic.length);
    expect(new Set(rows.map((row) => row.event_id))).toEqual(new Set(eventIds(traffic)));
    const raw = await lakeQuery(stack, `SELECT event_id, min(received_at) AS first_received, count(*) AS copies FROM raw_events WHERE ${inHour} GROUP BY event_id`);
    expect(raw.filter((row) => row.copies === 2)).toHaveLength(resends.length);
    const firstArrival = new Map(raw.map((row) => [row.event_id, Date.parse(String(row.first_received))]));
    for (const row of rows) expect(Date.parse(String(row.received_at))).toBe(firstArrival.get(row.event_id));

    const manifest = (await liveCompaction({ s3: createS3Client(manifestClientConfig(stack.manifest)), bucket: stack.manifest.bucket }, hourMs))!;
    expect(manifest.figures).toMatchObject({ raw_lines: traffic.length + resends.length, curated_rows: traffic.length, duplicates_removed: resends.length, malformed_lines: 0 });
    expect(manifest.accepted_events).toBe(traffic.length);
  });

  it('reads back in DuckDB with the documented schema', async () => {
    const session = await openLake(stack);
    try {
      const unquoted = (columns: Array<{ name: string; type: string }>) => columns.map(({ name, type }) => ({ name, type: type.replace(/"/g, '') }));
      const columns = await session.describe('events');
      expect(unquoted(columns)).toEqual(unquoted([...CURATED_EVENT_COLUMNS.map((column) => ({ name: column.name, type: duckDbType(column.type) })), ...['year', 'month', 'day', 'hour'].map((name) => ({ name, type: 'VARCHAR' }))]));
      const [viewed] = await session.query(`SELECT product.name AS name, product.price AS price, event_time FROM events WHERE event_type = 'product_view' AND ${inHour} LIMIT 1`);
      expect(viewed).toEqual({ name: expect.stringMatching(/^Product /), price: expect.any(Number), event_time: expect.stringMatching(new RegExp(`^${hour}:\\d{2}:\\d{2}\\.\\d{3}Z$`)) });
    } finally {
      session.close();
    }
  });

  it('gives the same rows when run again, in a new generation', async () => {
    const reader = { s3: createS3Client(manifestClientConfig(stack.manifest)), bucket: stack.manifest.bucket };
    const before = await lakeQuery(stack, `SELECT * FROM events WHERE ${inHour} ORDER BY event_id`);
    const firstFiles = await liveFiles(reader, hourMs);
    const { invoke, clock } = compactor(stack);
    clock.now += 1000;
    await invoke({ hour });
    const after = await lakeQuery(stack, `SELECT * FROM events WHERE ${inHour} ORDER BY event_id`);
    expect(await liveFiles(reader, hourMs)).not.toEqual(firstFiles);
    expect(after).toEqual(before);
  });

  it('uses several partitions (spilled to disk) for a large hour and keeps exactly the same rows', async () => {
    const before = await lakeQuery(stack, `SELECT * FROM events WHERE ${inHour} ORDER BY event_id`);
    const { invoke, clock } = compactor(stack, { partitionRows: 50 });
    clock.now += 2000;
    await invoke({ hour });
    const reader = { s3: createS3Client(manifestClientConfig(stack.manifest)), bucket: stack.manifest.bucket };
    const manifest = (await liveCompaction(reader, hourMs))!;
    expect(manifest.files.length).toBeGreaterThan(1);
    expect(manifest.files.reduce((sum, file) => sum + file.rows, 0)).toBe(traffic.length);
    expect(await lakeQuery(stack, `SELECT * FROM events WHERE ${inHour} ORDER BY event_id`)).toEqual(before);
  });
});

describe('scheduled runs', () => {
  const lateHourMs = hourMs - HOUR_MS;
  const lateHour = hourLabel(lateHourMs);
  const lateModel = new TrafficModel({ seed: 61 });
  const onTime = lateModel.stream(120, lateHourMs + 10 * 60_000, 10);
  const late = lateModel.stream(40, lateHourMs + 40 * 60_000, 10);

  it('compacts a closed hour once, skips it while its raw objects are unchanged, and re-compacts it when a late object arrives', async () => {
    await send(stack, onTime);
    await stack.waitForIdle();
    const { invoke, clock } = compactor(stack, { lookbackHours: 5 });
    const first = await invoke({});
    expect(first.hours.find((entry) => entry.hour === lateHour)).toMatchObject({ action: 'compacted', reason: 'never compacted', rows: onTime.length });

    clock.now += 60_000;
    const second = await invoke({});
    expect(second.hours.find((entry) => entry.hour === lateHour)).toMatchObject({ action: 'skipped', reason: 'up to date' });

    await send(stack, late);
    await stack.waitForIdle();
    clock.now += 60_000;
    const third = await invoke({});
    expect(third.hours.find((entry) => entry.hour === lateHour)).toMatchObject({ action: 'compacted', reason: 'sources changed', rows: onTime.length + late.length, countsAgree: true });
    const [{ rows }] = (await lakeQuery(stack, `SELECT count(*) AS rows FROM events WHERE hour = '${lateHour.slice(11, 13)}' AND day = '${lateHour.slice(8, 10)}'`)) as [{ rows: number }];
    expect(rows).toBe(onTime.length + late.length);
  });

  it('deletes superseded generations only once no reader can still be reading them', async () => {
    const store = lakeStore(stack);
    const { invoke, clock } = compactor(stack, { lookbackHours: 5, retireAfterMs: 30 * 60_000 });
    clock.now += 120_000;
    await invoke({ hour: lateHour });
    expect((await store.listGenerations(lateHourMs)).length).toBeGreaterThan(1);
    clock.now += 29 * 60_000;
    await invoke({});
    expect((await store.listGenerations(lateHourMs)).length).toBeGreaterThan(1);
    clock.now += 2 * 60_000;
    await invoke({});
    const reader = { s3: createS3Client(manifestClientConfig(stack.manifest)), bucket: stack.manifest.bucket };
    const live = (await liveFiles(reader, lateHourMs))[0]!.split('/').slice(-2)[0];
    expect(await store.listGenerations(lateHourMs)).toEqual([live]);
  });
});

describe('readers never see a partial hour', () => {
  /** A store whose Parquet PUTs fail after `healthy` of them: a crash in the middle of writing a generation. */
  class FailingStore extends AwsLakeStore {
    puts = 0;
    constructor(private readonly healthy: number) {
      const config = manifestClientConfig(stack.manifest);
      super(createS3Client(config), createDynamoDbClient(config), stack.manifest.bucket, stack.manifest.tables.counters);
    }
    override async putObject(key: string, body: Uint8Array | string, contentType: string): Promise<void> {
      if (key.endsWith('.parquet') && ++this.puts > this.healthy) throw new Error('injected: the function timed out mid-write');
      return super.putObject(key, body, contentType);
    }
  }

  it('keeps the previous generation live when a compaction dies halfway through its files', async () => {
    const reader = { s3: createS3Client(manifestClientConfig(stack.manifest)), bucket: stack.manifest.bucket };
    const before = await liveFiles(reader, hourMs);
    const { invoke, clock } = compactor(stack, { partitionRows: 50 }, new FailingStore(2));
    clock.now += 3000;
    await expect(invoke({ hour })).rejects.toThrow(/injected/);
    expect(await liveFiles(reader, hourMs)).toEqual(before);
    const [{ rows }] = (await lakeQuery(stack, `SELECT count(*) AS rows FROM events WHERE ${inHour}`)) as [{ rows: number }];
    expect(rows).toBe(traffic.length);
  });

  it('sees all of the old generation or all of the new one while the hour is compacted again and again', async () => {
    const { invoke, clock } = compactor(stack, { partitionRows: 100 });
    let observations = 0;
    let running = true;
    const reads = (async () => {
      while (running) {
        const [{ rows, ids }] = (await lakeQuery(stack, `SELECT count(*) AS rows, count(DISTINCT event_id) AS ids FROM events WHERE ${inHour}`)) as [{ rows: number; ids: number }];
        expect({ rows, ids }).toEqual({ rows: traffic.length, ids: traffic.length });
        observations++;
      }
    })();
    for (let run = 0; run < 3; run++) {
      clock.now += 5000;
      await invoke({ hour });
    }
    running = false;
    await reads;
    expect(observations).toBeGreaterThan(0);
  });
});

describe('bad input', () => {
  it('rejects a malformed hour with a clear error', async () => {
    const { invoke } = compactor(stack);
    await expect(invoke({ hour: '2026-13-01T00' })).rejects.toThrow('hour must be YYYY-MM-DDTHH (UTC), got "2026-13-01T00"');
  });

  it('lists nothing to compact in an hour without raw objects', async () => {
    const empty: ArchiveObject[] = await listArchiveObjects({ s3: createS3Client(manifestClientConfig(stack.manifest)), bucket: stack.manifest.bucket }, hourPrefixes('events', hourMs - 30 * HOUR_MS, hourMs - 30 * HOUR_MS)[0]!);
    expect(empty).toEqual([]);
    const { invoke } = compactor(stack, { lookbackHours: 40 });
    const result = await invoke({});
    expect(result.hours.find((entry) => entry.hour === hourLabel(hourMs - 30 * HOUR_MS))).toEqual({ hour: hourLabel(hourMs - 30 * HOUR_MS), action: 'skipped', reason: 'no raw objects' });
  });
});
