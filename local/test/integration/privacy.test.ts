import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbClient, createKinesisClient, createLogger, createS3Client, hourLabel, listArchiveObjects, putRecords, type ArchiveLine, type QuarantineLine } from '@clickstream/shared';
import { buildService } from '../../../scripts/build';
import { forgetLocally, localForgetEnv } from '../../forget';
import { hourQuality } from '../../lake-quality';
import { LakeSession, syncLake } from '../../lake';
import { manifestClientConfig } from '../../manifest';
import type { LocalStack } from '../../stack';
import { startTestStack } from '../../testing';

/**
 * Privacy end to end on the local stack, default settings: traffic with real client addresses,
 * query strings carrying personal data and opt-outs, through the collector and straight into the
 * stream. Nothing stored (tables, raw archive, quarantine, curated Parquet, function logs) holds a
 * full address or a dropped query parameter, and opted-out events are nowhere. Then `forget`
 * removes exactly one user's data, leaves everyone else's exactly once, and a second run changes
 * nothing.
 */
jest.setTimeout(120_000);

const NOW = Date.now();
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();
const CLIENT = '203.0.113.77';
const V4 = '198.51.100.23';
const V6 = '2001:db8:85a3:8d3:1319:8a2e:370:7348';
const SECRETS = ['alice%40example.com', 'secret-token-1', 'my+home+address', 'access_token'];
const FULL_ADDRESSES = [CLIENT, V4, V6, '2001:db8:85a3:8d3:1319'];
const OPTED_OUT = ['carol', 'dave', 'erin'];
const page = (path: string) => `https://shop.example.com${path}?utm_source=newsletter&email=alice%40example.com&token=secret-token-1#access_token=x`;

const event = (id: string, fields: Record<string, unknown>) => ({ event_id: id, event_type: 'page_view', timestamp: at(60), page_url: page('/p/1'), referrer: 'https://search.example/?q=my+home+address', ...fields });

const viaCollector = [
  event('c-alice-1', { session_id: 's-alice-1', page_url: page('/login') }),
  event('c-alice-2', { session_id: 's-alice-1', user_id: 'alice', country: 'US' }),
  event('c-alice-3', { session_id: 's-alice-1', user_id: 'alice', event_type: 'add_to_cart', product: { id: 'sku-1', price: 10 }, country: 'US' }),
  event('c-bob-1', { session_id: 's-bob-1', user_id: 'bob', ip_address: V6 }),
  event('c-bob-2', { session_id: 's-bob-1', user_id: 'bob', event_type: 'click' }),
  event('c-carol-1', { session_id: 's-carol-1', user_id: 'carol', opt_out: true }),
  event('c-alice-bad', { session_id: 's-alice-1', user_id: 'alice', timestamp: 'not a time' }),
];
const viaStream = [
  event('k-alice-1', { session_id: 's-alice-2', user_id: 'alice', ip_address: V4, event_type: 'checkout', country: 'DE', properties: { client: { ip: V4 }, landing: page('/landing') } }),
  event('k-bob-1', { session_id: 's-bob-2', user_id: 'bob', ip_address: V4, event_type: 'checkout' }),
  event('k-erin-1', { session_id: 's-erin-1', user_id: 'erin', ip_address: V4, opt_out: true }),
  event('k-alice-bad', { session_id: 's-alice-2', user_id: 'alice', ip_address: V4, product: { price: -1 } }),
];
const garbage = `not json, sent from ${V4} and ${V6}`;

let stack: LocalStack & { stateDir: string };
let dynamodb: DynamoDBDocumentClient;
let s3: S3Client;
const cacheDir = mkdtempSync(path.join(tmpdir(), 'clickstream-privacy-cache-'));

