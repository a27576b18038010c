import { compareSequenceNumbers, decodeEvent, minuteWindow, sequenceKey, type Logger, type MetricsLogger, type StreamRecord, type ValidationOptions } from '@clickstream/shared';
import { toAlertMessage, type Alert, type Candidate } from './alerts';
import type { DetectorSettings } from './config';
import type { AlertPublisher } from './publisher';
import { evaluateSession, type DetectorEvent, type SessionState } from './session-rules';
import type { DetectorStore, MinuteItem } from './store';
import { judgeClosedMinutes, planClosure, type MinuteSamples } from './traffic-rules';
import { evaluateUser, type UserState } from './travel-rule';

export interface DetectorOptions {
  settings: DetectorSettings;
  validation: Omit<ValidationOptions, 'nowMs'>;
  now: () => number;
}

export interface DetectorDependencies {
  store: DetectorStore;
  /** Undefined when SNS alerts are disabled: alerts are still claimed, logged and kept in history. */
  publisher?: AlertPublisher;
}

export interface BatchOutcome {
  /** Lowest sequence number Lambda must redeliver from, or undefined when the batch is done. */
  failedSequenceNumber?: string;
  accepted: number;
  rejected: number;
  newEvents: number;
  redelivered: number;
  duplicates: number;
  /** Alerts raised (published, or recorded when publishing is disabled). */
  alerts: Alert[];
  /** Candidates dropped because their rule and subject were cooling down. */
  suppressed: number;
}

interface Observe {
  logger: Logger;
  metrics: MetricsLogger;
}

/**
 * Evaluates one shard batch with exactly-once effect on state and at most one alert per incident:
 *  1. decode and validate; bad records are counted and skipped (the archiver quarantines them);
 *  2. load session and user state and the traffic baseline; run the per-session rules (the
 *     session's shard fence drops redelivered records) and impossible travel;
 *  3. raise their alerts: claim the cooldown (conditional write), publish, record history;
 *  4. save state, except for sessions whose alert could not be published, so the redelivery
 *     finds the same records new and raises the same alert (same id: the claim lets it through);
 *  5. add the batch to the stream-wide minute counts (sequence-fenced), close the minutes the
 *     watermark has passed, judge them (traffic, error rate), raise, then move the baseline.
 * Anything that fails after retries becomes the lowest sequence number to redeliver.
 */
