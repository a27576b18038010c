import {
  compareSequenceNumbers,
  contribution,
  groupBy,
  lowestSequenceNumber,
  minuteWindow,
  ttlAfter,
  windowStartMs,
  type BatchOutcome as BaseOutcome,
  type DecidedBatch,
  type Observe,
} from '@clickstream/shared';
import { toAlertMessage, type Alert, type Candidate } from './alerts';
import type { DetectorSettings } from './config';
import { minuteKey } from './contract';
import type { AlertPublisher } from './publisher';
import { evaluateSession, type DetectorEvent, type SessionState } from './session-rules';
import type { DetectorStore, LoadedState, MinuteItem } from './store';
import { judgeClosedMinutes, planClosure, type MinuteSamples } from './traffic-rules';
import { evaluateUser, type UserState } from './travel-rule';

export interface DetectorOptions {
  settings: DetectorSettings;
  now: () => number;
}

export interface DetectorDependencies {
  store: DetectorStore;
  /** Undefined when SNS alerts are disabled: alerts are still claimed, logged and kept in history. */
  publisher?: AlertPublisher;
}

export interface BatchOutcome extends BaseOutcome {
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

/** What every step of one batch shares. */
interface BatchContext {
  deps: DetectorDependencies;
  settings: DetectorSettings;
  shardId: string;
  nowMs: number;
  observe: Observe;
}

/**
 * Evaluates one shard batch (records already decided by the shared stream handler) with
 * exactly-once effect on state and at most one alert per incident, as a list of steps:
 *  1. load session and user state and the traffic baseline;
 *  2. run the per-session rules (the session's shard fence drops redelivered records) and
 *     impossible travel;
 *  3. raise their alerts: claim the cooldown (conditional write), publish, record history;
 *  4. save state, except for sessions whose alert could not be published, so the redelivery
 *     finds the same records new and raises the same alert (same id: the claim lets it through);
 *  5. add the batch to the stream-wide minute counts (sequence-fenced);
 *  6. close the minutes the watermark has passed, judge them (traffic, error rate), raise, then
 *     move the baseline.
 * Each step returns the sequence numbers it could not complete; the lowest is redelivered.
 */
export async function detectBatch(batch: DecidedBatch, deps: DetectorDependencies, options: DetectorOptions, observe: Observe): Promise<BatchOutcome> {
  const context: BatchContext = { deps, settings: options.settings, shardId: batch.shardId, nowMs: options.now(), observe };
  const outcome: BatchOutcome = { accepted: batch.accepted.length, rejected: batch.rejected.length, newEvents: 0, redelivered: 0, duplicates: 0, alerts: [], suppressed: 0 };
  const accepted: DetectorEvent[] = batch.accepted.map(({ record, event }) => ({ event, shardId: record.shardId, sequenceNumber: record.sequenceNumber }));
  if (accepted.length === 0) return finish(outcome, [], observe);

  const sessions = groupBy(accepted, (item) => item.event.session_id);
  const loaded = await loadState(context, sessions, accepted);
  const failures = [...loaded.failedSessions].map((sessionId) => sessions.get(sessionId)![0]!.sequenceNumber);

  const evaluated = evaluateSessions(sessions, loaded, context.settings, outcome);
  const users = evaluateUsers(evaluated.counted, loaded, context.settings);
  failures.push(...users.failures);

  const raised = await raise([...evaluated.candidates, ...users.candidates], context, outcome);
  for (const candidate of raised.failed) {
    failures.push(candidate.sessionId === undefined ? candidate.sequenceNumber : sessions.get(candidate.sessionId)![0]!.sequenceNumber);
    if (candidate.sessionId !== undefined) evaluated.states.delete(candidate.sessionId);
  }
  failures.push(...(await saveState(context, evaluated.states, users.states, sessions, users.groups)));

  // Stream-wide minutes: only records before the first failure, the rest comes back.
  const cut = lowestSequenceNumber(failures);
  const included = cut === undefined ? evaluated.counted : evaluated.counted.filter(({ sequenceNumber }) => compareSequenceNumbers(sequenceNumber, cut) < 0);
  const minutes = minuteItems(included, context.settings.stateTtlHours);
  failures.push(...(await addMinutes(context, minutes.items)));

  // Minutes are closed only by batches that went through whole, so no count is missing a part
  // that is about to be redelivered.
  if (failures.length === 0 && !loaded.baselineFailed && included.length > 0) {
    failures.push(...(await closeMinutes(context, { events: included, baseline: loaded.baseline, samples: minutes.samples, firstSequenceNumber: batch.records[0]!.sequenceNumber }, outcome)));
  }
  return finish(outcome, failures, observe);
}

async function loadState(context: BatchContext, sessions: ReadonlyMap<string, DetectorEvent[]>, accepted: readonly DetectorEvent[]): Promise<LoadedState> {
  const userIds = new Set(accepted.filter(({ event }) => event.user_id !== undefined && event.country !== undefined).map(({ event }) => event.user_id!));
  const loaded = await context.deps.store.load({ sessionIds: [...sessions.keys()], userIds: [...userIds] });
  for (const error of loaded.errors) context.observe.logger.error({ err: error }, 'reading detector state failed');
  return loaded;
}

/**
 * Per-session rules. Duplicates (producer resends) go nowhere; redelivered records still feed the
 * minute counts, whose own fences drop what was already added.
 */
function evaluateSessions(sessions: ReadonlyMap<string, DetectorEvent[]>, loaded: LoadedState, settings: DetectorSettings, outcome: BatchOutcome) {
  const states = new Map<string, SessionState>();
  const candidates: Candidate[] = [];
  const counted: DetectorEvent[] = [];
  for (const [sessionId, group] of sessions) {
    if (loaded.failedSessions.has(sessionId)) continue;
    const evaluation = evaluateSession(loaded.sessions.get(sessionId), group, settings.rules);
    if (evaluation.state !== undefined) states.set(sessionId, evaluation.state);
    candidates.push(...evaluation.candidates);
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
  return { states, candidates, counted };
}

/** Impossible travel, on every counted event: merging a user's countries is idempotent. */
function evaluateUsers(counted: readonly DetectorEvent[], loaded: LoadedState, settings: DetectorSettings) {
  const groups = groupBy(
    counted.filter(({ event }) => event.user_id !== undefined && event.country !== undefined),
    (item) => item.event.user_id!,
  );
  const states = new Map<string, UserState>();
  const candidates: Candidate[] = [];
  const failures: string[] = [];
  for (const [userId, group] of groups) {
    if (loaded.failedUsers.has(userId)) {
      failures.push(group[0]!.sequenceNumber);
      continue;
    }
    const evaluation = evaluateUser(loaded.users.get(userId), group, settings.rules);
    if (evaluation.state !== undefined) states.set(userId, evaluation.state);
    candidates.push(...evaluation.candidates);
  }
  return { groups, states, candidates, failures };
}

/** Saves session and user state; returns where to redeliver from for what could not be saved. */
async function saveState(
  context: BatchContext,
  sessionStates: ReadonlyMap<string, SessionState>,
  userStates: ReadonlyMap<string, UserState>,
  sessions: ReadonlyMap<string, DetectorEvent[]>,
  users: ReadonlyMap<string, DetectorEvent[]>,
): Promise<string[]> {
  const { store } = context.deps;
  const [savedSessions, savedUsers] = await Promise.all([store.saveSessions([...sessionStates.values()]), store.saveUsers([...userStates.values()])]);
  for (const error of [...savedSessions.errors, ...savedUsers.errors]) context.observe.logger.error({ err: error }, 'writing detector state failed');
  context.observe.metrics.add('FailedWrites', savedSessions.failed.size + savedUsers.failed.size);
  return [
    ...[...savedSessions.failed].map((sessionId) => sessions.get(sessionId)![0]!.sequenceNumber),
    ...[...savedUsers.failed].map((userId) => users.get(userId)![0]!.sequenceNumber),
  ];
}

async function addMinutes(context: BatchContext, items: readonly MinuteItem[]): Promise<string[]> {
  const added = await context.deps.store.addMinuteCounts(context.shardId, items);
  for (const error of added.errors) context.observe.logger.error({ err: error }, 'minute count write failed');
  context.observe.metrics.add('FailedWrites', added.failed.length);
  return added.failed.map((item) => item.contributions[0]!.sequenceNumber);
}

interface ClosureInput {
  events: readonly DetectorEvent[];
  baseline: LoadedState['baseline'];
  samples: ReadonlyMap<string, MinuteSamples>;
  /** Redelivered from when raising a minute's alert fails. */
  firstSequenceNumber: string;
}

/**
 * Closes the minutes the watermark has passed, judges them and moves the baseline. A failed
 * publish keeps the baseline where it was and redelivers the batch: the retry judges the same
 * minutes again and the claim lets the same alert id through.
 */
async function closeMinutes(context: BatchContext, input: ClosureInput, outcome: BatchOutcome): Promise<string[]> {
  const { store } = context.deps;
  let minEventMs = Infinity;
  let maxEventMs = -Infinity;
  for (const { event } of input.events) {
    minEventMs = Math.min(minEventMs, event.event_time_ms);
    maxEventMs = Math.max(maxEventMs, event.event_time_ms);
  }
  const plan = planClosure(input.baseline, { minEventMs, maxEventMs }, context.nowMs, context.settings.minuteGraceMs);
  if (plan === undefined) return [];
  if (plan.range === undefined) {
    await store.saveBaseline(plan.baseline);
    return [];
  }
  const { range } = plan;
  const counts = await store.readMinutes(range.fromMinute, range.toMinute);
  const judged = judgeClosedMinutes(range, counts, context.settings.rules, input.samples);
  const raised = await raise(judged.alerts.map((alert) => ({ alert, sequenceNumber: input.firstSequenceNumber })), context, outcome);
  if (raised.failed.length > 0) return [input.firstSequenceNumber];
  const moved = await store.saveBaseline(judged.baseline);
  if (!moved) context.observe.logger.debug({ fromMinute: range.fromMinute, toMinute: range.toMinute }, 'another shard closed these minutes first');
  return [];
}

/**
 * Claims, publishes and records candidates; one per rule and subject (the earliest incident)
 * per batch. Returns the candidates whose publish or bookkeeping failed.
 */
async function raise(candidates: readonly Candidate[], context: BatchContext, outcome: BatchOutcome): Promise<{ failed: Candidate[] }> {
  const { deps, observe, nowMs } = context;
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
      const claim = await deps.store.claimAlert(alert, { shardId: context.shardId, cooldownMs: context.settings.cooldownMs });
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

/** The batch's share of each minute's stream-wide counts, and a few sample event ids per minute. */
function minuteItems(events: readonly DetectorEvent[], stateTtlHours: number): { items: MinuteItem[]; samples: Map<string, MinuteSamples> } {
  const items = new Map<string, MinuteItem>();
  const samples = new Map<string, MinuteSamples>();
  for (const { event, sequenceNumber } of events) {
    const minute = minuteWindow(event.event_time_ms);
    let item = items.get(minute);
    if (item === undefined) {
      item = { key: minuteKey(minute), ttl: ttlAfter(windowStartMs(minute), { hours: stateTtlHours }), contributions: [] };
      items.set(minute, item);
    }
    const isError = event.event_type === 'error' ? 1 : 0;
    item.contributions.push(contribution(sequenceNumber, { events: 1, errors: isError }));
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

function finish(outcome: BatchOutcome, failures: readonly string[], observe: Observe): BatchOutcome {
  const failedSequenceNumber = lowestSequenceNumber(failures);
  observe.metrics.add('EventsEvaluated', outcome.newEvents);
  observe.metrics.add('DuplicateEvents', outcome.duplicates);
  observe.metrics.add('RedeliveredEvents', outcome.redelivered);
  if (failedSequenceNumber !== undefined) {
    outcome.failedSequenceNumber = failedSequenceNumber;
    observe.logger.warn({ failedSequenceNumber }, 'partial batch failure: redelivery requested');
  }
  return outcome;
}
