import { contribution, minuteWindow, ttlAfter, windowStartMs, type ClickstreamEvent, type FencedItem } from '@clickstream/shared';
import { ALL_EVENTS_COUNTER, counterKey, counterName, pageKey, type CounterKey, type PageKey } from './contract';

/**
 * A batch's increments per `page-metrics` and `counters` item. Writes are fenced per item and
 * shard by sequence number, so a redelivered record whose contribution was already written is
 * dropped.
 */
export interface Aggregates {
  pages: FencedItem<PageKey>[];
  counters: FencedItem<CounterKey>[];
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
  for (const { event, sequenceNumber } of events) {
    const windowStart = minuteWindow(event.event_time_ms);
    if (event.page_path !== undefined) {
      const pageViews = event.event_type === 'page_view' ? 1 : 0;
      add(pages, pageKey(event.page_path, windowStart), sequenceNumber, { page_views: pageViews, events: 1 }, aggregateTtlDays);
    }
    add(counters, counterKey(counterName(event.event_type), windowStart), sequenceNumber, { count: 1 }, aggregateTtlDays);
    add(counters, counterKey(ALL_EVENTS_COUNTER, windowStart), sequenceNumber, { count: 1 }, aggregateTtlDays);
  }
  return { pages: [...pages.values()], counters: [...counters.values()] };
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
