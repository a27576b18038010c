import { createLogger, DEFAULT_PRIVACY_POLICY, parseEmfLine, sanitizeRecordBytes, type EmfDatapoint } from '@clickstream/shared';
import { createHandler, dependenciesFromEnv } from '../../src/handler';
import {
  archivedLines,
  BAD_INPUTS,
  countBySequence,
  eventRecords,
  kinesisRecord,
  lambdaContext,
  lambdaEvent,
  MemoryArchiveStore,
  NOW,
  quarantinedLines,
  sequenceNumber,
  TEST_MAX_RECORD_BYTES,
} from '../support';

const silent = createLogger({ service: 'archiver', level: 'silent' });

function setup() {
  const store = new MemoryArchiveStore();
  const datapoints: EmfDatapoint[] = [];
  const deps = dependenciesFromEnv(
    { MAX_RECORD_BYTES: String(TEST_MAX_RECORD_BYTES) },
    { store, logger: silent, emfWriter: (line) => datapoints.push(...parseEmfLine(line)), now: () => NOW },
  );
  const handler = createHandler(deps);
  const invoke = (records: ReturnType<typeof eventRecords>) => handler(lambdaEvent(records), lambdaContext());
  const metric = (name: string, dimensions: Record<string, string> = {}) =>
    datapoints
      .filter((point) => point.name === name && Object.entries(dimensions).every(([key, value]) => point.dimensions[key] === value))
      .reduce((sum, point) => sum + point.value, 0);
  return { store, invoke, metric };
}

/** Exactly once: every sequence number of `from..to` appears once across all archive objects. */
function expectArchivedExactlyOnce(store: MemoryArchiveStore, from: number, to: number) {
  const counts = countBySequence(archivedLines(store.objects));
  const expected = new Map(Array.from({ length: to - from + 1 }, (_, index) => [sequenceNumber(from + index), 1]));
  expect(counts).toEqual(expected);
}

