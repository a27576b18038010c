import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { createLogger, DEFAULT_PRIVACY_POLICY, httpHandler, sanitizeRecordBytes } from '@clickstream/shared';
import { startFauxqs, type Emulator } from '../../../../local/emulators';
import { createHandler, dependenciesFromEnv } from '../../src/handler';
import type { ArchiveLine, QuarantineLine } from '../../src/contract';
import { S3ArchiveStore } from '../../src/store';
import { archivedLines, BAD_INPUTS, countBySequence, eventRecords, kinesisRecord, lambdaContext, lambdaEvent, NOW, quarantinedLines, sequenceNumber, TEST_MAX_RECORD_BYTES } from '../support';
import { FlakyStore, readAllObjects, zcat } from '../s3-support';

/**
 * The archiver against real S3 semantics (fauxqs over loopback): keys, listing with StartAfter,
 * gzip bodies, overwrites. Each test uses its own bucket.
 */
let fauxqs: Emulator;
let s3: S3Client;
let bucketCount = 0;

beforeAll(async () => {
  fauxqs = await startFauxqs({ port: 0 });
  s3 = new S3Client({ region: 'us-east-1', endpoint: fauxqs.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, requestHandler: httpHandler() });
});

afterAll(async () => {
  s3?.destroy();
  await fauxqs?.stop();
});

async function setup() {
  const bucket = `archive-test-${++bucketCount}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const env = {
    ARCHIVE_BUCKET: bucket,
    AWS_ENDPOINT_URL_S3: fauxqs.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    MAX_RECORD_BYTES: String(TEST_MAX_RECORD_BYTES),
  };
  const real = dependenciesFromEnv(env, { logger: createLogger({ service: 'archiver', level: 'silent' }), emfWriter: () => undefined, now: () => NOW });
  expect(real.store).toBeInstanceOf(S3ArchiveStore);
  const store = new FlakyStore(real.store);
  const handler = createHandler({ ...real, store });
  const invoke = (records: ReturnType<typeof eventRecords>) => handler(lambdaEvent(records), lambdaContext());
  return { bucket, store, invoke, objects: () => readAllObjects(s3, bucket) };
}

function expectExactlyOnce(lines: ArchiveLine[], from: number, to: number) {
  const expected = new Map(Array.from({ length: to - from + 1 }, (_, index) => [sequenceNumber(from + index), 1]));
  expect(countBySequence(lines)).toEqual(expected);
}

describe('archiver on fauxqs S3', () => {
  it('leaves each event exactly once after the same batch twice, a retry from the middle with more records, and a bisected crash', async () => {
    const { store, invoke, objects } = await setup();

    // Same batch twice.
    await invoke(eventRecords(1, 50));
    await invoke(eventRecords(1, 50));
    // Next batch: the hour-13 object fails, the retry starts at that group's lowest record and holds more.
    store.failPut = (key) => key.includes('hour=13');
    const failed = await invoke(eventRecords(51, 100));
    expect(failed).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumber(51) }] });
    store.failPut = () => false;
    await invoke(eventRecords(51, 140));
    // A batch crashes after its hour-14 object, then Lambda bisects it.
    store.failPut = (key) => key.includes('hour=13');
    await invoke(eventRecords(141, 200));
    store.failPut = () => false;
    await invoke(eventRecords(141, 170));
    await invoke(eventRecords(171, 200));

    const written = await objects();
    expectExactlyOnce(archivedLines(written), 1, 200);
    for (const key of written.keys()) expect(key).toMatch(/^events\/year=2026\/month=11\/day=22\/hour=1[34]\/shardId-000000000001_056\d{56}_056\d{56}\.jsonl\.gz$/);
  });

  it('quarantines every bad-input case under its own reason, with the raw bytes (pseudonymized)', async () => {
    const { invoke, objects } = await setup();
    const records = BAD_INPUTS.map((input, index) => kinesisRecord({ n: index + 1, data: input.data }));

    await invoke([...records, ...eventRecords(50, 52)]);
    await invoke(records);

    const written = await objects();
    const quarantined = quarantinedLines(written);
    expect(quarantined.map((line) => [line.sequence_number, line.reason])).toEqual(
      expect.arrayContaining(BAD_INPUTS.map((input, index) => [sequenceNumber(index + 1), input.reason])),
    );
    expect(countBySequence(quarantined).size).toBe(BAD_INPUTS.length);
    expect([...countBySequence(quarantined).values()].every((count) => count === 1)).toBe(true);
    for (const [index, input] of BAD_INPUTS.entries()) {
      const line = quarantined.find((candidate) => candidate.sequence_number === sequenceNumber(index + 1))!;
      // The raw bytes as sent, less what privacy forbids storing (the page URL's query parameter).
      expect(Buffer.from(line.raw_base64, 'base64').equals(Buffer.from(sanitizeRecordBytes(Buffer.from(input.data), DEFAULT_PRIVACY_POLICY)))).toBe(true);
    }
    expect(archivedLines(written)).toHaveLength(3);
  });

  it('writes objects that zcat reads as JSON Lines', async () => {
    const { invoke, objects } = await setup();
    await invoke([kinesisRecord({ n: 1, data: 'not json' }), ...eventRecords(2, 9)]);

    const written = await objects();

    expect(written.size).toBe(3);
    for (const [key, body] of written) {
      const text = await zcat(body);
      expect(text.endsWith('\n')).toBe(true);
      const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line) as ArchiveLine | QuarantineLine);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line.schema_version).toBe(1);
      if (key.startsWith('quarantine/')) expect(lines).toEqual([expect.objectContaining({ reason: 'invalid_json', raw_base64: Buffer.from('not json').toString('base64') })]);
    }
  });
});
