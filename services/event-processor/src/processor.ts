import { lowestSequenceNumber, type BatchOutcome as BaseOutcome, type DecidedBatch, type Observe } from '@clickstream/shared';
import { aggregateBefore, groupBySession, planSessions } from './plan';
import type { SessionOptions } from './sessions';
import type { MetricsStore } from './store';

export interface ProcessorOptions extends SessionOptions {
  aggregateTtlDays: number;
}

export interface BatchOutcome extends BaseOutcome {
  accepted: number;
  rejected: number;
  newEvents: number;
  redelivered: number;
  duplicates: number;
}

/**
 * Applies one shard batch (records already decided by the shared stream handler) to the three
 * tables with exactly-once effect:
 *  1. read the batch's sessions, apply new events (the session's seen-set drops redeliveries
 *     and producer resends), write them back;
 *  2. add page and counter increments with per-shard sequence fences.
 * Anything that fails after retries turns into the lowest sequence number to redeliver; every
 * record from there on is excluded from this attempt's aggregate writes, so nothing is lost and
 * the fences make the redelivery count each record once.
 */
export async function processBatch(batch: DecidedBatch, store: MetricsStore, options: ProcessorOptions, observe: Observe): Promise<BatchOutcome> {
  const { logger, metrics } = observe;
  const { shardId, accepted, rejected } = batch;

  const groups = groupBySession(accepted);
  const loaded = await store.loadSessions([...groups.keys()]);
  for (const error of loaded.errors) logger.error({ err: error }, 'reading sessions failed');
  const readable = new Map([...groups].filter(([sessionId]) => !loaded.failed.has(sessionId)));
  const plan = planSessions(readable, loaded.items, options);
  const saved = await store.saveSessions(plan.writes);
  for (const error of saved.errors) logger.error({ err: error }, 'writing sessions failed');

  const failedSessions = new Set([...loaded.failed, ...saved.failed]);
  const cut = lowestSequenceNumber([...failedSessions].flatMap((sessionId) => groups.get(sessionId)?.map(({ record }) => record.sequenceNumber) ?? []));
  const aggregates = aggregateBefore(plan.originals, cut, options.aggregateTtlDays);
  const [pages, counters] = await Promise.all([
    store.applyIncrements('pageMetrics', shardId, aggregates.pages),
    store.applyIncrements('counters', shardId, aggregates.counters),
  ]);
  for (const error of [...pages.errors, ...counters.errors]) logger.error({ err: error }, 'aggregate write failed');
  const failedAggregate = lowestSequenceNumber([...pages.failed, ...counters.failed].map((item) => item.contributions[0]!.sequenceNumber));
  const failedSequenceNumber = lowestSequenceNumber([cut, failedAggregate]);

  for (const [eventType, count] of plan.newByType) metrics.add('EventsProcessed', count, 'Count', { EventType: eventType });
  metrics.add('DuplicateEvents', plan.duplicates);
  metrics.add('RedeliveredEvents', plan.redelivered);
  metrics.add('FailedWrites', failedSessions.size + pages.failed.length + counters.failed.length);
  if (failedSequenceNumber !== undefined) {
    logger.warn({ failedSequenceNumber, failedSessions: failedSessions.size, failedPages: pages.failed.length, failedCounters: counters.failed.length }, 'partial batch failure: redelivery requested');
  }
  const outcome: BatchOutcome = {
    accepted: accepted.length,
    rejected: rejected.length,
    newEvents: plan.newEvents,
    redelivered: plan.redelivered,
    duplicates: plan.duplicates,
  };
  if (failedSequenceNumber !== undefined) outcome.failedSequenceNumber = failedSequenceNumber;
  return outcome;
}
