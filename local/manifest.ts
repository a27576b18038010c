/**
 * `.clickstream/local.json`: what a running local stack tells scripts, tests and the load test
 * about itself (endpoints, credentials, every resource name), and the one place that reads it,
 * writes it and builds SDK clients from it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
}

export const MANIFEST_FILE = 'local.json';

/** The state directory: `--state-dir`, else `CLICKSTREAM_STATE_DIR`, else `.clickstream`. */
export function stateDirectory(flag?: string): string {
  return path.resolve(flag ?? process.env.CLICKSTREAM_STATE_DIR ?? '.clickstream');
}

/** Reads `<stateDir>/local.json`, written by `npm start`, with a clear error when it is absent. */
export function readManifest(stateDir = stateDirectory()): LocalManifest {
  const file = path.join(stateDir, MANIFEST_FILE);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LocalManifest;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${file} not found: start the local stack first with \`npm start\` (or use --target aws)`);
    }
    throw new Error(`${file} is unreadable: ${(error as Error).message}`);
  }
}

export function writeManifest(stateDir: string, manifest: LocalManifest): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(path.join(stateDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Client settings for the shared client factory (`createDynamoDbClient(manifestClientConfig(m))`, …). */
export function manifestClientConfig(manifest: Pick<LocalManifest, 'region' | 'credentials' | 'endpoints'>): ClientConfig {
  return { region: manifest.region, credentials: manifest.credentials, endpoints: manifest.endpoints };
}
