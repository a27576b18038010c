/**
 * The local stand-in for the compactor's EventBridge schedule: the same handler cdktf deploys,
 * with the environment its Lambda gets, invoked every few minutes (and on demand), one run at a
 * time as Lambda's reserved concurrency of 1 keeps it on AWS.
 */
import type { Context } from 'aws-lambda';
import { createLogger, ENV, functionEnvironment, lakeNames, resourceNames, type Env, type Logger, type LogLevel, type ResourceNames } from '@clickstream/shared';
import { createHandler, dependenciesFromEnv, type CompactorEvent, type CompactorHandler, type CompactorResult } from '../services/compactor/src/handler';
import type { LocalManifest } from './manifest';
import type { LocalTelemetry } from './telemetry';

export const DEFAULT_COMPACT_EVERY_MS = 5 * 60_000;

export interface CompactorScheduleOptions {
  names: ResourceNames;
  project: string;
  environment: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  endpoints: { s3: string; dynamodb: string };
  telemetry: LocalTelemetry;
  logLevel: LogLevel;
  /** Milliseconds between scheduled runs; 0 runs only on demand. */
  everyMs: number;
}

/** The compactor's environment for a local stack (what cdktf gives its Lambda, plus endpoints). */
export function localCompactorEnv(options: Omit<CompactorScheduleOptions, 'telemetry' | 'everyMs' | 'logLevel'> & { logLevel?: LogLevel }): Env {
  return {
    ...functionEnvironment({ service: 'compactor', project: options.project, environment: options.environment, names: options.names, logLevel: options.logLevel ?? 'info' }),
    [ENV.region]: options.region,
    [ENV.accessKeyId]: options.credentials.accessKeyId,
    [ENV.secretAccessKey]: options.credentials.secretAccessKey,
    [ENV.endpointS3]: options.endpoints.s3,
    [ENV.endpointDynamoDb]: options.endpoints.dynamodb,
  };
}

/** The compactor's handler pointed at a running local stack (`npm run compact`, the load test's verification). */
export function manifestCompactor(manifest: LocalManifest, logger: Logger): CompactorHandler {
  const names = { ...resourceNames(manifest.project, manifest.environment), tables: manifest.tables, archiveBucket: manifest.bucket };
  const handler = createHandler(dependenciesFromEnv(localCompactorEnv({ ...manifest, names }), { logger, emfWriter: () => undefined }));
  return (event, context) => handler(event, context);
}

export class CompactorSchedule {
  private readonly handler: CompactorHandler;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<CompactorResult | undefined> = Promise.resolve(undefined);
  private invocations = 0;
  readonly functionName: string;

  constructor(private readonly options: CompactorScheduleOptions) {
    this.functionName = lakeNames(options.project, options.environment).compactorFunction;
    const sink = options.telemetry.sink('compactor');
    const logger = createLogger({ service: 'compactor', level: options.logLevel, destination: sink });
    this.handler = createHandler(dependenciesFromEnv(localCompactorEnv(options), { logger, emfWriter: sink.emfWriter }));
  }

  start(): void {
    if (this.options.everyMs <= 0) return;
    this.timer = setInterval(() => void this.invoke({}).catch(() => undefined), this.options.everyMs);
    this.timer.unref();
  }

  /** Runs the compactor once (after any run in progress), as the schedule or `npm run compact` would. */
  invoke(event: CompactorEvent): Promise<CompactorResult> {
    const next = this.running.catch(() => undefined).then(() => this.handler(event, { awsRequestId: `local-compactor-${++this.invocations}`, functionName: this.functionName } as Context));
    this.running = next;
    return next;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running.catch(() => undefined);
  }
}
