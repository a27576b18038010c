import { connect } from 'node:net';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient, createLogger, ENV, functionEnvironment, parseEmfLine, type EmfDatapoint } from '@clickstream/shared';
import { createHandler, dependenciesFromEnv } from '../../../services/collector/src/handler';
import { startCollectorServer, LOCAL_COLLECTOR_ENV, type CollectorServer } from '../../collector';
import { manifestClientConfig } from '../../manifest';
import { startTestStack } from '../../testing';

/**
 * The local collector over real HTTP, in front of the real handler and kinesalite: what reaches
 * the stream, and every request-level refusal the server makes before the handler runs (a body
 * over the limit refused from its headers, slow headers, a slow body, a foreign Host), after
 * which it keeps serving.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let server: CollectorServer;
const metrics: EmfDatapoint[] = [];
const MAX_BODY = 64 * 1024;

beforeAll(async () => {
  stack = await startTestStack({ services: [] });
  const env = {
    ...functionEnvironment({ service: 'collector', project: stack.manifest.project, environment: stack.manifest.environment, names: stack.names }),
    ...LOCAL_COLLECTOR_ENV,
    [ENV.collectorMaxBodyBytes]: String(MAX_BODY),
    [ENV.region]: stack.manifest.region,
    [ENV.accessKeyId]: stack.manifest.credentials.accessKeyId,
    [ENV.secretAccessKey]: stack.manifest.credentials.secretAccessKey,
    [ENV.endpointKinesis]: stack.manifest.endpoints.kinesis,
  };
  const emfWriter = (line: string) => metrics.push(...parseEmfLine(line));
  const handler = createHandler(dependenciesFromEnv(env, { logger: createLogger({ service: 'collector', level: 'silent' }), emfWriter, assets: {} }));
  server = await startCollectorServer({ port: 0, handler, functionName: stack.names.collectorFunction, region: stack.manifest.region, emfWriter, maxBodyBytes: MAX_BODY, headersTimeoutMs: 400, requestTimeoutMs: 800, connectionsCheckingIntervalMs: 100 });
}, 30_000);

afterAll(async () => {
  await server?.close();
  await stack?.stop();
});

/** Every record in the stream (all shards, from the start). */
async function streamRecords(): Promise<Array<{ partitionKey: string; data: Record<string, unknown> }>> {
  const kinesis = createKinesisClient(manifestClientConfig(stack.manifest));
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: stack.names.stream }));
  const records: Array<{ partitionKey: string; data: Record<string, unknown> }> = [];
  for (const shard of Shards) {
    const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: stack.names.stream, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }));
    const { Records = [] } = await kinesis.send(new GetRecordsCommand({ ShardIterator: ShardIterator! }));
    for (const record of Records) records.push({ partitionKey: record.PartitionKey!, data: JSON.parse(Buffer.from(record.Data!).toString('utf8')) as Record<string, unknown> });
  }
  return records;
}

/** Sends raw bytes on a fresh connection; resolves with everything the server answered before closing. */
function raw(chunks: Array<{ text: string; afterMs?: number }>, waitMs = 3000): Promise<{ answer: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    let answer = '';
    let closedByServer = false;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ answer, closedByServer });
    }, waitMs);
    socket.on('data', (data) => (answer += data.toString()));
    socket.on('end', () => (closedByServer = true));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ answer, closedByServer });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
    socket.on('connect', () => {
      for (const chunk of chunks) setTimeout(() => !socket.destroyed && socket.write(chunk.text), chunk.afterMs ?? 0);
    });
  });
}

const rejected = (reason: string) => metrics.filter((point) => point.name === 'CollectorRejectedRequests' && point.dimensions.Reason === reason).reduce((sum, point) => sum + point.value, 0);

it('writes every event of a request to the stream, partitioned by session_id, with the server-side fields', async () => {
  const now = new Date().toISOString();
  const response = await fetch(`${server.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'http://localhost:3000' },
    body: JSON.stringify({ events: [{ event_id: 'it-1', event_type: 'page_view', session_id: 'sess-it', timestamp: now, page_url: '/p/1' }, { event_id: 'it-2', event_type: 'click', session_id: 'sess-it', timestamp: now }] }),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
  expect(await response.json()).toMatchObject({ received: 2, accepted: 2 });
  const records = (await streamRecords()).filter((record) => record.partitionKey === 'sess-it');
  expect(records.map((record) => record.data.event_id).sort()).toEqual(['it-1', 'it-2']);
  expect(records[0]!.data).toMatchObject({ ip_address: '127.0.0.0', received_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/), user_agent: expect.any(String) });
});

it('refuses a body over the limit from its Content-Length, without reading it, and closes the connection', async () => {
  const { answer, closedByServer } = await raw([{ text: `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: ${10 * MAX_BODY}\r\n\r\n[{"event_type":` }]);
  expect(answer).toMatch(/^HTTP\/1\.1 413/);
  expect(answer).toContain('"error":"body_too_large"');
  expect(closedByServer).toBe(true);
  expect(rejected('body_too_large')).toBeGreaterThanOrEqual(1);
});

it('refuses a chunked body once it grows past the limit', async () => {
  const response = await fetch(`${server.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: new ReadableStream({
      start(controller) {
        for (let index = 0; index < 20; index++) controller.enqueue(new TextEncoder().encode(' '.repeat(8 * 1024)));
        controller.close();
      },
    }),
    duplex: 'half',
  } as RequestInit).catch((error: Error) => error);
  // Either the 413 arrives, or the server closed the connection on the rest of the upload.
  if (response instanceof Error) expect(response.message).toMatch(/fetch failed|other side closed|reset/i);
  else expect(response.status).toBe(413);
  expect(rejected('body_too_large')).toBeGreaterThanOrEqual(2);
});

it('answers 408 to headers that do not arrive in time', async () => {
  const { answer } = await raw([{ text: `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` }]);
  expect(answer).toMatch(/^HTTP\/1\.1 408/);
  expect(answer).toContain('"error":"header_timeout"');
  expect(rejected('header_timeout')).toBe(1);
});

it('answers 408 to a body that does not arrive in time', async () => {
  const { answer } = await raw([{ text: `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n[{"event_type":"click"` }]);
  expect(answer).toMatch(/^HTTP\/1\.1 408/);
  expect(answer).toContain('"error":"body_timeout"');
  expect(rejected('body_timeout')).toBe(1);
});

it('answers only Host 127.0.0.1:<port> and localhost:<port> (DNS rebinding)', async () => {
  const { answer } = await raw([{ text: `GET /health HTTP/1.1\r\nHost: attacker.example:${server.port}\r\nConnection: close\r\n\r\n` }], 1000);
  expect(answer).toMatch(/^HTTP\/1\.1 403/);
  expect(answer).toContain('host_not_allowed');
  const local = await fetch(`http://localhost:${server.port}/health`).catch(() => fetch(`${server.url}/health`));
  expect(local.status).toBe(200);
});

it('keeps serving after all of it', async () => {
  const response = await fetch(`${server.url}/health`);
  expect(await response.json()).toEqual({ status: 'ok' });
  const bad = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"not json' });
  expect(bad.status).toBe(400);
  expect(await bad.json()).toMatchObject({ error: 'invalid_json' });
});

it('serves the sample shop as one page app under /demo/', async () => {
  for (const route of ['/demo/', '/demo/products/sku-1001', '/demo/cart']) {
    const page = await fetch(`${server.url}${route}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/tracker.js"></script>');
  }
  expect((await fetch(`${server.url}/demo/shop.js`)).headers.get('content-type')).toContain('javascript');
});
