import {
  coldStartHandler,
  createDynamoDbClient,
  createSnsClient,
  serviceDependencies,
  streamHandler,
  type Env,
  type ServiceDependencies,
  type StreamHandler,
} from '@clickstream/shared';
import { loadDetectorSettings, type DetectorSettings } from './config';
import { detectBatch, type BatchOutcome, type DetectorOptions } from './processor';
import { SnsAlertPublisher, type AlertPublisher } from './publisher';
import { DynamoDbDetectorStore, type DetectorStore } from './store';

export const SERVICE = 'anomaly-detector';

export interface Dependencies extends ServiceDependencies {
  settings: DetectorSettings;
  store: DetectorStore;
  /** Undefined when SNS alerts are disabled (`ENABLE_SNS_ALERTS=false` or no `ALERTS_TOPIC_ARN`). */
  publisher?: AlertPublisher;
}

/** The outcome of a batch acknowledged without evaluation. */
interface NotEvaluated {
  evaluated: false;
  failedSequenceNumber?: undefined;
}

export type DependencyOverrides = Partial<Omit<Dependencies, 'config' | 'settings'>>;

/** Builds the production dependencies from the environment (called once per cold start). */
export function dependenciesFromEnv(env: Env, overrides: DependencyOverrides = {}): Dependencies {
  const base = serviceDependencies(SERVICE, env, overrides);
  const { config } = base;
  const settings = loadDetectorSettings(env, config);
  const deps: Dependencies = {
    ...base,
    settings,
    store:
      overrides.store ??
      new DynamoDbDetectorStore(createDynamoDbClient(config), config.tables.alerts, { stateTtlHours: settings.stateTtlHours, historyTtlDays: settings.historyTtlDays }),
  };
  const publisher =
    'publisher' in overrides
      ? overrides.publisher
      : settings.publishAlerts && config.alertsTopicArn !== undefined
        ? new SnsAlertPublisher(createSnsClient(config), config.alertsTopicArn)
        : undefined;
  if (publisher !== undefined) deps.publisher = publisher;
  return deps;
}

/**
 * The Lambda handler: the shared stream handler decides each record; this evaluates the rules on
 * the accepted ones and raises alerts. Failures come back as the lowest sequence number to redeliver.
 */
export function createHandler(deps: Dependencies): StreamHandler {
  const options: DetectorOptions = { settings: deps.settings, now: deps.now };
  const detector = deps.publisher === undefined ? { store: deps.store } : { store: deps.store, publisher: deps.publisher };
  return streamHandler<BatchOutcome | NotEvaluated>({
    ...deps,
    service: SERVICE,
    completedMessage: 'batch evaluated',
    // ENABLE_ANOMALY_DETECTION=false: acknowledge batches without evaluating them.
    processBatch: async (batch, observe) => (deps.settings.enabled ? detectBatch(batch, detector, options, observe) : { evaluated: false }),
    summarize: (outcome) => ('alerts' in outcome ? { ...outcome, alerts: outcome.alerts.length } : { ...outcome }),
  });
}

/** Lambda entry point; configuration is parsed on the first invocation of the sandbox. */
export const handler = coldStartHandler(() => createHandler(dependenciesFromEnv(process.env)));
