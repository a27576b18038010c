import { createHash } from 'node:crypto';
import { minuteWindow, sequenceKey, windowStartMs, type ClickstreamEvent } from '@clickstream/shared';
import { alertId, MAX_SAMPLE_EVENT_IDS, minuteAlertWindow, RULE_SEVERITY, spanAlertWindow, type Candidate, type RuleName } from './alerts';
import { botSignature } from './bot';
import type { RuleSettings } from './config';

/** An accepted event and the record that carried it. */
export interface DetectorEvent {
  event: ClickstreamEvent;
  shardId: string;
  sequenceNumber: string;
}

/**
 * What the detector remembers about a session between batches (item `state#session#<id>`).
 * `fences` is the redelivery fence: per shard, the `sequenceKey` of the last record applied, so a
 * redelivered record is recognized without remembering every event id. `recentEventIds` catches
 * producer resends (same `event_id` in a new record) among the latest events.
 */
export interface SessionState {
  sessionId: string;
  eventCount: number;
  botEvents: number;
  /** Event-time minute (`YYYY-MM-DDTHH:MM`) → events; only the last few minutes are kept. */
  minuteCounts: Record<string, number>;
  fences: Record<string, string>;
  recentEventIds: string[];
  /** Once-per-session rules that already fired here. */
  flagged: RuleName[];
  lastEventMs: number;
  /** Optimistic-lock version of the stored item; 0 when it was never stored. */
  version: number;
}

export type Sighting = 'new' | 'redelivered' | 'duplicate';

export interface SessionEvaluation {
  /** The state to store, or undefined when no record was new to this session. */
  state?: SessionState;
  /** Per input event, in input order. */
  sightings: Sighting[];
  candidates: Candidate[];
}

const RECENT_EVENT_IDS = 256;
const KEPT_MINUTES = 5;
const CHECKOUT_TYPES: ReadonlySet<string> = new Set(['checkout', 'purchase']);

export function emptySession(sessionId: string): SessionState {
  return { sessionId, eventCount: 0, botEvents: 0, minuteCounts: {}, fences: {}, recentEventIds: [], flagged: [], lastEventMs: 0, version: 0 };
}

/**
 * Applies a session's events (stream order) to its state and runs the three per-session rules:
 *  - session_rate: more than `sessionRatePerMinute` events in one event-time minute (tumbling);
 *    counts live in the state, so a minute split over batches is counted whole;
 *  - bot_user_agent: `botMinEvents` events whose user agent isbot recognizes (events without a
 *    user agent are not judged);
 *  - checkout_without_browsing: a checkout or purchase with fewer than `checkoutMinPriorEvents`
 *    events before it in the session.
 * Pure; redelivered records (at or below the shard's fence) and resent event ids change nothing.
 */
export function evaluateSession(existing: SessionState | undefined, events: readonly DetectorEvent[], rules: RuleSettings): SessionEvaluation {
  const sightings: Sighting[] = [];
  const candidates: Candidate[] = [];
  if (events.length === 0) return { sightings, candidates };
  const sessionId = events[0]!.event.session_id;
  const state = cloneSession(existing ?? emptySession(sessionId));
  const recent = new Set(state.recentEventIds);
  const crossedMinutes = new Map<string, string>();
  const minuteSamples = new Map<string, string[]>();
  let changed = false;

  for (const { event, shardId, sequenceNumber } of events) {
    const sequence = sequenceKey(sequenceNumber);
    const fence = state.fences[shardId];
    if (fence !== undefined && sequence <= fence) {
      sightings.push('redelivered');
      continue;
    }
    state.fences[shardId] = sequence;
    changed = true;
    const idHash = shortHash(event.event_id);
    if (recent.has(idHash)) {
      sightings.push('duplicate');
      continue;
    }
    sightings.push('new');
    recent.add(idHash);
    state.recentEventIds.push(idHash);

    const prior = state.eventCount;
    state.eventCount += 1;
    state.lastEventMs = Math.max(state.lastEventMs, event.event_time_ms);

    const minute = minuteWindow(event.event_time_ms);
    const count = (state.minuteCounts[minute] ?? 0) + 1;
    state.minuteCounts[minute] = count;
    const samples = minuteSamples.get(minute) ?? [];
    samples.push(event.event_id);
    if (samples.length > MAX_SAMPLE_EVENT_IDS) samples.shift();
    minuteSamples.set(minute, samples);
    if (count === rules.sessionRatePerMinute + 1) crossedMinutes.set(minute, sequenceNumber);

    if (event.user_agent !== undefined) {
      const signature = botSignature(event.user_agent);
      if (signature !== null) {
        state.botEvents += 1;
        if (state.botEvents >= rules.botMinEvents && !state.flagged.includes('bot_user_agent')) {
          state.flagged.push('bot_user_agent');
          candidates.push({ alert: botAlert(state, event, signature, rules), sequenceNumber, sessionId });
        }
      }
    }

    if (CHECKOUT_TYPES.has(event.event_type) && prior < rules.checkoutMinPriorEvents && !state.flagged.includes('checkout_without_browsing')) {
      state.flagged.push('checkout_without_browsing');
      candidates.push({ alert: checkoutAlert(state, event, prior, rules), sequenceNumber, sessionId });
    }
  }
  if (!changed) return { sightings, candidates };

  for (const [minute, sequenceNumber] of crossedMinutes) {
    candidates.push({ alert: rateAlert(state, minute, minuteSamples.get(minute) ?? [], rules), sequenceNumber, sessionId });
  }
  if (state.recentEventIds.length > RECENT_EVENT_IDS) state.recentEventIds.splice(0, state.recentEventIds.length - RECENT_EVENT_IDS);
  pruneMinutes(state);
  return { state, sightings, candidates };
}

