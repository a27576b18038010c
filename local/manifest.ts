/**
 * `.clickstream/local.json`: what a running local stack tells scripts, tests and the load test
 * about itself (endpoints, credentials, every resource name), and the one place that reads it,
 * writes it and builds SDK clients from it.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ClientConfig, ResourceNames, ServiceName } from '@clickstream/shared';

export interface LocalManifest {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  endpoints: { kinesis: string; dynamodb: string; s3: string; sns: string; sqs: string };
  stream: { name: string; arn: string; shards: number };
  tables: ResourceNames['tables'];
  bucket: string;
  alertsTopicArn: string;
  alertsQueueUrl: string;
  /** Lambda's S3 on-failure destination: discarded batches with their records (`npm run replay`). */
  onFailureBucket: string;
  functions: Partial<Record<ServiceName, string>>;
  project: string;
  environment: string;
  dataDir: string | null;
  logDir: string;
  /** The local dashboard page, when the stack serves one. */
  dashboardUrl: string | null;
  /** The collector's base URL (`POST <collectorUrl>/v1/events`), when the stack runs one. */
  collectorUrl: string | null;
  /** The browser tracker: `<collectorUrl>/tracker.js`. */
  trackerUrl: string | null;
  pid: number;
  startedAt: string;
  /** `stopped` once the stack has shut down (absent in files written before this field existed). */
  status?: 'running' | 'stopped';
  stoppedAt?: string;
}

export const MANIFEST_FILE = 'local.json';

/** The state directory: `--state-dir`, else `CLICKSTREAM_STATE_DIR`, else `.clickstream`. */
export function stateDirectory(flag?: string): string {
  return path.resolve(flag ?? process.env.CLICKSTREAM_STATE_DIR ?? '.clickstream');
}

/** Thrown by every command that needs the local stack when it is not running. */
export class StackNotRunningError extends Error {
  override readonly name = 'StackNotRunningError';
}

/** How to start the stack for a state directory: `npm start`, with `--state-dir` when not the default. */
export function startCommand(stateDir: string): string {
  if (stateDir === path.resolve('.clickstream')) return 'npm start';
  const relative = path.relative(process.cwd(), stateDir);
  return `npm start -- --state-dir ${relative !== '' && !relative.startsWith('..') ? relative : stateDir}`;
}

function notRunning(stateDir: string, why: string): StackNotRunningError {
  return new StackNotRunningError(`the local stack is not running — start it with \`${startCommand(stateDir)}\` (${why})`);
}

/** Whether a process with this id exists (signal 0 checks without signalling). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `<stateDir>/local.json` as written, or undefined when there is none. */
export function readManifestFile(stateDir = stateDirectory()): LocalManifest | undefined {
  const file = path.join(stateDir, MANIFEST_FILE);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LocalManifest;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${file} is unreadable: ${(error as Error).message}`);
  }
}

/** Whether a manifest describes a stack that is still up: not marked stopped, and its process alive. */
export function isRunning(manifest: LocalManifest): boolean {
  return manifest.status !== 'stopped' && processAlive(manifest.pid);
}

/**
 * Reads `<stateDir>/local.json` of a running stack, written by `npm start`; a missing file, a
 * stack marked stopped or a process that is gone throw a StackNotRunningError that says how to
 * start it.
 */
export function readManifest(stateDir = stateDirectory()): LocalManifest {
  const manifest = readManifestFile(stateDir);
  if (manifest === undefined) return failWith(notRunning(stateDir, `no ${path.join(stateDir, MANIFEST_FILE)}`));
  if (manifest.status === 'stopped') return failWith(notRunning(stateDir, `it stopped at ${manifest.stoppedAt ?? 'an unknown time'}`));
  if (!processAlive(manifest.pid)) return failWith(notRunning(stateDir, `its process ${manifest.pid} is gone`));
  return manifest;
}

function failWith(error: Error): never {
  throw error;
}

/** Refuses to start a second stack on a state directory whose stack still runs. */
export function assertNotRunning(stateDir: string): void {
  const manifest = readManifestFile(stateDir);
  if (manifest === undefined || !isRunning(manifest) || manifest.pid === process.pid) return;
  throw new Error(
    `the local stack is already running (pid ${manifest.pid}, since ${manifest.startedAt}, Kinesis at ${manifest.endpoints.kinesis}): ` +
      `stop it first (Ctrl-C in its terminal, or kill ${manifest.pid}), or start another one with --state-dir <dir> and other ports`,
  );
}

export function writeManifest(stateDir: string, manifest: LocalManifest): void {
  mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, MANIFEST_FILE);
  // Write and rename, so a reader never sees half a file.
  writeFileSync(`${file}.tmp`, `${JSON.stringify({ ...manifest, status: manifest.status ?? 'running' }, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/**
 * Marks `<stateDir>/local.json` stopped, if it is this process's. Synchronous, so it also runs
 * from a process `exit` handler.
 */
export function markManifestStopped(stateDir: string, pid = process.pid): void {
  const manifest = readManifestFile(stateDir);
  if (manifest === undefined || manifest.pid !== pid || manifest.status === 'stopped') return;
  writeManifest(stateDir, { ...manifest, status: 'stopped', stoppedAt: new Date().toISOString() });
}

/**
 * A refused connection to an endpoint of the manifest means the stack went away after the
 * manifest was read: the same "not running" error as a missing manifest.
 */
export function explainUnreachable(error: unknown, stateDir = stateDirectory()): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? ((error as { cause?: NodeJS.ErrnoException } | undefined)?.cause?.code);
  if (code === 'ECONNREFUSED') return notRunning(stateDir, `nothing answers at ${(error as { address?: string; port?: number }).address ?? '127.0.0.1'}:${(error as { port?: number }).port ?? '?'}`);
  return error;
}

/** Client settings for the shared client factory (`createDynamoDbClient(manifestClientConfig(m))`, …). */
export function manifestClientConfig(manifest: Pick<LocalManifest, 'region' | 'credentials' | 'endpoints'>): ClientConfig {
  return { region: manifest.region, credentials: manifest.credentials, endpoints: manifest.endpoints };
}
