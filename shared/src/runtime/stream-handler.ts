import middy from '@middy/core';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { loadConfig, type Config, type Env } from '../contract/config';
import { privacySource, type PrivacySource } from './privacy-source';
import { decideBatch, validationLimits, type DecidedBatch } from './batch';
import { decodeKinesisRecord } from './kinesis';
import { createLogger, type Logger } from './logger';
import { stdoutEmfWriter, type EmfWriter, type MetricsLogger } from './metrics';
import { observability, type ObservedContext } from './middleware';

/** What a service's batch function returns: where to redeliver from, if anywhere, and its counts. */
export interface BatchOutcome {
  /** Lowest sequence number Lambda must redeliver from, or undefined when the batch is done. */
  failedSequenceNumber?: string;
}

export interface Observe {
  logger: Logger;
  metrics: MetricsLogger;
}

export interface StreamHandlerOptions<O extends BatchOutcome> {
  service: string;
  config: Config;
  logger: Logger;
  emfWriter: EmfWriter;
  /** The log line written after each batch. */
  completedMessage: string;
  /** The privacy policy applied when deciding records (default: from `config`, `privacySource`). */
  privacy?: PrivacySource;
  /**
   * Applies one shard batch whose records are already decided (accepted or rejected). Rejected
   * records must be handled (counted, quarantined), never thrown; only a transient failure may
   * come back as `failedSequenceNumber`.
   */
  processBatch(batch: DecidedBatch, observe: Observe): Promise<O>;
  /** Turns the outcome into the fields of the completion log line (default: the outcome as is). */
  summarize?(outcome: O): Record<string, unknown>;
}

export type StreamHandler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;

/**
 * The skeleton every consumer's Lambda handler shares: middy with request-scoped logging and EMF
 * metrics; Kinesis records decoded and each record's fate decided once (`decideBatch`, against
 * its arrival time); the service's batch applied; and a failure reported as the lowest sequence
 * number to redeliver (`ReportBatchItemFailures`:
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html).
 */
export function streamHandler<O extends BatchOutcome>(options: StreamHandlerOptions<O>): StreamHandler {
  const limits = validationLimits(options.config);
  const privacy = options.privacy ?? privacySource(options.config, { onRefreshError: (error) => options.logger.warn({ err: error }, 'could not re-read the address secret; the cached key stays in use') });
  const summarize = options.summarize ?? ((outcome: O) => ({ ...outcome }));
  const handler = middy<KinesisStreamEvent, KinesisStreamBatchResponse, Error, ObservedContext>()
    .use(observability({ logger: options.logger, namespace: options.config.metricsNamespace, service: options.service, emfWriter: options.emfWriter }))
    .handler(async (event, context) => {
      if (event.Records.length === 0) return { batchItemFailures: [] };
      const batch = decideBatch(event.Records.map(decodeKinesisRecord), limits, await privacy.policy());
      const { replayOf } = event as KinesisStreamEvent & { replayOf?: unknown };
      if (typeof replayOf === 'string') batch.replayOf = replayOf;
      const { logger, metrics } = context;
      for (const { record, rejection } of batch.rejected) {
        metrics.add('InvalidRecords', 1, 'Count', { Reason: rejection.reason });
        logger.debug({ reason: rejection.reason, field: rejection.field, sequenceNumber: record.sequenceNumber, shardId: batch.shardId }, `rejected record: ${rejection.message}`);
      }
      metrics.add('EventsAccepted', batch.accepted.length);
      metrics.add('EventsRejected', batch.rejected.length);
      if (batch.optedOut.length > 0) metrics.add('OptedOutRecords', batch.optedOut.length);
      const outcome = await options.processBatch(batch, { logger, metrics });
      const { failedSequenceNumber } = outcome;
      logger.info({ records: batch.records.length, shardId: batch.shardId, ...summarize(outcome), failedSequenceNumber, ...(batch.replayOf === undefined ? {} : { replayOf: batch.replayOf }) }, options.completedMessage);
      return { batchItemFailures: failedSequenceNumber === undefined ? [] : [{ itemIdentifier: failedSequenceNumber }] };
    });
  return (event, context) => handler(event, context as ObservedContext);
}

/** A Lambda entry point that builds its handler once, on the sandbox's first invocation. */
export function coldStartHandler(create: () => StreamHandler): StreamHandler {
  let built: StreamHandler | undefined;
  return (event, context) => {
    built ??= create();
    return built(event, context);
  };
}

/** What every service's handler is built from, besides its own stores. */
export interface ServiceDependencies {
  config: Config;
  logger: Logger;
  emfWriter: EmfWriter;
  now: () => number;
}

/**
 * Parses a service's configuration once (cold start) and builds the dependencies every service
 * has: its logger, its EMF writer and its clock, each replaceable by the local stack and tests.
 */
export function serviceDependencies(service: string, env: Env, overrides: Partial<Omit<ServiceDependencies, 'config'>> = {}): ServiceDependencies {
  const config = loadConfig({ ...env, SERVICE_NAME: service });
  return {
    config,
    logger: overrides.logger ?? createLogger({ service, level: config.logLevel }),
    emfWriter: overrides.emfWriter ?? stdoutEmfWriter,
    now: overrides.now ?? Date.now,
  };
}
