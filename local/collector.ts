/**
 * The collector on the local stack: a node:http server on 127.0.0.1 that plays the part of a
 * Lambda function URL in front of the same handler that runs on AWS. Each request becomes the
 * payload-2.0 event a function URL sends, with a Lambda context; the handler's answer goes back
 * as it would. What a function URL does before the function runs is done here too: a body over
 * the limit is refused without reading it (413), slow clients are cut off (408 for headers or a
 * body that do not arrive in time), and only `Host: 127.0.0.1:<port>` or `localhost:<port>` is
 * answered (DNS rebinding). The sample shop is served at /demo/.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { COLLECTOR, ENV, functionEnvironment, MetricsLogger, type EmfWriter, type LogLevel, type Logger, type ResourceNames } from '@clickstream/shared';
import { createHandler, dependenciesFromEnv, SERVICE, type CollectorHandler } from '../services/collector/src/handler';
import { buildTracker } from '../tracker/build';
import { createContext } from './esm/lambda-event';
import { closeServer, HOST, listen, loopbackHosts } from './net';

export const DEFAULT_COLLECTOR_PORT = 4571;

/** The development settings of the local collector (any loopback origin, no write key, a generous rate limit). */
export const LOCAL_COLLECTOR_ENV: Readonly<Record<string, string>> = {
  [ENV.collectorAllowLoopbackOrigins]: 'true',
  [ENV.collectorRequireWriteKey]: 'false',
  [ENV.collectorRateLimitPerSecond]: '500',
  [ENV.collectorRateLimitBurst]: '2000',
};

export interface CollectorServerOptions {
  /** 0 picks a free port. */
  port: number;
  handler: CollectorHandler;
  functionName: string;
  region: string;
  emfWriter: EmfWriter;
  maxBodyBytes?: number;
  /** Headers must arrive within this (default 10 s). */
  headersTimeoutMs?: number;
  /** The whole request, body included, within this (default 30 s). */
  requestTimeoutMs?: number;
  /** How often slow connections are checked (default 1 s). */
  connectionsCheckingIntervalMs?: number;
}

export interface CollectorServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const SHOP_DIR = path.join(__dirname, 'shop');
const SHOP_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  'shop.js': { file: 'shop.js', type: 'text/javascript; charset=utf-8' },
  'shop.css': { file: 'shop.css', type: 'text/css; charset=utf-8' },
};

export async function startCollectorServer(options: CollectorServerOptions): Promise<CollectorServer> {
  const maxBodyBytes = options.maxBodyBytes ?? COLLECTOR.maxBodyBytes;
  const identity = { functionName: options.functionName, functionArn: `arn:aws:lambda:${options.region}:000000000000:function:${options.functionName}`, roleArn: '', region: options.region, memorySizeMb: COLLECTOR.memorySizeMb };
  const refused = (reason: string) => {
    const metrics = new MetricsLogger('Clickstream', { Service: SERVICE }, options.emfWriter);
    metrics.add('CollectorRejectedRequests', 1, 'Count', { Reason: reason });
    metrics.flush();
  };
  const sendError = (response: ServerResponse, status: number, error: string, message: string, close = false) => {
    refused(error);
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...(close ? { connection: 'close' } : {}) });
    response.end(JSON.stringify({ error, message }));
  };
  /** Sockets whose request headers arrived: a timeout there is a slow body, elsewhere slow headers. */
  const withHeaders = new WeakSet<Socket>();
  let allowedHosts: ReadonlySet<string> = new Set();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    withHeaders.add(request.socket);
    response.on('finish', () => withHeaders.delete(request.socket));
    if (!allowedHosts.has(String(request.headers.host ?? '').toLowerCase())) {
      return sendError(response, 403, 'host_not_allowed', `Host ${JSON.stringify(request.headers.host ?? '')} is not this collector: use 127.0.0.1 or localhost`);
    }
    const url = new URL(request.url ?? '/', `http://${HOST}`);
    if (url.pathname === '/demo' || url.pathname.startsWith('/demo/')) return serveShop(url.pathname, request, response);
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) {
      // Refused from the headers alone; the connection closes, so the rest is never read.
      return sendError(response, 413, 'body_too_large', `the body is ${declared} bytes, at most ${maxBodyBytes}`, true);
    }
    const body = await readBody(request, maxBodyBytes);
    if (body === undefined) return sendError(response, 413, 'body_too_large', `the body is more than ${maxBodyBytes} bytes`, true);
    const result = await options.handler(toFunctionUrlEvent(request, url, body), createContext(identity, COLLECTOR.timeoutSeconds * 1000));
    writeResult(response, result);
  };

  const server = createServer(
    { headersTimeout: options.headersTimeoutMs ?? 10_000, requestTimeout: options.requestTimeoutMs ?? 30_000, connectionsCheckingInterval: options.connectionsCheckingIntervalMs ?? 1_000 },
    (request, response) => {
      handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) sendError(response, 500, 'internal_error', (error as Error).message);
        else response.destroy();
      });
    },
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return;
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      const reason = withHeaders.has(socket) ? 'body_timeout' : 'header_timeout';
      refused(reason);
      const body = JSON.stringify({ error: reason, message: reason === 'body_timeout' ? 'the body did not arrive in time' : 'the request headers did not arrive in time' });
      socket.end(`HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
  });
  const port = await listen(server, options.port, 'use --collector-port or CLICKSTREAM_COLLECTOR_PORT');
  allowedHosts = loopbackHosts(port);
  return { url: `http://${HOST}:${port}`, port, close: () => closeServer(server) };
}

