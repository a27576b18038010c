import {
  coldStartHandler,
  createDynamoDbClient,
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
export function createHandler(deps: Dependencies): StreamHandler {
  const options: ProcessorOptions = {
    validation: validationLimits(deps.config),
    aggregateTtlDays: deps.config.aggregateTtlDays,
    sessionTtlDays: deps.config.sessionTtlDays,
    maxSeenEventsPerSession: deps.config.maxSeenEventsPerSession,
    now: deps.now,
  };
  return streamHandler({
    service: SERVICE,
    config: deps.config,
    logger: deps.logger,
    emfWriter: deps.emfWriter,
    completedMessage: 'batch applied',
    processBatch: async (records, observe) => {
      const { failedSequenceNumber, ...summary } = await processBatch(records, deps.store, options, observe);
      return failedSequenceNumber === undefined ? { summary } : { failedSequenceNumber, summary };
    },
  });
}

/** Lambda entry point; configuration is parsed on the first invocation of the sandbox. */
export const handler = coldStartHandler(() => createHandler(dependenciesFromEnv(process.env)));
