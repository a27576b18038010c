import middy from '@middy/core';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import {
  createDynamoDbClient,
  createLogger,
  decodeKinesisRecord,
  loadConfig,
  observability,
  stdoutEmfWriter,
  type Config,
  type EmfWriter,
  type Env,
  type Logger,
  type ObservedContext,
} from '@clickstream/shared';
import { processBatch, type ProcessorOptions } from './processor';
import { DynamoDbMetricsStore, type MetricsStore } from './store';

export const SERVICE = 'event-processor';

export interface Dependencies {
  config: Config;
  store: MetricsStore;
  logger: Logger;
  emfWriter: EmfWriter;
  now: () => number;
}

/** Builds the production dependencies from the environment (called once per cold start). */
export function dependenciesFromEnv(env: Env, overrides: Partial<Omit<Dependencies, 'config'>> = {}): Dependencies {
  const config = loadConfig({ ...env, SERVICE_NAME: SERVICE });
  return {
    config,
    store: overrides.store ?? new DynamoDbMetricsStore(createDynamoDbClient(config), config.tables),
    logger: overrides.logger ?? createLogger({ service: SERVICE, level: config.logLevel }),
    emfWriter: overrides.emfWriter ?? stdoutEmfWriter,
    now: overrides.now ?? Date.now,
  };
}

/**
 * The Lambda handler: decode, apply, report. Failures come back as the lowest sequence number to
 * redeliver (`ReportBatchItemFailures`); bad records never fail the batch.
 */
export function createHandler(deps: Dependencies) {
  const options: ProcessorOptions = {
    validation: {
      maxFutureSkewMs: deps.config.maxFutureSkewMs,
      maxEventAgeMs: deps.config.maxEventAgeMs,
      maxRecordBytes: deps.config.maxRecordBytes,
    },
    aggregateTtlDays: deps.config.aggregateTtlDays,
    sessionTtlDays: deps.config.sessionTtlDays,
    maxSeenEventsPerSession: deps.config.maxSeenEventsPerSession,
    now: deps.now,
  };
  return middy<KinesisStreamEvent, KinesisStreamBatchResponse, Error, ObservedContext>()
    .use(observability({ logger: deps.logger, namespace: deps.config.metricsNamespace, service: SERVICE, emfWriter: deps.emfWriter }))
    .handler(async (event, context) => {
      const records = event.Records.map(decodeKinesisRecord);
      if (records.length === 0) return { batchItemFailures: [] };
      const outcome = await processBatch(records, deps.store, options, { logger: context.logger, metrics: context.metrics });
      context.logger.info({ records: records.length, shardId: records[0]!.shardId, ...outcome }, 'batch applied');
      return {
        batchItemFailures: outcome.failedSequenceNumber === undefined ? [] : [{ itemIdentifier: outcome.failedSequenceNumber }],
      };
    });
}

let coldStartHandler: ReturnType<typeof createHandler> | undefined;

/** Lambda entry point; configuration is parsed on the first invocation of the sandbox. */
export const handler = (event: KinesisStreamEvent, context: ObservedContext) => {
  coldStartHandler ??= createHandler(dependenciesFromEnv(process.env));
  return coldStartHandler(event, context);
};