function rateAlert(state: SessionState, minute: string, samples: string[], rules: RuleSettings): Candidate['alert'] {
  const startMs = windowStartMs(minute);
  const observed = state.minuteCounts[minute] ?? 0;
  const subjectKey = `session:${state.sessionId}`;
  return {
    alertId: alertId('session_rate', subjectKey, minute),
    rule: 'session_rate',
    severity: RULE_SEVERITY.session_rate,
    subjectKey,
    observed,
    threshold: rules.sessionRatePerMinute,
    comparison: 'above',
    window: minuteAlertWindow(startMs),
    incidentMs: startMs,
    sampleEventIds: samples.slice(-MAX_SAMPLE_EVENT_IDS),
    description: `session ${state.sessionId} sent ${observed} events in the minute from ${minute}Z (limit ${rules.sessionRatePerMinute}/min)`,
    context: { session_id: state.sessionId, minute },
  };
}

function botAlert(state: SessionState, event: ClickstreamEvent, signature: string, rules: RuleSettings): Candidate['alert'] {
  const subjectKey = `bot:${signature}`;
  return {
    alertId: alertId('bot_user_agent', subjectKey, state.sessionId),
    rule: 'bot_user_agent',
    severity: RULE_SEVERITY.bot_user_agent,
    subjectKey,
    observed: state.botEvents,
    threshold: rules.botMinEvents,
    comparison: 'above',
    window: spanAlertWindow(event.event_time_ms, event.event_time_ms),
    incidentMs: event.event_time_ms,
    sampleEventIds: [event.event_id],
    description: `bot user agent "${signature}" in session ${state.sessionId}`,
    context: { session_id: state.sessionId, user_agent: event.user_agent ?? '', signature },
  };
}

function checkoutAlert(state: SessionState, event: ClickstreamEvent, prior: number, rules: RuleSettings): Candidate['alert'] {
  const subjectKey = `session:${state.sessionId}`;
  return {
    alertId: alertId('checkout_without_browsing', subjectKey, event.event_id),
    rule: 'checkout_without_browsing',
    severity: RULE_SEVERITY.checkout_without_browsing,
    subjectKey,
    observed: prior,
    threshold: rules.checkoutMinPriorEvents,
    comparison: 'below',
    window: spanAlertWindow(event.event_time_ms, event.event_time_ms),
    incidentMs: event.event_time_ms,
    sampleEventIds: [event.event_id],
    description: `${event.event_type} in session ${state.sessionId} after only ${prior} prior event(s) (expected at least ${rules.checkoutMinPriorEvents})`,
    context: { session_id: state.sessionId, event_type: event.event_type, ...(event.user_id === undefined ? {} : { user_id: event.user_id }) },
  };
}

function pruneMinutes(state: SessionState): void {
  const minutes = Object.keys(state.minuteCounts).sort();
  if (minutes.length <= KEPT_MINUTES) return;
  for (const minute of minutes.slice(0, minutes.length - KEPT_MINUTES)) delete state.minuteCounts[minute];
}

function cloneSession(state: SessionState): SessionState {
  return {
    ...state,
    minuteCounts: { ...state.minuteCounts },
    fences: { ...state.fences },
    recentEventIds: [...state.recentEventIds],
    flagged: [...state.flagged],
  };
}

/** 48 bits of an event id's hash: plenty to tell apart the last few hundred ids of one session. */
function shortHash(eventId: string): string {
  return createHash('md5').update(eventId).digest('base64url').slice(0, 8);
}
