import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  clientOptions,
  CONSUMERS,
  createDynamoDbClient,
  createKinesisClient,
  createLogger,
  createS3Client,
  createSnsClient,
  createSqsClient,
  DEFAULT_ENVIRONMENT,
  ENV,
  DEFAULT_PROJECT,
  MetricsLogger,
  resourceNames,
  sleep,
  STREAM_DEFAULTS,
  type ClientConfig,
  type LogLevel,
  type ResourceNames,
  type ServiceName,
} from '@clickstream/shared';
import { startLocalCollector, type CollectorServer } from './collector';
import { startDashboardServer, type DashboardServer } from './dashboard/server';
import { startDynamoDb, startFauxqs, startKinesis, type Emulator } from './emulators';
import { CompactorSchedule, DEFAULT_COMPACT_EVERY_MS } from './lake-schedule';
import { FileCheckpointStore, MemoryCheckpointStore, type CheckpointStore } from './esm/checkpoints';
import { EventSourceMapping, type MappingSettings } from './esm/event-source-mapping';
import { S3OnFailureDestination, type OnFailureDestination } from './esm/on-failure';
import { claimDataDirectory } from './data-dir';
import { assertNotRunning, markManifestStopped, writeManifest, type LocalManifest } from './manifest';
import { provision, type ProvisionClients, type ProvisionedResources } from './provision';
import { availableServices, loadServiceHandler, localFunctionEnvironment } from './services';
import { LocalTelemetry } from './telemetry';

export type { LocalManifest } from './manifest';

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
  /** Write `<stateDir>/local.json` for scripts and tests (marked stopped when the stack stops). */
  writeManifest?: boolean;
  /**
   * Shards of a new stream (default 2). A stream kept in `dataDir` keeps its shards: asking for
   * a different count is refused (reset the data directory to start over).
   */
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
  /** Run the collector (the HTTP front door) on this 127.0.0.1 port (0 picks a free one); none when undefined. */
  collectorPort?: number;
  /** Collector settings over the local defaults (`COLLECTOR_*` variables, e.g. `COLLECTOR_RATE_LIMIT_PER_SECOND: '0'`). */
  collectorEnv?: Record<string, string>;
  /**
   * Endpoints the services' handlers use instead of the emulators' own (fault-injection proxies
   * in tests and `npm run chaos`), given the emulators' endpoints once they listen; provisioning
   * and the mappings still talk to the emulators directly.
   */
  serviceEndpoints?: (emulators: LocalManifest['endpoints']) => Promise<Partial<LocalManifest['endpoints']>>;
  /** Milliseconds between scheduled compactor runs (default 5 minutes); 0 runs it only on demand. */
  compactEveryMs?: number;
  /** Privacy settings for every function (`CLIENT_ADDRESS_*`, `URL_QUERY_ALLOW_LIST`: README "Privacy"); `npm start` passes its own environment's. */
  privacyEnv?: Record<string, string>;
}

/** The privacy variables every function reads (shared/src/contract/config.ts), picked from an environment. */
export function privacyEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const names = [ENV.clientAddressMode, ENV.clientAddressHmacSecret, ENV.clientAddressHmacSecretParameter, ENV.clientAddressHmacSecretId, ENV.clientAddressHmacSecretCacheSeconds, ENV.urlQueryAllowList, ENV.collectorHonorGlobalPrivacyControl];
  return Object.fromEntries(names.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]!]])));
}

export interface LocalStack {
  manifest: LocalManifest;
  names: ResourceNames;
  resources: ProvisionedResources;
  mappings: Map<ServiceName, EventSourceMapping>;
  telemetry: LocalTelemetry;
  /** The compactor on its local schedule; `invoke` runs it now. */
  compactor: CompactorSchedule;
  /** Resolves once every mapping has read every shard to its end with nothing in flight. */
  waitForIdle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

type Endpoints = LocalManifest['endpoints'];

/** Everything started so far, so a failure halfway and `stop()` tear down the same things. */
class Running {
  readonly emulators: Emulator[] = [];
  readonly mappings = new Map<ServiceName, EventSourceMapping>();
  dashboard?: DashboardServer;
  compactor?: CompactorSchedule;
  collector?: CollectorServer;

  constructor(readonly telemetry: LocalTelemetry) {}

