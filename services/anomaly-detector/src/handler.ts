import { SNSClient } from '@aws-sdk/client-sns';
import {
  clientOptions,
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
import { loadDetectorSettings, type DetectorSettings } from './config';
import { detectBatch, type DetectorOptions } from './processor';
import { SnsAlertPublisher, type AlertPublisher } from './publisher';
import { DynamoDbDetectorStore, type DetectorStore } from './store';

export const SERVICE = 'anomaly-detector';

export interface Dependencies {
  config: Config;
  settings: DetectorSettings;
  store: DetectorStore;
  /** Undefined when SNS alerts are disabled (`ENABLE_SNS_ALERTS=false` or no `ALERTS_TOPIC_ARN`). */
  publisher?: AlertPublisher;
  logger: Logger;
  emfWriter: EmfWriter;
  now: () => number;
}

export type DependencyOverrides = Partial<Omit<Dependencies, 'config' | 'settings'>>;

/** Builds the production dependencies from the environment (called once per cold start). */
export function dependenciesFromEnv(env: Env, overrides: DependencyOverrides = {}): Dependencies {
  const config = loadConfig({ ...env, SERVICE_NAME: SERVICE });
  const settings = loadDetectorSettings(env, config);
  const deps: Dependencies = {
    config,
    settings,
    store:
      overrides.store ??
      new DynamoDbDetectorStore(createDynamoDbClient(config), config.tables.alerts, { stateTtlHours: settings.stateTtlHours, historyTtlDays: settings.historyTtlDays }),
    logger: overrides.logger ?? createLogger({ service: SERVICE, level: config.logLevel }),
    emfWriter: overrides.emfWriter ?? stdoutEmfWriter,
    now: overrides.now ?? Date.now,
  };
  const publisher =
    'publisher' in overrides
      ? overrides.publisher
      : settings.publishAlerts && config.alertsTopicArn !== undefined
        ? new SnsAlertPublisher(new SNSClient(clientOptions(config, 'sns')), config.alertsTopicArn)
        : undefined;
  if (publisher !== undefined) deps.publisher = publisher;
  return deps;
}

/**
 * The Lambda handler: decode, evaluate the rules, raise alerts, report. Failures come back as the
 * lowest sequence number to redeliver (`ReportBatchItemFailures`); bad records never fail the batch.
 */
export function createHandler(deps: Dependencies): StreamHandler {
  const options: DetectorOptions = {
    settings: deps.settings,
    validation: validationLimits(deps.config),
    now: deps.now,
  };
  const detector = deps.publisher === undefined ? { store: deps.store } : { store: deps.store, publisher: deps.publisher };
  return streamHandler({
    service: SERVICE,
    config: deps.config,
    logger: deps.logger,
    emfWriter: deps.emfWriter,
    completedMessage: 'batch evaluated',
    processBatch: async (records, observe) => {
      // ENABLE_ANOMALY_DETECTION=false: acknowledge batches without evaluating them.
      if (!deps.settings.enabled) return { summary: { evaluated: false } };
      const { alerts, failedSequenceNumber, ...counts } = await detectBatch(records, detector, options, observe);
      const summary = { ...counts, alerts: alerts.length };
      return failedSequenceNumber === undefined ? { summary } : { failedSequenceNumber, summary };
    },
  });
}

/** Lambda entry point; configuration is parsed on the first invocation of the sandbox. */
export const handler = coldStartHandler(() => createHandler(dependenciesFromEnv(process.env)));
