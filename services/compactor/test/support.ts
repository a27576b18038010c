/** Test helpers: the local stack with the archiver and event-processor, and the compactor pointed at it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { createDynamoDbClient, createKinesisClient, createLogger, createS3Client, functionEnvironment, parseEmfLine, putRecords, type EmfDatapoint, type Env } from '@clickstream/shared';
import { manifestClientConfig } from '../../../local/manifest';
import { LakeSession, syncLake } from '../../../local/lake';
import { startTestStack } from '../../../local/testing';
import type { LocalStack } from '../../../local/stack';
import type { CompactorSettings } from '../src/config';
import { createHandler, dependenciesFromEnv, type CompactorEvent, type CompactorResult } from '../src/handler';
import { AwsLakeStore } from '../src/store';

export type Stack = LocalStack & { stateDir: string };

export async function startPipeline(): Promise<Stack> {
  return startTestStack({ services: ['archiver', 'event-processor'], settings: { archiver: { maximumBatchingWindowInSeconds: 0 } } });
}

/** The environment cdktf gives the compactor's Lambda, pointed at the stack. */
export function compactorEnv(stack: LocalStack): Env {
  return {
    ...functionEnvironment({ service: 'compactor', project: stack.manifest.project, environment: stack.manifest.environment, names: stack.names }),
    AWS_REGION: stack.manifest.region,
    AWS_ACCESS_KEY_ID: stack.manifest.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: stack.manifest.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_S3: stack.manifest.endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: stack.manifest.endpoints.dynamodb,
  };
}

export function lakeStore(stack: LocalStack): AwsLakeStore {
  const config = manifestClientConfig(stack.manifest);
  return new AwsLakeStore(createS3Client(config), createDynamoDbClient(config), stack.manifest.bucket, stack.manifest.tables.counters);
}

export interface Compactor {
  invoke(event: CompactorEvent): Promise<CompactorResult>;
  metrics: EmfDatapoint[];
  clock: { now: number };
}

/** The compactor's real handler with a settable clock and captured metrics. */
export function compactor(stack: LocalStack, settings: Partial<CompactorSettings> = {}, store = lakeStore(stack)): Compactor {
  const clock = { now: Date.now() };
  const metrics: EmfDatapoint[] = [];
  const deps = dependenciesFromEnv(compactorEnv(stack), {
    logger: createLogger({ service: 'compactor', level: 'silent' }),
    emfWriter: (line) => metrics.push(...parseEmfLine(line)),
    now: () => clock.now,
    store,
  });
  const handler = createHandler({ ...deps, settings: { ...deps.settings, ...settings } });
  return { invoke: (event) => handler(event, { awsRequestId: 'test' } as Context), metrics, clock };
}

export async function send(stack: LocalStack, records: Array<{ partitionKey: string; data: string }>): Promise<void> {
  const kinesis = createKinesisClient(manifestClientConfig(stack.manifest));
  try {
    const result = await putRecords(kinesis, stack.manifest.stream.name, records);
    if (result.failed > 0) throw new Error(`${result.failed} records not put`);
  } finally {
    kinesis.destroy();
  }
}

/** A DuckDB session over the stack's lake, synced to a fresh cache directory that closing removes. */
export async function openLake(stack: LocalStack): Promise<LakeSession> {
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'lake-cache-'));
  const { files } = await syncLake({ s3: createS3Client(manifestClientConfig(stack.manifest)), bucket: stack.manifest.bucket }, cacheDir);
  const session = await LakeSession.open(files);
  const close = session.close.bind(session);
  session.close = () => {
    close();
    rmSync(cacheDir, { recursive: true, force: true });
  };
  return session;
}

/** Runs one query over the lake and closes the session. */
export async function lakeQuery(stack: LocalStack, sql: string): Promise<Array<Record<string, unknown>>> {
  const session = await openLake(stack);
  try {
    return await session.query(sql);
  } finally {
    session.close();
  }
}