describe('archiver handler', () => {
  it('writes one gzip JSON Lines object per event hour, lines in stream order', async () => {
    const { store, invoke, metric } = setup();

    const response = await invoke(eventRecords(1, 30));

    expect(response).toEqual({ batchItemFailures: [] });
    expect([...store.objects.keys()].map((key) => key.split('/').slice(0, 5).join('/')).sort()).toEqual([
      'events/year=2026/month=11/day=22/hour=13',
      'events/year=2026/month=11/day=22/hour=14',
    ]);
    expectArchivedExactlyOnce(store, 1, 30);
    const [line] = archivedLines(store.objects).filter((archived) => archived.sequence_number === sequenceNumber(1));
    expect(line).toEqual({
      schema_version: 1,
      event_id: 'evt-1',
      event_type: 'page_view',
      session_id: 'session-1',
      timestamp: '2026-11-22T14:29:00.000Z',
      event_time: '2026-11-22T14:29:00.000Z',
      // The query parameter is not on the allow-list (UTM only, by default): it never reaches the archive.
      page_url: 'https://shop.example.com/p/1',
      page_path: '/p/1',
      user_agent: 'Mozilla/5.0',
      received_at: '2026-11-22T14:30:00.000Z',
      shard_id: 'shardId-000000000001',
      sequence_number: sequenceNumber(1),
    });
    expect(store.puts).toBe(2);
    expect(metric('ArchivedEvents', { Service: 'archiver' })).toBe(30);
    expect(metric('ArchiveObjectsWritten')).toBe(2);
    expect(metric('ArchiveBytesWritten')).toBe([...store.objects.values()].reduce((sum, body) => sum + body.length, 0));
  });

  it('archives the same batch delivered twice once, and writes nothing the second time', async () => {
    const { store, invoke, metric } = setup();
    await invoke(eventRecords(1, 40));
    const putsAfterFirst = store.puts;

    const response = await invoke(eventRecords(1, 40));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(store.puts).toBe(putsAfterFirst);
    expectArchivedExactlyOnce(store, 1, 40);
    expect(metric('AlreadyArchivedRecords')).toBe(40);
  });

  it('archives a batch retried from a middle sequence number, with more records appended, once', async () => {
    const { store, invoke } = setup();
    // First delivery: the hour-13 object fails to write, so the batch reports its lowest record.
    store.failPut = (key) => key.includes('hour=13');
    const first = await invoke(eventRecords(1, 40));
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumber(3) }] });

    // Lambda re-polls from there and the retry holds more records than the failed batch.
    store.failPut = () => false;
    const retry = await invoke(eventRecords(3, 70));

    expect(retry).toEqual({ batchItemFailures: [] });
    expectArchivedExactlyOnce(store, 1, 70);
  });

  it('archives a batch that crashed after some objects and was then bisected, once', async () => {
    const { store, invoke } = setup();
    const records = eventRecords(1, 60);
    // The invocation died after writing the hour-14 object (a timeout, an out-of-memory kill).
    store.failPut = (key) => key.includes('hour=13');
    await invoke(records);
    store.failPut = () => false;

    await invoke(records.slice(0, 30));
    await invoke(records.slice(30));
    await invoke(records.slice(15, 45));

    expectArchivedExactlyOnce(store, 1, 60);
  });

  it('quarantines each bad input under its own reason, and counts it by reason', async () => {
    const { store, invoke, metric } = setup();
    const records = BAD_INPUTS.map((input, index) => kinesisRecord({ n: index + 1, data: input.data }));

    const response = await invoke([...records, ...eventRecords(100, 101)]);

    expect(response).toEqual({ batchItemFailures: [] });
    const quarantined = quarantinedLines(store.objects);
    for (const [index, input] of BAD_INPUTS.entries()) {
      const line = quarantined.find((candidate) => candidate.sequence_number === sequenceNumber(index + 1));
      expect({ case: input.name, reason: line?.reason, field: line?.field }).toEqual({ case: input.name, reason: input.reason, field: input.field });
      // The raw bytes as sent, less what privacy forbids storing (here: the query parameter of the page URL).
      expect(Buffer.from(line!.raw_base64, 'base64')).toEqual(Buffer.from(sanitizeRecordBytes(Buffer.from(input.data), DEFAULT_PRIVACY_POLICY)));
      expect(line).toMatchObject({ shard_id: 'shardId-000000000001', partition_key: 'session-1', received_at: '2026-11-22T14:30:00.000Z' });
    }
    expect([...store.objects.keys()].filter((key) => key.startsWith('quarantine/'))).toEqual([
      expect.stringMatching(/^quarantine\/year=2026\/month=11\/day=22\/hour=14\/shardId-000000000001_056\d{56}_056\d{56}\.jsonl\.gz$/),
    ]);
    expect(quarantined).toHaveLength(BAD_INPUTS.length);
    expect(archivedLines(store.objects)).toHaveLength(2);
    expect(metric('QuarantinedRecords', { Reason: 'forbidden_key', Service: 'archiver' })).toBe(2);
    expect(metric('QuarantinedRecords')).toBe(BAD_INPUTS.length);
  });

  it('quarantines a redelivered bad record once, and classifies it as the first delivery did', async () => {
    const { store, invoke } = setup();
    // Arrived at NOW with an event time 10 minutes ahead: future, however late the retry runs.
    const records = [kinesisRecord({ n: 1, data: JSON.stringify({ event_type: 'click', session_id: 's', timestamp: new Date(NOW + 600_000).toISOString() }) })];
    await invoke(records);
    const later = createHandler(
      dependenciesFromEnv({}, { store, logger: silent, emfWriter: () => undefined, now: () => NOW + 3_600_000 }),
    );

    await later(lambdaEvent(records), lambdaContext());

    expect(quarantinedLines(store.objects).map((line) => line.reason)).toEqual(['future_timestamp']);
    expect(archivedLines(store.objects)).toHaveLength(0);
  });

  it('reports the lowest unwritten record when several groups fail, and never fails on bad input alone', async () => {
    const { store, invoke, metric } = setup();
    store.failPut = () => true;

    const response = await invoke([kinesisRecord({ n: 1, data: 'nope' }), ...eventRecords(2, 10)]);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumber(1) }] });
    expect(metric('ArchiveWriteFailures')).toBe(3);
    expect(store.objects.size).toBe(0);
  });
});
