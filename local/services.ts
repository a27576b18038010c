import { ENV, functionEnvironment, resourceNames, type Env, type EmfWriter, type Logger, type LogLevel, type ServiceName } from '@clickstream/shared';
import type { LambdaInvoke } from './esm/event-source-mapping';


/**
 * How the local stack loads a service: the same `createHandler(dependenciesFromEnv(env))` that
 * runs on Lambda, with the log and metric destinations pointed at the local telemetry.
 */
export interface ServiceModule {
  createHandler(deps: never): unknown;
  dependenciesFromEnv(env: Env, overrides: { logger?: Logger; emfWriter?: EmfWriter }): unknown;
}

const loaders: Record<ServiceName, (() => Promise<ServiceModule>) | undefined> = {
  'event-processor': () => import('../services/event-processor/src/handler'),
  'anomaly-detector': () => import('../services/anomaly-detector/src/handler'),
  archiver: () => import('../services/archiver/src/handler'),
};

/** Services the local stack can run (each has a handler in services/<name>/src/handler.ts). */
export function availableServices(): ServiceName[] {
  return (Object.keys(loaders) as ServiceName[]).filter((service) => loaders[service] !== undefined);
}

export async function loadServiceHandler(service: ServiceName, env: Env, overrides: { logger: Logger; emfWriter: EmfWriter }): Promise<LambdaInvoke> {
  const loader = loaders[service];
  if (loader === undefined) throw new Error(`service ${service} has no handler yet`);
  const module = await loader();
  const create = module.createHandler as (deps: unknown) => LambdaInvoke;
  return create(module.dependenciesFromEnv(env, overrides));
}

/** What a service's environment needs from the local stack: its names, topic and emulator endpoints. */
export interface LocalFunctionContext {
  project: string;
  environment: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  endpoints: { kinesis: string; dynamodb: string; s3: string; sns: string; sqs: string };
  alertsTopicArn: string;
}

/** The environment a service's handler gets locally: the topology's, pointed at the emulators. */
export function localFunctionEnvironment(service: ServiceName, local: LocalFunctionContext, logLevel: LogLevel): Env {
  const names = resourceNames(local.project, local.environment);
  return {
    ...functionEnvironment({ service, project: local.project, environment: local.environment, names, alertsTopicArn: local.alertsTopicArn, logLevel }),
    [ENV.region]: local.region,
    [ENV.accessKeyId]: local.credentials.accessKeyId,
    [ENV.secretAccessKey]: local.credentials.secretAccessKey,
    [ENV.endpointKinesis]: local.endpoints.kinesis,
    [ENV.endpointDynamoDb]: local.endpoints.dynamodb,
    [ENV.endpointS3]: local.endpoints.s3,
    [ENV.endpointSns]: local.endpoints.sns,
    [ENV.endpointSqs]: local.endpoints.sqs,
  };
}