export async function detectBatch(records: readonly StreamRecord[], deps: DetectorDependencies, options: DetectorOptions, observe: Observe): Promise<BatchOutcome> {
  const { logger, metrics } = observe;
  const { settings } = options;
  const shardId = records[0]?.shardId ?? 'shardId-unknown';
  const nowMs = options.now();
  const outcome: BatchOutcome = { accepted: 0, rejected: 0, newEvents: 0, redelivered: 0, duplicates: 0, alerts: [], suppressed: 0 };
  const failurePoints: string[] = [];

  const accepted: DetectorEvent[] = [];
  for (const record of records) {
    const result = decodeEvent(record.data, record, { ...options.validation, nowMs });
    if (result.ok) {
      accepted.push({ event: result.event, shardId: record.shardId, sequenceNumber: record.sequenceNumber });
      continue;
    }
    outcome.rejected++;
    metrics.add('InvalidRecords', 1, 'Count', { Reason: result.reason });
    logger.debug({ reason: result.reason, field: result.field, sequenceNumber: record.sequenceNumber, shardId }, `skipped record: ${result.message}`);
  }
  outcome.accepted = accepted.length;
  if (accepted.length === 0) return finish(outcome, failurePoints, metrics, logger);

  const sessions = groupBy(accepted, (item) => item.event.session_id);
  const userIds = new Set(accepted.filter(({ event }) => event.user_id !== undefined && event.country !== undefined).map(({ event }) => event.user_id!));
  const loaded = await deps.store.load({ sessionIds: [...sessions.keys()], userIds: [...userIds] });
  for (const error of loaded.errors) logger.error({ err: error }, 'reading detector state failed');
  for (const sessionId of loaded.failedSessions) failurePoints.push(sessions.get(sessionId)![0]!.sequenceNumber);

  // Per-session rules. Duplicates (producer resends) go nowhere; redelivered records still feed
  // the minute counts, whose own fences drop what was already added.
  const sessionStates = new Map<string, SessionState>();
  const sessionCandidates: Candidate[] = [];
  const counted: DetectorEvent[] = [];
  for (const [sessionId, group] of sessions) {
    if (loaded.failedSessions.has(sessionId)) continue;
    const evaluation = evaluateSession(loaded.sessions.get(sessionId), group, settings.rules);
    if (evaluation.state !== undefined) sessionStates.set(sessionId, evaluation.state);
    sessionCandidates.push(...evaluation.candidates);
    evaluation.sightings.forEach((sighting, index) => {
      if (sighting === 'duplicate') {
        outcome.duplicates++;
        return;
      }
      if (sighting === 'new') outcome.newEvents++;
      else outcome.redelivered++;
      counted.push(group[index]!);
    });
  }
  counted.sort((a, b) => compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber));

  // Impossible travel, on every counted event: merging a user's countries is idempotent.
  const users = groupBy(
    counted.filter(({ event }) => event.user_id !== undefined && event.country !== undefined),
    (item) => item.event.user_id!,
  );
  const userStates = new Map<string, UserState>();
  const userCandidates: Candidate[] = [];
  for (const [userId, group] of users) {
    if (loaded.failedUsers.has(userId)) {
      failurePoints.push(group[0]!.sequenceNumber);
      continue;
    }
    const evaluation = evaluateUser(loaded.users.get(userId), group, settings.rules);
    if (evaluation.state !== undefined) userStates.set(userId, evaluation.state);
    userCandidates.push(...evaluation.candidates);
  }

  const raisedBySessions = await raise([...sessionCandidates, ...userCandidates], deps, options, shardId, nowMs, outcome, observe);
  for (const candidate of raisedBySessions.failed) {
    failurePoints.push(candidate.sessionId === undefined ? candidate.sequenceNumber : sessions.get(candidate.sessionId)![0]!.sequenceNumber);
    if (candidate.sessionId !== undefined) sessionStates.delete(candidate.sessionId);
  }

  const [savedSessions, savedUsers] = await Promise.all([deps.store.saveSessions([...sessionStates.values()]), deps.store.saveUsers([...userStates.values()])]);
  for (const error of [...savedSessions.errors, ...savedUsers.errors]) logger.error({ err: error }, 'writing detector state failed');
  for (const sessionId of savedSessions.failed) failurePoints.push(sessions.get(sessionId)![0]!.sequenceNumber);
  for (const userId of savedUsers.failed) failurePoints.push(users.get(userId)![0]!.sequenceNumber);
  metrics.add('FailedWrites', savedSessions.failed.size + savedUsers.failed.size);

  // Stream-wide minutes: only records before the first failure, the rest comes back.
  const cut = lowest(failurePoints);
  const included = cut === undefined ? counted : counted.filter(({ sequenceNumber }) => compareSequenceNumbers(sequenceNumber, cut) < 0);
  const minutes = minuteItems(included);
  const added = await deps.store.addMinuteCounts(shardId, minutes.items);
  for (const error of added.errors) logger.error({ err: error }, 'minute count write failed');
  for (const item of added.failed) failurePoints.push(item.contributions[0]!.sequenceNumber);
  metrics.add('FailedWrites', added.failed.length);

  // Minutes are closed only by batches that went through whole, so no count is missing a part
  // that is about to be redelivered.
  if (failurePoints.length === 0 && !loaded.baselineFailed && included.length > 0) {
    await closeMinutes(included, loaded.baseline, minutes.samples, deps, options, shardId, nowMs, outcome, observe, failurePoints, records[0]!.sequenceNumber);
  }
  return finish(outcome, failurePoints, metrics, logger);
}

async function closeMinutes(
  accepted: readonly DetectorEvent[],
  stored: Parameters<typeof planClosure>[0],
  samples: ReadonlyMap<string, MinuteSamples>,
  deps: DetectorDependencies,
  options: DetectorOptions,
  shardId: string,
  nowMs: number,
  outcome: BatchOutcome,
  observe: Observe,
  failurePoints: string[],
  firstSequenceNumber: string,
): Promise<void> {
  let minEventMs = Infinity;
  let maxEventMs = -Infinity;
  for (const { event } of accepted) {
    minEventMs = Math.min(minEventMs, event.event_time_ms);
    maxEventMs = Math.max(maxEventMs, event.event_time_ms);
  }
  const plan = planClosure(stored, { minEventMs, maxEventMs }, nowMs, options.settings.minuteGraceMs);
  if (plan === undefined) return;
  if (plan.range === undefined) {
    await deps.store.saveBaseline(plan.baseline);
    return;
  }
  const { range } = plan;
  const counts = await deps.store.readMinutes(range.fromMinute, range.toMinute);
  const judged = judgeClosedMinutes(range, counts, options.settings.rules, samples);
  // A failed publish keeps the baseline where it was and redelivers the batch: the retry judges
  // the same minutes again and the claim lets the same alert id through.
  const raised = await raise(
    judged.alerts.map((alert) => ({ alert, sequenceNumber: firstSequenceNumber })),
    deps,
    options,
    shardId,
    nowMs,
    outcome,
    observe,
  );
  if (raised.failed.length > 0) {
    failurePoints.push(firstSequenceNumber);
    return;
  }
  const moved = await deps.store.saveBaseline(judged.baseline);
  if (!moved) observe.logger.debug({ fromMinute: range.fromMinute, toMinute: range.toMinute }, 'another shard closed these minutes first');
}