  async stop(): Promise<void> {
    await this.collector?.close();
    await this.dashboard?.close();
    await this.compactor?.stop();
    await Promise.all([...this.mappings.values()].map((mapping) => mapping.stop()));
    await Promise.all(this.emulators.map((emulator) => emulator.stop().catch(() => undefined)));
    await this.telemetry.close();
  }
}

/**
 * Starts the embedded stack as a list of steps: emulators, resources of the topology, one
 * Lambda-like event source mapping per service, the dashboard, the collector, and the manifest.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stateDir = path.resolve(options.stateDir ?? '.clickstream');
  const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir);
  const logDir = path.join(stateDir, 'logs');
  const project = options.project ?? DEFAULT_PROJECT;
  const environment = options.environment ?? DEFAULT_ENVIRONMENT;
  const names = resourceNames(project, environment);
  const shardCount = options.shardCount ?? STREAM_DEFAULTS.shardCount;
  const logLevel = options.logLevel ?? 'info';
  const manifestWanted = options.writeManifest ?? true;
  if (manifestWanted) assertNotRunning(stateDir);
  if (dataDir) claimDataDirectory(dataDir);
  const running = new Running(new LocalTelemetry(logDir));

  try {
    const endpoints = await startEmulators(running, { ...DEFAULT_PORTS, ...options.ports }, dataDir);
    const clientConfig: ClientConfig = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoints };
    const clients = localClients(clientConfig);
    const resources = await provision(clients, names, shardCount);
    if (!resources.streamCreated && options.shardCount !== undefined && resources.openShards !== options.shardCount) {
      throw new Error(
        `the stream kept in ${dataDir} has ${resources.openShards} open shards, not the ${options.shardCount} asked for: ` +
          `start without --shards to keep it, or start over with --fresh (npm start -- --fresh --data-dir ${dataDir} --shards ${options.shardCount}), which deletes its data`,
      );
    }
    const checkpoints: CheckpointStore = dataDir ? new FileCheckpointStore(path.join(dataDir, 'checkpoints.json')) : new MemoryCheckpointStore();
    const onFailure = new S3OnFailureDestination(clients.s3, names.onFailureBucket);
    const services = options.services ?? availableServices();
    const serviceEndpoints = { ...endpoints, ...(await options.serviceEndpoints?.(endpoints)) };
    for (const service of services) {
      running.mappings.set(service, await createMapping(service, { options, names, project, environment, logLevel, endpoints: serviceEndpoints, resources, clients, checkpoints, onFailure, telemetry: running.telemetry }));
    }
    await Promise.all([...running.mappings.values()].map((mapping) => mapping.start()));
    running.compactor = new CompactorSchedule({ names, project, environment, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoints: serviceEndpoints, telemetry: running.telemetry, logLevel, everyMs: options.compactEveryMs ?? DEFAULT_COMPACT_EVERY_MS });
    running.compactor.start();
    if (options.dashboardPort !== undefined) {
      running.dashboard = await startDashboardServer({ port: options.dashboardPort, telemetry: running.telemetry, names, dynamodb: createDynamoDbClient(clientConfig) });
    }
    if (options.collectorPort !== undefined) running.collector = await startCollector(options.collectorPort, { options, names, project, environment, logLevel, endpoints: serviceEndpoints, telemetry: running.telemetry });
    const manifest: LocalManifest = {
      region: LOCAL_REGION,
      credentials: { ...LOCAL_CREDENTIALS },
      endpoints,
      stream: { name: names.stream, arn: resources.streamArn, shards: resources.openShards },
      tables: names.tables,
      bucket: names.archiveBucket,
      alertsTopicArn: resources.alertsTopicArn,
      alertsQueueUrl: resources.alertsQueueUrl,
      onFailureBucket: names.onFailureBucket,
      functions: Object.fromEntries(services.map((service) => [service, names.functions[service]])),
      project,
      environment,
      dataDir: dataDir ?? null,
      logDir,
      dashboardUrl: running.dashboard?.url ?? null,
      collectorUrl: running.collector?.url ?? null,
      trackerUrl: running.collector === undefined ? null : `${running.collector.url}/tracker.js`,
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
    let stop = () => running.stop();
    if (manifestWanted) {
      writeManifest(stateDir, manifest);
      // Scripts must be able to tell the stack is gone: marked stopped on stop, and on any exit.
      const onExit = () => markManifestStopped(stateDir);
      process.once('exit', onExit);
      stop = async () => {
        process.removeListener('exit', onExit);
        await running.stop();
        markManifestStopped(stateDir);
      };
    }
    return {
      manifest,
      names,
      resources,
      mappings: running.mappings,
      telemetry: running.telemetry,
      compactor: running.compactor,
      waitForIdle: (timeoutMs = 30_000) => waitForIdle([...running.mappings.values()], timeoutMs),
      stop,
    };
  } catch (error) {
    await running.stop();
    throw error;
  }
}

/** Step 1: kinesalite in process, dynalite and fauxqs as child processes, all on 127.0.0.1. */
async function startEmulators(running: Running, ports: Record<keyof typeof DEFAULT_PORTS, number>, dataDir: string | undefined): Promise<Endpoints> {
  const kinesisSink = running.telemetry.sink('kinesis');
  const track = (emulator: Emulator) => {
    running.emulators.push(emulator);
    return emulator;
  };
  const [kinesis, dynamodb, aws] = await Promise.all([
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
    }).then(track),
    startDynamoDb({ port: ports.dynamodb, ...(dataDir ? { dataDir: path.join(dataDir, 'dynamodb') } : {}) }).then(track),
    startFauxqs({ port: ports.aws, ...(dataDir ? { dataDir: path.join(dataDir, 's3') } : {}) }).then(track),
  ]);
  return { kinesis: kinesis.endpoint, dynamodb: dynamodb.endpoint, s3: aws.endpoint, sns: aws.endpoint, sqs: aws.endpoint };
}

