import middy from '@middy/core';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { createDynamoDbClient, createLambdaClient, createS3Client, FORGET_SERVICE, observability, serviceDependencies, type Env, type ObservedContext, type ServiceDependencies } from '@clickstream/shared';
import { loadForgetSettings, type ForgetSettings } from './config';
import type { ForgetReport, ForgetRequest } from './contract';
import { forgetUser, type ForgetDependencies } from './processor';
import { DynamoDbTableStore, S3ObjectStore, type ObjectStore, type TableStore } from './store';

export const SERVICE = FORGET_SERVICE;

/** Raw objects read in parallel. */
const READ_CONCURRENCY = 8;

export interface Dependencies extends ServiceDependencies {
  settings: ForgetSettings;
  objects: ObjectStore;
  tables: TableStore;
  recompact: ForgetDependencies['recompact'];
}

/**
 * Builds the production dependencies from the environment (once per cold start): the bucket and
 * tables from the shared client factory, and re-compaction by invoking the compactor function
 * (synchronously; it has a reserved concurrency of 1, so a scheduled run in progress makes the
 * invocation wait through Lambda's throttling retries).
 */
export function dependenciesFromEnv(env: Env, overrides: Partial<Omit<Dependencies, 'config'>> = {}): Dependencies {
  const base = serviceDependencies(SERVICE, env, overrides);
  const settings = overrides.settings ?? loadForgetSettings(env);
  return {
    ...base,
    settings,
    objects: overrides.objects ?? new S3ObjectStore(createS3Client(base.config), base.config.archiveBucket, { versioned: settings.bucketVersioned }),
    tables: overrides.tables ?? new DynamoDbTableStore(createDynamoDbClient(base.config), base.config.tables),
    recompact: overrides.recompact ?? invokeCompactor(base.config, settings),
  };
}

function invokeCompactor(config: ServiceDependencies['config'], settings: ForgetSettings): ForgetDependencies['recompact'] {
  const lambda = createLambdaClient({ ...config, awsMaxAttempts: 10 });
  return async (hour) => {
    if (settings.compactorFunction === undefined) throw new Error('FORGET_COMPACTOR_FUNCTION is not set: no compactor to re-compact the hour with');
    const answer = await lambda.send(new InvokeCommand({ FunctionName: settings.compactorFunction, Payload: Buffer.from(JSON.stringify({ hour })) }));
    const text = answer.Payload === undefined ? '' : Buffer.from(answer.Payload).toString('utf8');
    if (answer.FunctionError !== undefined) throw new Error(`the compactor failed on ${hour}: ${text.slice(0, 500)}`);
    const result = JSON.parse(text) as { hours?: Array<{ generation?: string; rows?: number }> };
    return result.hours?.[0] ?? {};
  };
}

export type ForgetHandler = (event: ForgetRequest, context: Context) => Promise<ForgetReport>;

/** The Lambda entry (`aws lambda invoke --payload '{"user_id":"…"}'`): forgets one user and answers the report. */
export function createHandler(deps: Dependencies): ForgetHandler {
  const handler = middy<ForgetRequest, ForgetReport, Error, ObservedContext>()
    .use(observability({ logger: deps.logger, namespace: deps.config.metricsNamespace, service: SERVICE, emfWriter: deps.emfWriter }))
    .handler(async (event, context) =>
      forgetUser(
        event,
        context.awsRequestId,
        { objects: deps.objects, tables: deps.tables, recompact: deps.recompact, now: deps.now, historyDays: deps.settings.historyDays, readConcurrency: READ_CONCURRENCY },
        { logger: context.logger, metrics: context.metrics },
      ),
    );
  return (event, context) => handler(event, context as ObservedContext);
}

let built: ForgetHandler | undefined;

/** Lambda entry point; configuration is parsed on the first invocation of the sandbox. */
export const handler: ForgetHandler = (event, context) => {
  built ??= createHandler(dependenciesFromEnv(process.env));
  return built(event, context);
};