beforeAll(async () => {
  stack = await startTestStack({ collectorPort: 0, collectorEnv: { COLLECTOR_RATE_LIMIT_PER_SECOND: '0', COLLECTOR_TRUSTED_PROXY_HOPS: '2' }, logLevel: 'debug', compactEveryMs: 0, settings: { archiver: { maximumBatchingWindowInSeconds: 0 } } });
  dynamodb = createDynamoDbClient(manifestClientConfig(stack.manifest));
  s3 = createS3Client(manifestClientConfig(stack.manifest));
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${stack.manifest.collectorUrl}/v1/events`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'x-forwarded-for': CLIENT, ...headers } });
  const answer = await post(viaCollector);
  expect(answer.status).toBe(200);
  expect(await answer.json()).toMatchObject({ received: 7, accepted: 5, quarantined: 1, opted_out: 1 });
  const gpc = await post([event('c-dave-1', { session_id: 's-dave-1', user_id: 'dave' })], { 'sec-gpc': '1' });
  expect(await gpc.json()).toMatchObject({ received: 1, accepted: 0, opted_out: 1 });
  const kinesis = createKinesisClient(manifestClientConfig(stack.manifest));
  const records = [...viaStream.map((fields) => ({ partitionKey: String((fields as Record<string, unknown>).session_id), data: Buffer.from(JSON.stringify(fields)) })), { partitionKey: 's-x', data: Buffer.from(garbage) }];
  expect((await putRecords(kinesis, stack.manifest.stream.name, records)).failed).toBe(0);
  kinesis.destroy();
  await stack.waitForIdle();
  await stack.compactor.invoke({ hour: hourLabel(NOW - 60_000) });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(stack?.stateDir ?? '', { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
});

/** Every item of every table. */
async function tableItems(): Promise<Record<string, Array<Record<string, unknown>>>> {
  const tables: Record<string, Array<Record<string, unknown>>> = {};
  for (const [name, table] of Object.entries(stack.manifest.tables)) {
    const items: Array<Record<string, unknown>> = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await dynamodb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey, ConsistentRead: true }));
      items.push(...(page.Items ?? []).map((item) => ({ ...item, ...(item.seen_events === undefined ? {} : { seen_events: Buffer.from(item.seen_events as Uint8Array).toString('base64') }) })));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    tables[name] = items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return tables;
}

/** Every object of the bucket by key: gzip objects unzipped, quarantine lines with their raw bytes decoded beside them. */
async function bucketObjects(): Promise<Map<string, string>> {
  const objects = new Map<string, string>();
  for (const { key } of await listArchiveObjects({ s3, bucket: stack.manifest.bucket }, '')) {
    const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: stack.manifest.bucket, Key: key }))).Body!.transformToByteArray());
    let text = key.endsWith('.gz') ? gunzipSync(body).toString('utf8') : body.toString('latin1');
    if (key.startsWith('quarantine/')) text += text.split('\n').filter(Boolean).map((line) => Buffer.from((JSON.parse(line) as QuarantineLine).raw_base64, 'base64').toString('latin1')).join('\n');
    objects.set(key, text);
  }
  return objects;
}

/** The curated rows, read back from Parquet with DuckDB. */
async function curatedRows(): Promise<Array<Record<string, unknown>>> {
  const { files } = await syncLake({ s3, bucket: stack.manifest.bucket }, cacheDir);
  const session = await LakeSession.open(files);
  try {
    return await session.query('SELECT * FROM events ORDER BY event_id');
  } finally {
    session.close();
  }
}

const logs = () => readdirSync(path.join(stack.stateDir, 'logs')).map((file) => readFileSync(path.join(stack.stateDir, 'logs', file), 'utf8')).join('\n');
const linesOf = (objects: Map<string, string>, zone: string) => [...objects].filter(([key]) => key.startsWith(zone)).flatMap(([, text]) => text.split('\n').filter((line) => line.startsWith('{"schema_version"')));

it('stores no full client address and no dropped query parameter anywhere: tables, raw, quarantine, curated, logs', async () => {
  const stored = { tables: JSON.stringify(await tableItems()), bucket: JSON.stringify([...(await bucketObjects())]), curated: JSON.stringify(await curatedRows()), logs: logs() };
  // The logs searched are really there: the collector's access log and the consumers' debug lines.
  expect(stored.logs).toContain('"service":"collector"');
  expect(stored.logs).toContain('rejected record');
  for (const [where, text] of Object.entries(stored)) {
    for (const secret of [...FULL_ADDRESSES, ...SECRETS]) expect({ where, secret, found: text.includes(secret) }).toEqual({ where, secret, found: false });
  }
  const archived = linesOf(await bucketObjects(), 'events/').map((line) => JSON.parse(line) as ArchiveLine);
  const byId = new Map(archived.map((line) => [line.event_id, line]));
  expect(byId.get('c-alice-1')).toMatchObject({ ip_address: '203.0.113.0', page_url: 'https://shop.example.com/login?utm_source=newsletter', referrer: 'https://search.example/' });
  expect(byId.get('c-bob-1')).toMatchObject({ ip_address: '2001:db8:85a3::' });
  expect(byId.get('k-alice-1')).toMatchObject({ ip_address: '198.51.100.0', properties: { client: { ip: '198.51.100.0' }, landing: 'https://shop.example.com/landing?utm_source=newsletter' } });
});

it('collects nothing of events that opted out (the field, or Sec-GPC at the collector)', async () => {
  const everything = [JSON.stringify(await tableItems()), JSON.stringify([...(await bucketObjects())]), JSON.stringify(await curatedRows())].join('\n');
  for (const user of OPTED_OUT) expect({ user, found: everything.includes(user) }).toEqual({ user, found: false });
  const counters = (await tableItems()).counters!.filter((item) => item.metric_name === 'events#all');
  expect(counters.reduce((sum, item) => sum + Number(item.count), 0)).toBe(7);
});

it('forgets one user: their sessions, alerts, raw, quarantined and curated events go; everyone else stays exactly once; a second run changes nothing', async () => {
  const before = { tables: await tableItems(), objects: await bucketObjects(), curated: await curatedRows() };
  const aliceEvents = ['c-alice-1', 'c-alice-2', 'c-alice-3', 'k-alice-1'];
  expect(before.curated.map((row) => row.event_id)).toEqual(expect.arrayContaining(aliceEvents));
  expect(JSON.stringify(before.tables.alerts)).toContain('s-alice-2');
  const logger = createLogger({ service: 'forget', level: 'silent' });

  const report = await forgetLocally(stack.manifest, { user_id: 'alice' }, logger);

  expect(report).toMatchObject({ sessions: 2, raw: { events_removed: 4 }, quarantine: { records_removed: 2 }, curated_hours: [hourLabel(NOW - 60_000)], session_items_deleted: 2 });
  expect(report.alert_items_deleted).toBeGreaterThan(0);
  const after = { tables: await tableItems(), objects: await bucketObjects(), curated: await curatedRows() };
  const personal = (text: string) => /alice|s-alice-/.test(text);
  expect(JSON.stringify(after.tables.sessionMetrics).match(/s-alice-\d/g)).toBeNull();
  expect(personal(JSON.stringify(after.tables.alerts))).toBe(false);
  for (const [key, text] of after.objects) if (!key.startsWith('audit/')) expect({ key, personal: personal(text) }).toEqual({ key, personal: false });
  expect(after.curated.map((row) => row.event_id)).toEqual(before.curated.map((row) => row.event_id).filter((id) => !aliceEvents.includes(String(id))));
  // Everyone else's data is untouched: bob's rows, every archive line not about alice (byte for byte), the aggregates.
  expect(after.curated.filter((row) => row.user_id === 'bob')).toEqual(before.curated.filter((row) => row.user_id === 'bob'));
  expect(linesOf(after.objects, 'events/')).toEqual(linesOf(before.objects, 'events/').filter((line) => !personal(line)));
  expect(after.tables.pageMetrics).toEqual(before.tables.pageMetrics);
  expect(after.tables.counters).toEqual(before.tables.counters);
  expect(after.tables.sessionMetrics).toEqual(before.tables.sessionMetrics!.filter((item) => !String(item.session_id).startsWith('s-alice-')));
  // Rewritten objects keep their keys (their sequence ranges: the archiver's redelivery dedup still covers them).
  const archiveKeys = (objects: Map<string, string>) => [...objects.keys()].filter((key) => key.startsWith('events/') || key.startsWith('quarantine/'));
  expect(archiveKeys(after.objects)).toEqual(archiveKeys(before.objects));
  // The lake's count check still holds: curated rows + forgotten events = the counters' accepted events.
  const quality = await hourQuality({ s3, bucket: stack.manifest.bucket }, { client: dynamodb, tables: stack.manifest.tables }, Math.floor((NOW - 60_000) / 3_600_000) * 3_600_000);
  expect(quality).toMatchObject({ counts_agree: true, problems: [] });
  const audit = JSON.parse(after.objects.get(report.audit_key!)!) as Record<string, unknown>;
  expect(audit).toMatchObject({ request_id: report.request_id, raw: { events_removed: 4 } });
  expect(JSON.stringify(audit)).not.toContain('alice');

  const again = await forgetLocally(stack.manifest, { user_id: 'alice' }, logger);

  expect(again).toMatchObject({ sessions: 0, raw: { objects_rewritten: 0, events_removed: 0 }, quarantine: { records_removed: 0 }, curated_hours: [], session_items_deleted: 0, alert_items_deleted: 0 });
  const third = await bucketObjects();
  third.delete(again.audit_key!);
  expect({ tables: await tableItems(), objects: third }).toEqual({ tables: after.tables, objects: after.objects });
});

it('the bundle AWS runs (dist/forget/index.js, a child process with the function\'s environment) reports what npm run forget reports', async () => {
  const outRoot = mkdtempSync(path.join(tmpdir(), 'clickstream-forget-bundle-'));
  try {
    const bundle = await buildService('forget', outRoot);
    const request = { user_id: 'bob', dry_run: true };
    const run = `require(${JSON.stringify(bundle)}).handler(${JSON.stringify(request)}, { awsRequestId: 'bundle' }).then((report) => process.stdout.write('\\nREPORT ' + JSON.stringify(report) + '\\n'))`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', run], { env: { PATH: process.env.PATH, ...localForgetEnv(stack.manifest), LOG_LEVEL: 'silent' } });
    // Its stdout also carries the function's metrics (Embedded Metric Format lines), as on Lambda.
    const fromBundle = JSON.parse(stdout.split('\n').find((line) => line.startsWith('REPORT '))!.slice('REPORT '.length)) as Record<string, unknown>;
    const local = await forgetLocally(stack.manifest, request, createLogger({ service: 'forget', level: 'silent' }));
    const comparable = ({ request_id: _id, requested_at: _at, completed_at: _done, ...rest }: Record<string, unknown>) => rest;
    expect(comparable(fromBundle)).toEqual(comparable(local as unknown as Record<string, unknown>));
    expect(fromBundle).toMatchObject({ dry_run: true, sessions: 2, raw: { events_removed: 3 } });
  } finally {
    rmSync(outRoot, { recursive: true, force: true });
  }
});
