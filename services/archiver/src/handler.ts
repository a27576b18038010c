import middy from '@middy/core';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import {
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
import { archiveBatch, type ArchiverOptions } from './archiver';
import { createS3Client, S3ArchiveStore, type ArchiveStore } from './store';

export const SERVICE = 'archiver';

/** Groups (event hours, quarantine reasons) of one batch written in parallel. */
const WRITE_CONCURRENCY = 4;

export interface Dependencies {
  config: Config;
  store: ArchiveStore;
  logger: Logger;
  emfWriter: EmfWriter;
  now: () => number;
}

/** Builds the production dependencies from the environment (called once per cold start). */
export function dependenciesFromEnv(env: Env, overrides: Partial<Omit<Dependencies, 'config'>> = {}): Dependencies {
  const config = loadConfig({ ...env, SERVICE_NAME: SERVICE });
  return {
    config,
    store: overrides.store ?? new S3ArchiveStore(createS3Client(config), config.archiveBucket),
    logger: overrides.logger ?? createLogger({ service: SERVICE, level: config.logLevel }),
    emfWriter: overrides.emfWriter ?? stdoutEmfWriter,
    now: overrides.now ?? Date.now,
  };
}

/**
 * The Lambda handler: decode, archive, report. A failed S3 write comes back as the lowest
 * sequence number to redeliver (`ReportBatchItemFailures`); bad records never fail the batch,
 * they are quarantined.
 */
export function createHandler(deps: Dependencies) {
  const options: ArchiverOptions = {
    validation: {
      maxFutureSkewMs: deps.config.maxFutureSkewMs,
      maxEventAgeMs: deps.config.maxEventAgeMs,
      maxRecordBytes: deps.config.maxRecordBytes,
    },
    writeConcurrency: WRITE_CONCURRENCY,
    now: deps.now,
  };
  return middy<KinesisStreamEvent, KinesisStreamBatchResponse, Error, ObservedContext>()
    .use(observability({ logger: deps.logger, namespace: deps.config.metricsNamespace, service: SERVICE, emfWriter: deps.emfWriter }))
    .handler(async (event, context) => {
      const records = event.Records.map(decodeKinesisRecord);
      if (records.length === 0) return { batchItemFailures: [] };
      const outcome = await archiveBatch(records, deps.store, options, { logger: context.logger, metrics: context.metrics });
      const { keys: _keys, quarantined, ...summary } = outcome;
      context.logger.info(
        { records: records.length, shardId: records[0]!.shardId, ...summary, quarantined: Object.fromEntries(quarantined) },
        'batch archived',
      );
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