function localClients(config: ClientConfig): ProvisionClients {
  return {
    kinesis: createKinesisClient(config),
    // Table management needs the plain client (the document client only marshals items).
    dynamodb: new DynamoDBClient(clientOptions(config, 'dynamodb')),
    s3: createS3Client(config),
    sns: createSnsClient(config),
    sqs: createSqsClient(config),
  };
}

interface MappingContext {
  options: LocalStackOptions;
  /** What the services' handlers talk to. */
  names: ResourceNames;
  project: string;
  environment: string;
  logLevel: LogLevel;
  endpoints: Endpoints;
  resources: ProvisionedResources;
  clients: ProvisionClients;
  checkpoints: CheckpointStore;
  /** Lambda's S3 on-failure destination: the on-failure bucket of the topology. */
  onFailure: OnFailureDestination;
  telemetry: LocalTelemetry;
}

/** Step 3: a service's handler, loaded with the environment cdktf gives its Lambda, behind its mapping. */
async function createMapping(service: ServiceName, context: MappingContext): Promise<EventSourceMapping> {
  const { names, resources, clients, options, logLevel, endpoints } = context;
  const functionName = names.functions[service];
  const sink = context.telemetry.sink(service);
  const local = { project: context.project, environment: context.environment, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoints, alertsTopicArn: resources.alertsTopicArn };
  const env = { ...localFunctionEnvironment(service, local, logLevel), ...options.privacyEnv };
  const logger = createLogger({ service, level: logLevel, destination: sink });
  const invoke = await loadServiceHandler(service, env, { logger, emfWriter: sink.emfWriter });
  return new EventSourceMapping({
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
    checkpoints: context.checkpoints,
    onFailure: context.onFailure,
    logger: createLogger({ service: `${service}-esm`, level: logLevel, destination: sink }),
    emfWriter: sink.emfWriter,
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
    ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
  });
}

/** Step 5: the collector, with the environment cdktf gives its Lambda and the local development settings. */
async function startCollector(port: number, context: Pick<MappingContext, 'options' | 'names' | 'project' | 'environment' | 'logLevel' | 'endpoints' | 'telemetry'>): Promise<CollectorServer> {
  const sink = context.telemetry.sink('collector');
  return startLocalCollector({
    port,
    project: context.project,
    environment: context.environment,
    names: context.names,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    kinesisEndpoint: context.endpoints.kinesis,
    logLevel: context.logLevel,
    logger: createLogger({ service: 'collector', level: context.logLevel, destination: sink }),
    emfWriter: sink.emfWriter,
    env: { ...context.options.privacyEnv, ...context.options.collectorEnv },
  });
}

/** Resolves once every mapping has been idle three checks in a row, 100 ms apart. */
async function waitForIdle(mappings: EventSourceMapping[], timeoutMs: number): Promise<void> {
  // Every shard must be found empty by a read that started after this call: a record put just
  // before it cannot be on its way in a read that is still in flight.
  const since = Date.now();
  const deadline = since + timeoutMs;
  let idleChecks = 0;
  while (Date.now() < deadline) {
    idleChecks = mappings.every((mapping) => mapping.isIdle(since)) ? idleChecks + 1 : 0;
    if (idleChecks >= 3) return;
    await sleep(100);
  }
  const detail = mappings.map((mapping) => `${mapping.options.id}: ${JSON.stringify(mapping.shards())}`).join('; ');
  throw new Error(`pipeline did not drain within ${timeoutMs} ms (${detail})`);
}
