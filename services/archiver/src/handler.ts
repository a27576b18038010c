import {
  coldStartHandler,
  createLogger,
  loadConfig,
  stdoutEmfWriter,
  streamHandler,
  validationLimits,
  type Config,
  type EmfWriter,
  type Env,
  type Logger,
  type StreamHandler,
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
export function createHandler(deps: Dependencies): StreamHandler {
  const options: ArchiverOptions = {
    validation: validationLimits(deps.config),
    writeConcurrency: WRITE_CONCURRENCY,
    now: deps.now,
  };
  return streamHandler({
    service: SERVICE,
    config: deps.config,
    logger: deps.logger,
    emfWriter: deps.emfWriter,
    completedMessage: 'batch archived',
    processBatch: async (records, observe) => {
      const { keys: _keys, quarantined, failedSequenceNumber, ...counts } = await archiveBatch(records, deps.store, options, observe);
      const summary = { ...counts, quarantined: Object.fromEntries(quarantined) };
      return failedSequenceNumber === undefined ? { summary } : { failedSequenceNumber, summary };
    },
  });
}

/** Lambda entry point; configuration is parsed on the first invocation of the sandbox. */
export const handler = coldStartHandler(() => createHandler(dependenciesFromEnv(process.env)));