/** The body, or undefined as soon as it grows past `limit` (the rest is not read). */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        request.removeAllListeners('data');
        request.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** The event a Lambda function URL sends (payload format 2.0). https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html */
function toFunctionUrlEvent(request: IncomingMessage, url: URL, body: Buffer): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') cookies.push(...String(value).split(/;\s*/));
    else headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const sourceIp = request.socket.remoteAddress ?? HOST;
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${sourceIp}` : sourceIp;
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(cookies.length > 0 ? { cookies } : {}),
    ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: String(request.headers.host ?? HOST),
      domainPrefix: 'local',
      http: { method: request.method ?? 'GET', path: url.pathname, protocol: `HTTP/${request.httpVersion}`, sourceIp, userAgent: String(request.headers['user-agent'] ?? '') },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body.byteLength > 0 ? { body: body.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
  };
}

function writeResult(response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  const headers: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  response.writeHead(result.statusCode ?? 200, { ...headers, 'content-length': body.byteLength });
  response.end(body);
}

async function serveShop(pathname: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  if (pathname === '/demo') {
    response.writeHead(302, { location: '/demo/' }).end();
    return;
  }
  // Every page of the shop is the one single-page app; only its assets are other files.
  const asset = SHOP_FILES[pathname.slice('/demo/'.length)];
  const file = path.join(SHOP_DIR, asset?.file ?? 'index.html');
  const body = await readFile(file);
  response.writeHead(200, { 'content-type': asset?.type ?? 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'content-length': body.byteLength });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/** What the local stack needs to run the collector: its names, clients' endpoints and log sinks. */
export interface LocalCollectorOptions {
  port: number;
  project: string;
  environment: string;
  names: ResourceNames;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  kinesisEndpoint: string;
  logLevel: LogLevel;
  logger: Logger;
  emfWriter: EmfWriter;
  /** Settings over the local defaults (`COLLECTOR_*` variables), e.g. the rate limit off for a load test. */
  env?: Record<string, string>;
}

/** Builds the tracker, loads the collector's handler with its function environment and serves it. */
export async function startLocalCollector(options: LocalCollectorOptions): Promise<CollectorServer> {
  const tracker = await buildTracker();
  const env: Record<string, string> = {
    ...functionEnvironment({ service: SERVICE, project: options.project, environment: options.environment, names: options.names, logLevel: options.logLevel }),
    ...LOCAL_COLLECTOR_ENV,
    ...options.env,
    [ENV.region]: options.region,
    [ENV.accessKeyId]: options.credentials.accessKeyId,
    [ENV.secretAccessKey]: options.credentials.secretAccessKey,
    [ENV.endpointKinesis]: options.kinesisEndpoint,
  };
  const handler = createHandler(dependenciesFromEnv(env, { logger: options.logger, emfWriter: options.emfWriter, assets: { trackerScript: tracker.classic, trackerModule: tracker.module } }));
  return startCollectorServer({ port: options.port, handler, functionName: options.names.collectorFunction, region: options.region, emfWriter: options.emfWriter, maxBodyBytes: Number(env[ENV.collectorMaxBodyBytes] ?? COLLECTOR.maxBodyBytes) });
}
