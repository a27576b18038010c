import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  CONSUMERS,
  DEFAULT_ENVIRONMENT,
  DEFAULT_PROJECT,
  ENV,
  STREAM_DEFAULTS,
  createLogger,
  functionEnvironment,
  MetricsLogger,
  httpHandler,
  resourceNames,
  sleep,
  type LogLevel,
  type ResourceNames,
  type ServiceName,
} from '@clickstream/shared';
import { startDashboardServer, type DashboardServer } from './dashboard/server';
import { startDynamoDb, startFauxqs, startKinesis, type Emulator } from './emulators';
import { FileCheckpointStore, MemoryCheckpointStore, type CheckpointStore } from './esm/checkpoints';
import { EventSourceMapping, type MappingSettings } from './esm/event-source-mapping';
import { provision, type ProvisionedResources } from './provision';
import { availableServices, loadServiceHandler } from './services';
import { LocalTelemetry } from './telemetry';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** Default ports; each can be overridden, and 0 picks a free one (tests do). */
export const DEFAULT_PORTS = { kinesis: 4567, dynamodb: 4568, aws: 4569 } as const;

export interface LocalStackOptions {
  ports?: Partial<Record<keyof typeof DEFAULT_PORTS, number>>;
  /** Keep streams, tables and checkpoints on disk here; in memory when undefined. */
  dataDir?: string;
  /** Logs and local.json go here (default `.clickstream`). */
  stateDir?: string;
  /** Write `<stateDir>/local.json` for scripts and tests. */
  writeManifest?: boolean;
  shardCount?: number;
  project?: string;
  environment?: string;
  /** Services to run (default: every service that has a handler). */
  services?: ServiceName[];
  /** Per-service overrides of the topology's consumer settings. */
  settings?: Partial<Record<ServiceName, Partial<MappingSettings>>>;
  pollIntervalMs?: number;
  retryDelayMs?: number;
  logLevel?: LogLevel;
  /** Serve the local dashboard page on this 127.0.0.1 port (0 picks a free one); none when undefined. */
  dashboardPort?: number;
}

/** What `.clickstream/local.json` holds: everything a script needs to talk to the stack. */
export interface LocalManifest {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  endpoints: { kinesis: string; dynamodb: string; s3: string; sns: string; sqs: string };
  stream: { name: string; arn: string; shards: number };
  tables: ResourceNames['tables'];
  bucket: string;
  alertsTopicArn: string;
  alertsQueueUrl: string;
  onFailureQueueUrls: Record<ServiceName, string>;
  functions: Partial<Record<ServiceName, string>>;
  project: string;
  environment: string;
  dataDir: string | null;
  logDir: string;
  /** The local dashboard page, when the stack serves one. */
  dashboardUrl: string | null;
  pid: number;
  startedAt: string;
}

