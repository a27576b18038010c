import { eventRevenue, ttlAfter, type ClickstreamEvent } from '@clickstream/shared';
import type { SessionItem } from './contract';
import { SeenEvents, type Sighting } from './seen-events';

/** An accepted event with the identity of the record that carried it. */
export interface SessionEvent {
  event: ClickstreamEvent;
  /** `shardId:sequenceNumber` */
  recordId: string;
}

export interface SessionUpdate {
  /** The item to write, or undefined when nothing changed (every event was seen before). */
  item?: SessionItem;
  /** Per input event, in input order. */
  sightings: Sighting[];
}

export interface SessionOptions {
  sessionTtlDays: number;
  maxSeenEventsPerSession: number;
}

/**
 * Applies a batch's events (in stream order) to a session. Pure: same inputs, same output.
 * Events seen before (redelivered or resent) leave the session untouched.
 */
export function applyToSession(existing: SessionItem | undefined, events: readonly SessionEvent[], options: SessionOptions): SessionUpdate {
  const seen = SeenEvents.decode(existing?.seen_events);
  const sightings: Sighting[] = [];
  let state: MutableSession | undefined = existing === undefined ? undefined : fromItem(existing);
  let changed = false;
  for (const { event, recordId } of events) {
    const sighting = seen.observe(event.event_id, recordId);
    sightings.push(sighting);
    if (sighting !== 'new') continue;
    state = state === undefined ? startSession(event) : addEvent(state, event);
    changed = true;
  }
  if (!changed || state === undefined) return { sightings };
  return { item: toItem(state, seen.encode(options.maxSeenEventsPerSession), options), sightings };
}

interface MutableSession {
  sessionId: string;
  userId?: string;
  firstMs: number;
  lastMs: number;
  eventCount: number;
  pageViews: number;
  entryPage?: string;
  entryPageMs?: number;
  exitPage?: string;
  exitPageMs?: number;
  converted: boolean;
  /** Revenue in whole cents: integer sums are exact, floating-point sums of prices are not. */
  revenueCents: number;
  deviceType?: string;
  country?: string;
}

function startSession(event: ClickstreamEvent): MutableSession {
  return addEvent(
    {
      sessionId: event.session_id,
      firstMs: event.event_time_ms,
      lastMs: event.event_time_ms,
      eventCount: 0,
      pageViews: 0,
      converted: false,
      revenueCents: 0,
    },
    event,
  );
}

function addEvent(state: MutableSession, event: ClickstreamEvent): MutableSession {
  const time = event.event_time_ms;
  if (event.user_id !== undefined && (state.userId === undefined || time >= state.lastMs)) state.userId = event.user_id;
  state.firstMs = Math.min(state.firstMs, time);
  state.lastMs = Math.max(state.lastMs, time);
  state.eventCount += 1;
  if (event.event_type === 'page_view') state.pageViews += 1;
  if (event.page_path !== undefined) {
    if (state.entryPageMs === undefined || time < state.entryPageMs) {
      state.entryPage = event.page_path;
      state.entryPageMs = time;
    }
    if (state.exitPageMs === undefined || time >= state.exitPageMs) {
      state.exitPage = event.page_path;
      state.exitPageMs = time;
    }
  }
  if (event.event_type === 'purchase') state.converted = true;
  state.revenueCents = Math.min(Number.MAX_SAFE_INTEGER, state.revenueCents + Math.round(eventRevenue(event) * 100));
  state.deviceType ??= event.device_type;
  state.country ??= event.country;
  return state;
}

function fromItem(item: SessionItem): MutableSession {
  const state: MutableSession = {
    sessionId: item.session_id,
    firstMs: Date.parse(item.first_event_at),
    lastMs: Date.parse(item.last_event_at),
    eventCount: item.event_count,
    pageViews: item.page_views,
    converted: item.converted,
    revenueCents: Math.round(item.revenue * 100),
  };
  if (item.user_id !== undefined) state.userId = item.user_id;
  if (item.entry_page !== undefined && item.entry_page_at !== undefined) {
    state.entryPage = item.entry_page;
    state.entryPageMs = Date.parse(item.entry_page_at);
  }
  if (item.exit_page !== undefined && item.exit_page_at !== undefined) {
    state.exitPage = item.exit_page;
    state.exitPageMs = Date.parse(item.exit_page_at);
  }
  if (item.device_type !== undefined) state.deviceType = item.device_type;
  if (item.country !== undefined) state.country = item.country;
  return state;
}

function toItem(state: MutableSession, seenEvents: Uint8Array, options: SessionOptions): SessionItem {
  const item: SessionItem = {
    session_id: state.sessionId,
    first_event_at: new Date(state.firstMs).toISOString(),
    last_event_at: new Date(state.lastMs).toISOString(),
    duration_seconds: Math.round((state.lastMs - state.firstMs) / 1000),
    event_count: state.eventCount,
    page_views: state.pageViews,
    // A single-page session (at most one page view) is a bounce.
    is_bounce: state.pageViews <= 1,
    converted: state.converted,
    revenue: state.revenueCents / 100,
    ttl: ttlAfter(state.lastMs, { days: options.sessionTtlDays }),
    seen_events: seenEvents,
  };
  if (state.userId !== undefined) item.user_id = state.userId;
  if (state.entryPage !== undefined && state.entryPageMs !== undefined) {
    item.entry_page = state.entryPage;
    item.entry_page_at = new Date(state.entryPageMs).toISOString();
  }
  if (state.exitPage !== undefined && state.exitPageMs !== undefined) {
    item.exit_page = state.exitPage;
    item.exit_page_at = new Date(state.exitPageMs).toISOString();
  }
  if (state.deviceType !== undefined) item.device_type = state.deviceType;
  if (state.country !== undefined) item.country = state.country;
  return item;
}