/**
 * Claims, publishes and records candidates; one per rule and subject (the earliest incident)
 * per batch. Returns the candidates whose publish or bookkeeping failed.
 */
async function raise(
  candidates: readonly Candidate[],
  deps: DetectorDependencies,
  options: DetectorOptions,
  shardId: string,
  nowMs: number,
  outcome: BatchOutcome,
  observe: Observe,
): Promise<{ failed: Candidate[] }> {
  const earliest = new Map<string, Candidate>();
  for (const candidate of candidates) {
    const key = `${candidate.alert.rule}\u0000${candidate.alert.subjectKey}`;
    const current = earliest.get(key);
    if (current === undefined || candidate.alert.incidentMs < current.alert.incidentMs) earliest.set(key, candidate);
  }
  const failed: Candidate[] = [];
  for (const candidate of earliest.values()) {
    const { alert } = candidate;
    try {
      const claim = await deps.store.claimAlert(alert, { shardId, cooldownMs: options.settings.cooldownMs });
      if (claim === 'suppressed') {
        outcome.suppressed++;
        observe.metrics.add('AlertsSuppressed', 1, 'Count', { Rule: alert.rule });
        continue;
      }
      if (deps.publisher !== undefined) await deps.publisher.publish(alert, nowMs);
      await deps.store.completeAlert(alert, { ...toAlertMessage(alert, nowMs), delivery: deps.publisher === undefined ? 'disabled' : 'sns' });
      outcome.alerts.push(alert);
      observe.metrics.add('AnomaliesDetected', 1, 'Count', { Rule: alert.rule });
      observe.logger.warn({ alert: toAlertMessage(alert, nowMs) }, `anomaly: ${alert.description}`);
    } catch (error) {
      failed.push(candidate);
      observe.metrics.add('AlertFailures', 1, 'Count', { Rule: alert.rule });
      observe.logger.error({ err: error, alertId: alert.alertId, rule: alert.rule }, 'raising alert failed; its records will be redelivered');
    }
  }
  // Candidates that lost to an earlier one of the same rule and subject are cooled down by it.
  const dropped = candidates.length - earliest.size;
  if (dropped > 0) outcome.suppressed += dropped;
  return { failed };
}

function minuteItems(events: readonly DetectorEvent[]): { items: MinuteItem[]; samples: Map<string, MinuteSamples> } {
  const items = new Map<string, MinuteItem>();
  const samples = new Map<string, MinuteSamples>();
  for (const { event, sequenceNumber } of events) {
    const minute = minuteWindow(event.event_time_ms);
    let item = items.get(minute);
    if (item === undefined) {
      item = { minute, contributions: [] };
      items.set(minute, item);
    }
    const isError = event.event_type === 'error' ? 1 : 0;
    item.contributions.push({ sequence: sequenceKey(sequenceNumber), sequenceNumber, events: 1, errors: isError });
    let minuteSamples = samples.get(minute);
    if (minuteSamples === undefined) {
      minuteSamples = { events: [], errors: [] };
      samples.set(minute, minuteSamples);
    }
    if (minuteSamples.events.length < 5) minuteSamples.events.push(event.event_id);
    if (isError && minuteSamples.errors.length < 5) minuteSamples.errors.push(event.event_id);
  }
  return { items: [...items.values()], samples };
}

function finish(outcome: BatchOutcome, failurePoints: readonly string[], metrics: MetricsLogger, logger: Logger): BatchOutcome {
  const failedSequenceNumber = lowest(failurePoints);
  metrics.add('EventsEvaluated', outcome.newEvents);
  metrics.add('EventsRejected', outcome.rejected);
  metrics.add('DuplicateEvents', outcome.duplicates);
  metrics.add('RedeliveredEvents', outcome.redelivered);
  if (failedSequenceNumber !== undefined) {
    outcome.failedSequenceNumber = failedSequenceNumber;
    logger.warn({ failedSequenceNumber }, 'partial batch failure: redelivery requested');
  }
  return outcome;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const id = key(item);
    const group = groups.get(id);
    if (group === undefined) groups.set(id, [item]);
    else group.push(item);
  }
  return groups;
}

function lowest(sequenceNumbers: readonly string[]): string | undefined {
  let result: string | undefined;
  for (const sequenceNumber of sequenceNumbers) if (result === undefined || compareSequenceNumbers(sequenceNumber, result) < 0) result = sequenceNumber;
  return result;
}
