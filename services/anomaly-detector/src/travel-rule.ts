import { alertId, RULE_SEVERITY, spanAlertWindow, type Candidate } from './alerts';
import type { RuleSettings } from './config';
import type { DetectorEvent } from './session-rules';

/**
 * Where a user was last seen (item `state#user#<id>`): country → latest event time. Merging is a
 * per-country maximum, so applying an event twice, or events from two shards in any order, gives
 * the same state; no fence is needed.
 */
export interface UserState {
  userId: string;
  countries: Record<string, number>;
  /** Optimistic-lock version of the stored item; 0 when it was never stored. */
  version: number;
}

export interface UserEvaluation {
  /** The state to store, or undefined when nothing worth storing changed. */
  state?: UserState;
  candidates: Candidate[];
}

/** A country's time is rewritten only when it moves by at least this much (saves a write per batch). */
const TIME_RESOLUTION_MS = 60_000;

/**
 * impossible_travel: one user seen in two countries within `travelWindowMinutes` (event time).
 * Events without `user_id` or `country` are not judged. Fires at most once per user per batch.
 */
export function evaluateUser(existing: UserState | undefined, events: readonly DetectorEvent[], rules: RuleSettings): UserEvaluation {
  const candidates: Candidate[] = [];
  const first = events.find(({ event }) => event.user_id !== undefined && event.country !== undefined);
  if (first === undefined) return { candidates };
  const userId = first.event.user_id!;
  const state: UserState = existing === undefined ? { userId, countries: {}, version: 0 } : { ...existing, countries: { ...existing.countries } };
  const windowMs = rules.travelWindowMinutes * 60_000;
  let changed = false;

  for (const { event, sequenceNumber } of events) {
    const country = event.country?.trim().toUpperCase();
    if (country === undefined || country === '' || event.user_id !== userId) continue;
    const time = event.event_time_ms;
    if (candidates.length === 0) {
      const other = Object.entries(state.countries).find(([seen, seenAt]) => seen !== country && Math.abs(time - seenAt) <= windowMs);
      if (other !== undefined) {
        const [otherCountry, otherAt] = other;
        const subjectKey = `user:${userId}`;
        const minutesApart = Math.round(Math.abs(time - otherAt) / 600) / 100;
        candidates.push({
          sequenceNumber,
          alert: {
            alertId: alertId('impossible_travel', subjectKey, event.event_id),
            rule: 'impossible_travel',
            severity: RULE_SEVERITY.impossible_travel,
            subjectKey,
            observed: minutesApart,
            threshold: rules.travelWindowMinutes,
            comparison: 'below',
            window: spanAlertWindow(Math.min(time, otherAt), Math.max(time, otherAt)),
            incidentMs: time,
            sampleEventIds: [event.event_id],
            description: `user ${userId} seen in ${otherCountry} and ${country} ${minutesApart} minutes apart (limit ${rules.travelWindowMinutes} min)`,
            context: { user_id: userId, from_country: otherCountry, to_country: country, session_id: event.session_id },
          },
        });
      }
    }
    const known = state.countries[country];
    if (known === undefined || time - known >= TIME_RESOLUTION_MS) {
      state.countries[country] = Math.max(known ?? 0, time);
      changed = true;
    }
  }
  // Forget countries too old to matter for any future event near the newest one.
  const newest = Math.max(...Object.values(state.countries));
  for (const [country, seenAt] of Object.entries(state.countries)) {
    if (newest - seenAt > 2 * windowMs) {
      delete state.countries[country];
      changed = true;
    }
  }
  return changed ? { state, candidates } : { candidates };
}
