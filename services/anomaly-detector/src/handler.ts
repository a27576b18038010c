import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import {
  clientOptions,
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
export function createHandler(deps: Dependencies) {
  const options: DetectorOptions = {
    settings: deps.settings,
    validation: {
      maxFutureSkewMs: deps.config.maxFutureSkewMs,
      maxEventAgeMs: deps.config.maxEventAgeMs,
      maxRecordBytes: deps.config.maxRecordBytes,
    },
    now: deps.now,
  };
  const detector = deps.publisher === undefined ? { store: deps.store } : { store: deps.store, publisher: deps.publisher };
  return middy<KinesisStreamEvent, KinesisStreamBatchResponse, Error, ObservedContext>()
    .use(observability({ logger: deps.logger, namespace: deps.config.metricsNamespace, service: SERVICE, emfWriter: deps.emfWriter }))
    .handler(async (event, context) => {
      if (!deps.settings.enabled || event.Records.length === 0) return { batchItemFailures: [] };
      const records = event.Records.map(decodeKinesisRecord);
      const outcome = await detectBatch(records, detector, options, { logger: context.logger, metrics: context.metrics });
      const { alerts, ...counts } = outcome;
      context.logger.info({ records: records.length, shardId: records[0]!.shardId, ...counts, alerts: alerts.length }, 'batch evaluated');
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
