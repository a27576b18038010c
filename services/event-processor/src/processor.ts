import { lowestSequenceNumber, type AcceptedRecord, type BatchOutcome as BaseOutcome, type DecidedBatch, type Observe } from '@clickstream/shared';
import { aggregateBefore, groupBySession, mergePlans, planSessions, type SessionPlan } from './plan';
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
 *     and producer resends), write them back conditionally on the version read; a session
 *     another writer moved on meanwhile is read and applied again (`applySessions`);
 *  2. add page and counter increments with per-shard sequence fences.
 * Anything that fails after retries turns into the lowest sequence number to redeliver; every
 * record from there on is excluded from this attempt's aggregate writes, so nothing is lost and
 * the fences make the redelivery count each record once.
 */
export async function processBatch(batch: DecidedBatch, store: MetricsStore, options: ProcessorOptions, observe: Observe): Promise<BatchOutcome> {
  const { logger, metrics } = observe;
  const { shardId, accepted, rejected } = batch;

  const groups = groupBySession(accepted);
  const { plan, failed: failedSessions, unwritable } = await applySessions(groups, store, options, observe);

  const cut = lowestSequenceNumber([...failedSessions].flatMap((sessionId) => groups.get(sessionId)?.map(({ record }) => record.sequenceNumber) ?? []));
  const [pages, counters, rollups] = await applyAggregates(batch, plan, cut, store, options);
  for (const error of [...pages.errors, ...counters.errors, ...rollups.errors]) logger.error({ err: error }, 'aggregate write failed');
  const unwritableItems = unwritable.size + pages.unwritable.length + counters.unwritable.length + rollups.unwritable.length;
  if (unwritableItems > 0) {
    // Validation bounds every value and key, so this is a defect to look at, not a batch to block.
    logger.error({ sessions: [...unwritable], pages: pages.unwritable.map((item) => item.key), counters: counters.unwritable.map((item) => item.key), rollups: rollups.unwritable.map((rollup) => rollup.windowStart) }, 'items the store cannot hold were skipped');
  }
  const failedAggregate = lowestSequenceNumber([
    ...[...pages.failed, ...counters.failed].map((item) => item.contributions[0]!.sequenceNumber),
    ...rollups.failed.map((rollup) => rollup.contributions[0]!.sequenceNumber),
  ]);
  const failedSequenceNumber = lowestSequenceNumber([cut, failedAggregate]);

  for (const [eventType, count] of plan.newByType) metrics.add('EventsProcessed', count, 'Count', { EventType: eventType });
  metrics.add('DuplicateEvents', plan.duplicates);
  metrics.add('RedeliveredEvents', plan.redelivered);
  metrics.add('FailedWrites', failedSessions.size + pages.failed.length + counters.failed.length + rollups.failed.length);
  metrics.add('UnwritableItems', unwritableItems);
  if (failedSequenceNumber !== undefined) {
    logger.warn({ failedSequenceNumber, failedSessions: failedSessions.size, failedPages: pages.failed.length, failedCounters: counters.failed.length, failedRollups: rollups.failed.length }, 'partial batch failure: redelivery requested');
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

/** Rounds of re-reading and re-applying sessions another writer moved on; then the batch is redelivered. */
const SESSION_WRITE_ROUNDS = 5;

/**
 * Reads, applies and conditionally writes the batch's sessions. A session whose stored version
 * changed since the read (a late write of an earlier attempt, another invocation) is read again
 * and the batch's events applied again: the seen-set makes re-applying safe, so nothing is lost
 * and nothing counted twice. Sessions still in conflict after a few rounds, or whose read or write
 * failed, come back in `failed`.
 */
async function applySessions(groups: ReadonlyMap<string, AcceptedRecord[]>, store: MetricsStore, options: ProcessorOptions, observe: Observe) {
  const { logger, metrics } = observe;
  const committed: SessionPlan[] = [];
  const failed = new Set<string>();
  const unwritable = new Set<string>();
  let pending = new Map(groups);
  let conflicts = 0;
  for (let round = 0; round < SESSION_WRITE_ROUNDS && pending.size > 0; round++) {
    const loaded = await store.loadSessions([...pending.keys()]);
    for (const error of loaded.errors) logger.error({ err: error }, 'reading sessions failed');
    for (const sessionId of loaded.failed) failed.add(sessionId);
    const readable = new Map([...pending].filter(([sessionId]) => !loaded.failed.has(sessionId)));
    const plan = planSessions(readable, loaded.items, options);
    const saved = await store.saveSessions(plan.writes.map((item) => ({ item, readVersion: loaded.items.get(item.session_id)?.version ?? 0 })));
    for (const error of saved.errors) logger.error({ err: error }, 'writing sessions failed');
    for (const sessionId of saved.failed) failed.add(sessionId);
    for (const sessionId of saved.unwritable) unwritable.add(sessionId);
    conflicts += saved.conflicts.size;
    committed.push(saved.conflicts.size === 0 ? plan : planSessions(new Map([...readable].filter(([sessionId]) => !saved.conflicts.has(sessionId))), loaded.items, options));
    pending = new Map([...readable].filter(([sessionId]) => saved.conflicts.has(sessionId)));
  }
  for (const sessionId of pending.keys()) failed.add(sessionId);
  metrics.add('SessionWriteConflicts', conflicts);
  if (conflicts > 0) logger.info({ conflicts, unresolved: pending.size }, 'sessions changed since read: re-applied');
  return { plan: mergePlans(committed), failed, unwritable };
}

/** The fence namespace of a replay's first sightings: `<shardId>#replay`. */
export const replayFenceShard = (shardId: string): string => `${shardId}#replay`;

/**
 * Page and counter increments and top-pages rollups of the records before `cut`, fenced per shard. A replay of a
 * discarded batch (`npm run replay`) comes after later records of its shard moved the shard's
 * fences past it: its events that no session has seen (first sightings — a session is written
 * before its aggregates, so their increments were never applied) go under a fence of their own,
 * `<shardId>#replay`; the others keep the shard's fence, which drops what was already applied.
 */
async function applyAggregates(batch: DecidedBatch, plan: SessionPlan, cut: string | undefined, store: MetricsStore, options: ProcessorOptions) {
  const replayed = batch.replayOf === undefined ? [] : plan.originals.filter((original) => original.firstSeen);
  const normal = batch.replayOf === undefined ? plan.originals : plan.originals.filter((original) => !original.firstSeen);
  const groups = [
    { shardId: batch.shardId, aggregates: aggregateBefore(normal, cut, options.aggregateTtlDays) },
    ...(replayed.length === 0 ? [] : [{ shardId: replayFenceShard(batch.shardId), aggregates: aggregateBefore(replayed, cut, options.aggregateTtlDays) }]),
  ];
  const results = await Promise.all(
    groups.map(async ({ shardId, aggregates }) =>
      Promise.all([store.applyIncrements('pageMetrics', shardId, aggregates.pages), store.applyIncrements('counters', shardId, aggregates.counters), store.applyRollups(shardId, aggregates.rollups)] as const),
    ),
  );
  const merge = <T>(parts: ReadonlyArray<{ failed: T[]; unwritable: T[]; errors: unknown[]; written: number }>) => ({
    failed: parts.flatMap((part) => part.failed),
    unwritable: parts.flatMap((part) => part.unwritable),
    errors: parts.flatMap((part) => part.errors),
    written: parts.reduce((sum, part) => sum + part.written, 0),
  });
  return [merge(results.map((result) => result[0])), merge(results.map((result) => result[1])), merge(results.map((result) => result[2]))] as const;
}
