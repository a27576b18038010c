/**
 * Where a load test sends its traffic: a local stack started in this process (the default), an
 * already running `npm start` (its .clickstream/local.json), or AWS (the default credential chain).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  createDynamoDbClient,
  createKinesisClient,
  createS3Client,
  createSqsClient,
  resourceNames,
  SERVICES,
  TABLES,
  type ClientConfig,
  type TableKey,
  type ResourceNames,
  type ServiceName,
} from '@clickstream/shared';
import { manifestClientConfig, readManifest, stateDirectory, type LocalManifest } from '../local/manifest';
import { startLocalStack, type LocalStack } from '../local/stack';
import { LOAD_TEST_HEADER, WireCounter } from './wire';

export const TARGETS = ['local', 'local-running', 'aws'] as const;
export type TargetKind = (typeof TARGETS)[number];

export interface Target {
  kind: TargetKind;
  description: string;
  streamName: string;
  shards?: number;
  kinesis: KinesisClient;
  dynamo: DynamoDBDocumentClient;
  s3: S3Client;
  sqs?: SQSClient;
  tables: ResourceNames['tables'];
  bucket: string;
  alertsQueueUrl?: string;
  /** Services consuming the stream; verification covers what they write. */
  services: Set<ServiceName>;
  /** The collector's base URL, when events go in through the front door (`--ingest collector`). */
  collectorUrl?: string;
  /** A write key for the collector (AWS requires one). */
  writeKey?: string;
  /** The local stack's manifest (`local`, `local-running`). */
  manifest?: LocalManifest;
  /** Only for the in-process stack. */
  stack?: LocalStack;
  wire?: WireCounter;
  stop(): Promise<void>;
}

export interface TargetOptions {
  kind: TargetKind;
  shards: number;
  stream?: string;
  bucket?: string;
  project?: string;
  environment?: string;
  /** cdktf outputs JSON (`cdktn output --outputs-file`, or `terraform output -json`). */
  outputsFile?: string;
  /** Start the in-process stack on the default ports instead of free ones. */
  defaultPorts?: boolean;
  /** Services the in-process stack runs (default: every registered one). */
  services?: ServiceName[];
  /** Send through the collector (HTTP) instead of PutRecords. */
  ingest?: 'kinesis' | 'collector';
  /** For --target aws with --ingest collector: the collector's URL (default: the cdktf output collector_url) and a write key. */
  collectorUrl?: string;
  writeKey?: string;
  /** `local-running`: the state directory of that `npm start` (default .clickstream). */
  stateDir?: string;
}

function markRequests<T extends { middlewareStack: { add: (...args: never[]) => void } }>(client: T): T {
  (client.middlewareStack.add as (middleware: unknown, options: unknown) => void)(
    (next: (args: { request: { headers: Record<string, string> } }) => unknown) => (args: { request: { headers: Record<string, string> } }) => {
      args.request.headers[LOAD_TEST_HEADER] = '1';
      return next(args);
    },
    { step: 'build', name: 'loadTestMarker' },
  );
  return client;
}

function readOutputs(file: string): Record<string, string> {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const flat: Record<string, string> = {};
  const visit = (value: unknown) => {
    if (value === null || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (typeof inner === 'string') flat[key] = inner;
      else if (inner !== null && typeof inner === 'object' && typeof (inner as { value?: unknown }).value === 'string') flat[key] = (inner as { value: string }).value;
      else visit(inner);
    }
  };
  visit(parsed);
  return flat;
}

