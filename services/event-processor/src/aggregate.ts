import { contribution, minuteWindow, sequenceKey, ttlAfter, windowStartMs, type ClickstreamEvent, type FencedItem } from '@clickstream/shared';
import { ALL_EVENTS_COUNTER, counterKey, counterName, pageKey, type CounterKey, type PageKey } from './contract';

/**
 * A batch's increments per `page-metrics` and `counters` item. Writes are fenced per item and
 * shard by sequence number, so a redelivered record whose contribution was already written is
 * dropped.
 */
export interface Aggregates {
  pages: FencedItem<PageKey>[];
  counters: FencedItem<CounterKey>[];
  /** Per event-time minute, the page views and events of every page: the top-pages rollup's share of the batch. */
  rollups: TopPagesRollup[];
}

/** One record's share of a minute's top-pages rollup. */
export interface RollupContribution {
  /** `sequenceKey` of the record. */
  sequence: string;
  sequenceNumber: string;
  pagePath: string;
  pageView: boolean;
}

/** A minute's top-pages rollup contributions of one batch, in stream order. */
export interface TopPagesRollup {
  windowStart: string;
  ttl: number;
  contributions: RollupContribution[];
}

export interface AggregatedEvent {
  event: ClickstreamEvent;
  sequenceNumber: string;
}

/**
 * Folds a batch's events (stream order) into page and counter items by event-time minute.
 * Pure and cheap: one map lookup per item an event touches.
 */
export function aggregateEvents(events: readonly AggregatedEvent[], aggregateTtlDays: number): Aggregates {
  const pages = new Map<string, FencedItem<PageKey>>();
  const counters = new Map<string, FencedItem<CounterKey>>();
  const rollups = new Map<string, TopPagesRollup>();
  for (const { event, sequenceNumber } of events) {
    const windowStart = minuteWindow(event.event_time_ms);
    if (event.page_path !== undefined) {
      const pageView = event.event_type === 'page_view';
      add(pages, pageKey(event.page_path, windowStart), sequenceNumber, { page_views: pageView ? 1 : 0, events: 1 }, aggregateTtlDays);
      let rollup = rollups.get(windowStart);
      if (rollup === undefined) {
        rollup = { windowStart, ttl: ttlAfter(windowStartMs(windowStart), { days: aggregateTtlDays }), contributions: [] };
        rollups.set(windowStart, rollup);
      }
      rollup.contributions.push({ sequence: sequenceKey(sequenceNumber), sequenceNumber, pagePath: event.page_path, pageView });
    }
    add(counters, counterKey(counterName(event.event_type), windowStart), sequenceNumber, { count: 1 }, aggregateTtlDays);
    add(counters, counterKey(ALL_EVENTS_COUNTER, windowStart), sequenceNumber, { count: 1 }, aggregateTtlDays);
  }
  return { pages: [...pages.values()], counters: [...counters.values()], rollups: [...rollups.values()] };
}

function add<K extends PageKey | CounterKey>(items: Map<string, FencedItem<K>>, key: K, sequenceNumber: string, increments: Record<string, number>, ttlDays: number): void {
  const mapKey = Object.values(key).join('\u0000');
  let item = items.get(mapKey);
  if (item === undefined) {
    item = { key, ttl: ttlAfter(windowStartMs(key.window_start), { days: ttlDays }), contributions: [] };
    items.set(mapKey, item);
  }
  item.contributions.push(contribution(sequenceNumber, increments));
}

/** A writer's top-pages rollup of one minute, as stored. */
export interface RollupState {
  /** `sequenceKey` of the last record applied (the writer's fence); undefined before the first write. */
  fence?: string;
  views: Record<string, number>;
  events: Record<string, number>;
  /** Events of pages that did not fit the rollup's page limit. */
  otherEvents: number;
}

/** Pages one rollup part holds at most (about 100 bytes each: the item stays far below DynamoDB's 400 KB). */
export const MAX_ROLLUP_PAGES = 1000;

/**
 * Adds the contributions beyond the stored fence to a rollup part. Pure. Pages beyond
 * `maxPages` count in `otherEvents` only (they still have their per-page items); which pages fit
 * depends only on the stored part and the contributions, so a redelivery decides the same way.
 */
export function applyRollup(current: RollupState | undefined, contributions: readonly RollupContribution[], maxPages = MAX_ROLLUP_PAGES): { state: RollupState; changed: boolean } {
  const state: RollupState = { views: { ...current?.views }, events: { ...current?.events }, otherEvents: current?.otherEvents ?? 0, ...(current?.fence === undefined ? {} : { fence: current.fence }) };
  let pages = Object.keys(state.events).length;
  let changed = false;
  for (const { sequence, pagePath, pageView } of contributions) {
    if (state.fence !== undefined && sequence <= state.fence) continue;
    state.fence = sequence;
    changed = true;
    if (state.events[pagePath] === undefined) {
      if (pages >= maxPages) {
        state.otherEvents++;
        continue;
      }
      pages++;
    }
    state.events[pagePath] = (state.events[pagePath] ?? 0) + 1;
    if (pageView) state.views[pagePath] = (state.views[pagePath] ?? 0) + 1;
  }
  return { state, changed };
}
