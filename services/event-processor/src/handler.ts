import { coldStartHandler, createDynamoDbClient, serviceDependencies, streamHandler, type Env, type ServiceDependencies, type StreamHandler } from '@clickstream/shared';
import { processBatch, type ProcessorOptions } from './processor';
import { DynamoDbMetricsStore, type MetricsStore } from './store';

export const SERVICE = 'event-processor';

export interface Dependencies extends ServiceDependencies {
  store: MetricsStore;
}

/** Builds the production dependencies from the environment (called once per cold start). */
export function dependenciesFromEnv(env: Env, overrides: Partial<Omit<Dependencies, 'config'>> = {}): Dependencies {
  const base = serviceDependencies(SERVICE, env, overrides);
  return { ...base, store: overrides.store ?? new DynamoDbMetricsStore(createDynamoDbClient(base.config), base.config.tables) };
}

/**
 * The Lambda handler: the shared stream handler decides each record; this applies the accepted
 * ones to the tables. Failures come back as the lowest sequence number to redeliver.
 */
export function createHandler(deps: Dependencies): StreamHandler {
  const options: ProcessorOptions = {
    aggregateTtlDays: deps.config.aggregateTtlDays,
    sessionTtlDays: deps.config.sessionTtlDays,
    maxSeenEventsPerSession: deps.config.maxSeenEventsPerSession,
  };
  return streamHandler({
    ...deps,
    service: SERVICE,
    completedMessage: 'batch applied',
    processBatch: (batch, observe) => processBatch(batch, deps.store, options, observe),
  });
}

/** Lambda entry point; configuration is parsed on the first invocation of the sandbox. */
export const handler = coldStartHandler(() => createHandler(dependenciesFromEnv(process.env)));