export async function openTarget(options: TargetOptions): Promise<Target> {
  if (options.kind === 'aws') {
    const outputs = options.outputsFile ? readOutputs(options.outputsFile) : {};
    const names = resourceNames(options.project, options.environment);
    const common: ClientConfig = { maxSockets: 32, capacity: null };
    const kinesis = createKinesisClient(common);
    const dynamo = createDynamoDbClient(common);
    const streamName = options.stream ?? outputs.kinesis_stream_name ?? names.stream;
    const collectorUrl = options.ingest === 'collector' ? (options.collectorUrl ?? outputs.collector_url) : undefined;
    if (options.ingest === 'collector' && collectorUrl === undefined) throw new Error('--ingest collector on AWS needs --collector-url or an outputs file with collector_url');
    return {
      ...(collectorUrl === undefined ? {} : { collectorUrl }),
      ...(options.writeKey === undefined ? {} : { writeKey: options.writeKey }),
      kind: 'aws',
      description: `AWS stream ${streamName} (${await kinesis.config.region()})`,
      streamName,
      kinesis,
      dynamo,
      s3: createS3Client(common),
      tables: {
        ...names.tables,
        ...(outputs.dynamodb_counters_table_name ? { counters: outputs.dynamodb_counters_table_name } : {}),
        ...(outputs.dynamodb_session_metrics_table_name ? { sessionMetrics: outputs.dynamodb_session_metrics_table_name } : {}),
      },
      bucket: options.bucket ?? outputs.s3_bucket_name ?? names.archiveBucket,
      services: new Set(SERVICES),
      stop: async () => undefined,
    };
  }

  let stack: LocalStack | undefined;
  let wire: WireCounter | undefined;
  const manifest =
    options.kind === 'local-running'
      ? readManifest(stateDirectory(options.stateDir))
      : (stack = await startLocalStack({
          ports: options.defaultPorts ? {} : { kinesis: 0, dynamodb: 0, aws: 0 },
          stateDir: mkdtempSync(path.join(tmpdir(), 'clickstream-load-')),
          writeManifest: false,
          shardCount: options.shards,
          logLevel: 'warn',
          ...(options.services ? { services: options.services } : {}),
          // The load test is one client sending thousands of requests: no per-client limit.
          ...(options.ingest === 'collector' ? { collectorPort: 0, collectorEnv: { COLLECTOR_RATE_LIMIT_PER_SECOND: '0' } } : {}),
        })).manifest;
  if (options.ingest === 'collector' && !manifest.collectorUrl) throw new Error('--ingest collector: the running stack has no collector (start it with npm start)');
  if (stack !== undefined) {
    const port = (endpoint: string) => Number(new URL(endpoint).port);
    const indexesByTable = Object.fromEntries((Object.keys(TABLES) as TableKey[]).map((key) => [manifest.tables[key], TABLES[key].globalSecondaryIndexes.length]));
    wire = new WireCounter({ kinesis: port(manifest.endpoints.kinesis), dynamodb: port(manifest.endpoints.dynamodb), aws: port(manifest.endpoints.s3) }, { indexesByTable });
    wire.start();
  }
  // Clients of their own (own sockets), marked so the wire counter leaves the load test's requests out.
  const common: ClientConfig = { ...manifestClientConfig(manifest), maxSockets: 32, capacity: null };
  return {
    kind: options.kind,
    description: stack ? `local stack in this process (${manifest.stream.shards} shards, ${[...stack.mappings.keys()].join(', ')})` : `running local stack (pid ${manifest.pid}, ${manifest.endpoints.kinesis})`,
    streamName: manifest.stream.name,
    shards: manifest.stream.shards,
    kinesis: markRequests(createKinesisClient(common)),
    dynamo: markRequests(createDynamoDbClient(common)),
    s3: markRequests(createS3Client(common)),
    sqs: markRequests(createSqsClient(common)),
    tables: manifest.tables,
    bucket: manifest.bucket,
    alertsQueueUrl: manifest.alertsQueueUrl,
    services: new Set(stack ? stack.mappings.keys() : (Object.keys(manifest.functions) as ServiceName[])),
    ...(options.ingest === 'collector' && manifest.collectorUrl ? { collectorUrl: manifest.collectorUrl } : {}),
    manifest,
    ...(stack ? { stack } : {}),
    ...(wire ? { wire } : {}),
    stop: async () => {
      wire?.stop();
      await stack?.stop();
    },
  };
}
