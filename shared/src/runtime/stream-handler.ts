import middy from '@middy/core';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { Config } from '../contract/config';
import { decodeKinesisRecord, type StreamRecord } from './kinesis';
import type { Logger } from './logger';
import type { EmfWriter, MetricsLogger } from './metrics';
import { observability, type ObservedContext } from './middleware';
import type { ValidationOptions } from '../contract/validate';

/** What a service's batch function returns: where to redeliver from (if anywhere) and what to log. */
export interface StreamBatchResult {
  failedSequenceNumber?: string;
  summary: Record<string, unknown>;
}

export interface StreamHandlerOptions {
  service: string;
  config: Pick<Config, 'metricsNamespace'>;
  logger: Logger;
  emfWriter: EmfWriter;
  /** The log line written after each batch. */
  completedMessage: string;
  /** Applies one shard batch. Bad records must be counted and skipped, never thrown. */
  processBatch(records: StreamRecord[], observe: { logger: Logger; metrics: MetricsLogger }): Promise<StreamBatchResult>;
}

export type StreamHandler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;

/**
 * The shape every consumer's Lambda handler shares: middy with request-scoped logging and EMF
 * metrics, Kinesis records decoded, the service's batch applied, and a failure reported as the
 * lowest sequence number to redeliver (`ReportBatchItemFailures`:
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html).
 */
export function streamHandler(options: StreamHandlerOptions): StreamHandler {
  const handler = middy<KinesisStreamEvent, KinesisStreamBatchResponse, Error, ObservedContext>()
    .use(observability({ logger: options.logger, namespace: options.config.metricsNamespace, service: options.service, emfWriter: options.emfWriter }))
    .handler(async (event, context) => {
      const records = event.Records.map(decodeKinesisRecord);
      if (records.length === 0) return { batchItemFailures: [] };
      const { failedSequenceNumber, summary } = await options.processBatch(records, { logger: context.logger, metrics: context.metrics });
      context.logger.info(
        { records: records.length, shardId: records[0]!.shardId, ...summary, ...(failedSequenceNumber === undefined ? {} : { failedSequenceNumber }) },
        options.completedMessage,
      );
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

/** The validation limits a service reads from its config. */
export function validationLimits(config: Pick<Config, 'maxFutureSkewMs' | 'maxEventAgeMs' | 'maxRecordBytes'>): Omit<ValidationOptions, 'nowMs'> {
  return { maxFutureSkewMs: config.maxFutureSkewMs, maxEventAgeMs: config.maxEventAgeMs, maxRecordBytes: config.maxRecordBytes };
}
