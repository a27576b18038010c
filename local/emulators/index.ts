import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { closeServer, HOST, listen } from '../net';

/** A running emulator: where it listens and how to stop it. */
export interface Emulator {
  name: string;
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  /** 0 picks a free port. */
  port: number;
  /** Keep data on disk here (LevelDB); in memory when undefined. */
  dataDir?: string;
}

/** Called for every successful PutRecord/PutRecords with the records and bytes it wrote. */
export type PutObserver = (streamName: string, records: number, bytes: number) => void;

/**
 * Watches successful PutRecord/PutRecords calls beside kinesalite's own handler (both read the
 * same request), so the local stack can report Kinesis' IncomingRecords/IncomingBytes metrics.
 */
function observePuts(server: Server, observer: PutObserver): void {
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    if (!/\.PutRecords?$/.test(target) || !String(request.headers['content-type'] ?? '').includes('json')) return;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('finish', () => {
      if (response.statusCode !== 200) return;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { StreamName?: string; Data?: string; Records?: Array<{ Data?: string }> };
        const entries = target.endsWith('PutRecords') ? (body.Records ?? []) : [body];
        const bytes = entries.reduce((sum, entry) => sum + Math.floor(((entry.Data ?? '').length * 3) / 4), 0);
        observer(body.StreamName ?? 'unknown', entries.length, bytes);
      } catch (error) {
        // A body kinesalite accepted but this observer cannot read only costs a datapoint.
        process.emitWarning(`IncomingRecords observer skipped a request: ${(error as Error).message}`);
      }
    });
  });
}

/** kinesalite, in process: Kinesis on loopback, about 16–22k records/s written here. */
export async function startKinesis(options: EmulatorOptions & { onPut?: PutObserver }): Promise<Emulator> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const kinesalite = require('kinesalite') as (options: Record<string, unknown>) => Server;
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const server = kinesalite({
    createStreamMs: 20,
    deleteStreamMs: 20,
    updateStreamMs: 20,
    shardLimit: 100,
    ...(options.dataDir ? { path: options.dataDir } : {}),
  });
  if (options.onPut) observePuts(server, options.onPut);
  const port = await listen(server, options.port);
  return { name: 'kinesis', endpoint: `http://${HOST}:${port}`, port, stop: () => closeServer(server) };
}

/**
 * dynalite (DynamoDB; no transactions, no TTL expiry) in its own process: it is the busiest
 * emulator under load, and a process of its own gives it the machine's second core.
 */
export async function startDynamoDb(options: EmulatorOptions): Promise<Emulator> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const args = [String(options.port), ...(options.dataDir ? [options.dataDir] : [])];
  return startChildEmulator('dynamodb', path.join(__dirname, 'dynalite-server.js'), args, options.port);
}

/**
 * fauxqs 1.9 (SNS, SQS, S3) as a child process: it ships ES modules only. With `dataDir`, S3
 * objects are written through to disk and loaded at start (persistent-s3-store.mjs); SNS and
 * SQS stay in memory.
 */
export async function startFauxqs(options: EmulatorOptions): Promise<Emulator> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  return startChildEmulator('sns-sqs-s3', path.join(__dirname, 'fauxqs-server.mjs'), [String(options.port), ...(options.dataDir ? [options.dataDir] : [])], options.port);
}

/** Starts an emulator script that prints {"port":N} when it listens and exits when stdin closes. */
async function startChildEmulator(name: string, script: string, args: string[], requestedPort: number): Promise<Emulator> {
  const child: ChildProcess = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} emulator did not start within 15 s`)), 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const detail = stderr.join('').trim();
      reject(new Error(`${name} emulator exited with code ${code} before listening${/EADDRINUSE/.test(detail) ? `: port ${requestedPort} on ${HOST} is already in use` : `: ${detail.slice(-500)}`}`));
    });
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  child.removeAllListeners('exit');
  return {
    name,
    endpoint: `http://${HOST}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
