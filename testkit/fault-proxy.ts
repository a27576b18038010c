import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of one emulator (DynamoDB, or the S3/SNS/SQS
 * one): the services' SDK clients talk to it, and a test or `npm run chaos` switches what it does
 * to each request while the pipeline runs.
 *
 *   pass      forward every request (the default)
 *   down      an outage: every connection is reset before an answer
 *   throttle  a share of requests answered with the service's own throttling error (DynamoDB
 *             ProvisionedThroughputExceededException, S3 503 SlowDown) without reaching it
 *   late      a share of requests forwarded and applied, their answer then lost (the connection
 *             is reset): the client gives up on a write that happened, and retries it
 */
export type FaultMode = { kind: 'pass' } | { kind: 'down' } | { kind: 'throttle'; share: number } | { kind: 'late'; share: number };

export interface FaultCounts {
  forwarded: number;
  reset: number;
  throttled: number;
  lost: number;
}

export interface FaultProxy {
  endpoint: string;
  mode: FaultMode;
  readonly counts: FaultCounts;
  set(mode: FaultMode): void;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/** Starts a proxy to `target` (an `http://127.0.0.1:<port>` endpoint); `random` decides the shares. */
export async function startFaultProxy(target: string, options: { random?: () => number } = {}): Promise<FaultProxy> {
  const upstream = new URL(target);
  const random = options.random ?? Math.random;
  const sockets = new Set<Socket>();
  const counts: FaultCounts = { forwarded: 0, reset: 0, throttled: 0, lost: 0 };
  const proxy: FaultProxy = {
    endpoint: '',
    mode: { kind: 'pass' },
    counts,
    set(mode) {
      proxy.mode = mode;
      // An outage also breaks the connections clients keep alive.
      if (mode.kind === 'down') for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };

  const server: Server = createServer((request, response) => {
    const mode = proxy.mode;
    if (mode.kind === 'down') {
      counts.reset++;
      request.socket.destroy();
      return;
    }
    if (mode.kind === 'throttle' && random() < mode.share) {
      counts.throttled++;
      request.resume();
      return throttle(request, response);
    }
    const loseAnswer = mode.kind === 'late' && random() < mode.share;
    forward(request, response, upstream, loseAnswer, counts);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  proxy.endpoint = `http://${HOST}:${(server.address() as AddressInfo).port}`;
  return proxy;
}

function forward(request: IncomingMessage, response: ServerResponse, upstream: URL, loseAnswer: boolean, counts: FaultCounts): void {
  const outgoing = httpRequest(
    { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: { ...request.headers, host: upstream.host } },
    (answer) => {
      if (loseAnswer) {
        // Applied upstream; the answer never reaches the client.
        counts.lost++;
        answer.resume();
        answer.once('end', () => request.socket.destroy());
        return;
      }
      counts.forwarded++;
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  outgoing.on('error', () => request.socket.destroy());
  request.pipe(outgoing);
}

/** The throttling answer of the service behind the proxy, in its own protocol. */
function throttle(request: IncomingMessage, response: ServerResponse): void {
  const target = String(request.headers['x-amz-target'] ?? '');
  if (target.startsWith('DynamoDB_')) {
    const body = JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'Rate of requests exceeds the allowed throughput (fault proxy).' });
    response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body) }).end(body);
    return;
  }
  const body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate (fault proxy).</Message></Error>';
  response.writeHead(503, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(body);
}