export interface LocalStack {
  manifest: LocalManifest;
  names: ResourceNames;
  resources: ProvisionedResources;
  mappings: Map<ServiceName, EventSourceMapping>;
  telemetry: LocalTelemetry;
  /** Resolves once every mapping has read every shard to its end with nothing in flight. */
  waitForIdle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stateDir = path.resolve(options.stateDir ?? '.clickstream');
  const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir);
  const logDir = path.join(stateDir, 'logs');
  const project = options.project ?? DEFAULT_PROJECT;
  const environment = options.environment ?? DEFAULT_ENVIRONMENT;
  const names = resourceNames(project, environment);
  const shardCount = options.shardCount ?? STREAM_DEFAULTS.shardCount;
  const logLevel = options.logLevel ?? 'info';
  const ports = { ...DEFAULT_PORTS, ...options.ports };
  const stackLogger = createLogger({ service: 'local-stack', level: logLevel, destination: { write: () => undefined } });

  const started: Emulator[] = [];
  const mappings = new Map<ServiceName, EventSourceMapping>();
  const telemetry = new LocalTelemetry(logDir);
  const kinesisSink = telemetry.sink('kinesis');
  let dashboard: DashboardServer | undefined;
  const stopAll = async () => {
    await dashboard?.close();
    await Promise.all([...mappings.values()].map((mapping) => mapping.stop()));
    await Promise.all(started.map((emulator) => emulator.stop().catch(() => undefined)));
    await telemetry.close();
  };

  try {
    const [kinesisEmulator, dynamoEmulator, awsEmulator] = await Promise.all([
      startKinesis({
        port: ports.kinesis,
        ...(dataDir ? { dataDir: path.join(dataDir, 'kinesis') } : {}),
        // Kinesis' own stream metrics (AWS/Kinesis IncomingRecords/IncomingBytes), as CloudWatch has them.
        onPut: (streamName, records, bytes) => {
          const metrics = new MetricsLogger('AWS/Kinesis', { StreamName: streamName }, kinesisSink.emfWriter);
          metrics.add('IncomingRecords', records);
          metrics.add('IncomingBytes', bytes, 'Bytes');
          metrics.flush();
        },
      }).then(track(started)),
      startDynamoDb({ port: ports.dynamodb, ...(dataDir ? { dataDir: path.join(dataDir, 'dynamodb') } : {}) }).then(track(started)),
      startFauxqs({ port: ports.aws }).then(track(started)),
    ]);
    const endpoints = {
      kinesis: kinesisEmulator.endpoint,
      dynamodb: dynamoEmulator.endpoint,
      s3: awsEmulator.endpoint,
      sns: awsEmulator.endpoint,
      sqs: awsEmulator.endpoint,
    };
    const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, requestHandler: httpHandler() };
    const clients = {
      kinesis: new KinesisClient({ ...common, endpoint: endpoints.kinesis }),
      dynamodb: new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb }),
      s3: new S3Client({ ...common, endpoint: endpoints.s3, forcePathStyle: true }),
      sns: new SNSClient({ ...common, endpoint: endpoints.sns }),
      sqs: new SQSClient({ ...common, endpoint: endpoints.sqs }),
    };
    const resources = await provision(clients, names, shardCount);

    const checkpoints: CheckpointStore = dataDir ? new FileCheckpointStore(path.join(dataDir, 'checkpoints.json')) : new MemoryCheckpointStore();
    const services = options.services ?? availableServices();
    for (const service of services) {
      const functionName = names.functions[service];
      const sink = telemetry.sink(functionName);
      const env = {
        ...functionEnvironment({ service, project, environment, names, alertsTopicArn: resources.alertsTopicArn, logLevel }),
        [ENV.region]: LOCAL_REGION,
        [ENV.accessKeyId]: LOCAL_CREDENTIALS.accessKeyId,
        [ENV.secretAccessKey]: LOCAL_CREDENTIALS.secretAccessKey,
        [ENV.endpointKinesis]: endpoints.kinesis,
        [ENV.endpointDynamoDb]: endpoints.dynamodb,
        [ENV.endpointS3]: endpoints.s3,
        [ENV.endpointSns]: endpoints.sns,
        [ENV.endpointSqs]: endpoints.sqs,
      };
      const logger = createLogger({ service, level: logLevel, destination: sink });
      const invoke = await loadServiceHandler(service, env, { logger, emfWriter: sink.emfWriter });
      const onFailureQueue = resources.onFailureQueues[service];
      const mapping = new EventSourceMapping({
        id: functionName,
        fn: {
          functionName,
          functionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`,
          roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${functionName}`,
          region: LOCAL_REGION,
          memorySizeMb: CONSUMERS[service].memorySizeMb,
        },
        streamName: names.stream,
        streamArn: resources.streamArn,
        settings: { ...CONSUMERS[service], ...options.settings?.[service] },
        kinesis: clients.kinesis,
        invoke,
        checkpoints,
        onFailure: {
          send: async (record) => {
            await clients.sqs.send(new SendMessageCommand({ QueueUrl: onFailureQueue.url, MessageBody: JSON.stringify(record) }));
          },
        },
        logger: createLogger({ service: `${service}-esm`, level: logLevel, destination: sink }),
        emfWriter: sink.emfWriter,
        ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
        ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
      });
      mappings.set(service, mapping);
    }
    await Promise.all([...mappings.values()].map((mapping) => mapping.start()));
    if (options.dashboardPort !== undefined) {
      dashboard = await startDashboardServer({ port: options.dashboardPort, telemetry, names, dynamodb: DynamoDBDocumentClient.from(clients.dynamodb) });
    }

    const manifest: LocalManifest = {
      region: LOCAL_REGION,
      credentials: { ...LOCAL_CREDENTIALS },
      endpoints,
      stream: { name: names.stream, arn: resources.streamArn, shards: shardCount },
      tables: names.tables,
      bucket: names.archiveBucket,
      alertsTopicArn: resources.alertsTopicArn,
      alertsQueueUrl: resources.alertsQueueUrl,
      onFailureQueueUrls: Object.fromEntries(Object.entries(resources.onFailureQueues).map(([service, queue]) => [service, queue.url])) as Record<ServiceName, string>,
      functions: Object.fromEntries(services.map((service) => [service, names.functions[service]])),
      project,
      environment,
      dataDir: dataDir ?? null,
      logDir,
      dashboardUrl: dashboard?.url ?? null,
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
    if (options.writeManifest ?? true) {
      mkdirSync(stateDir, { recursive: true });
      writeFileSync(path.join(stateDir, 'local.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    }
    stackLogger.info({ endpoints }, 'local stack ready');
    return {
      manifest,
      names,
      resources,
      mappings,
      telemetry,
      waitForIdle: (timeoutMs = 30_000) => waitForIdle([...mappings.values()], timeoutMs),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function track(started: Emulator[]) {
  return (emulator: Emulator) => {
    started.push(emulator);
    return emulator;
  };
}

async function waitForIdle(mappings: EventSourceMapping[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let idleChecks = 0;
  while (Date.now() < deadline) {
    // Idle twice in a row, a poll apart, so a record put just before the call is not missed.
    idleChecks = mappings.every((mapping) => mapping.isIdle()) ? idleChecks + 1 : 0;
    if (idleChecks >= 3) return;
    await sleep(100);
  }
  const detail = mappings.map((mapping) => `${mapping.options.id}: ${JSON.stringify(mapping.shards())}`).join('; ');
  throw new Error(`pipeline did not drain within ${timeoutMs} ms (${detail})`);
}
