import { minuteWindow, sequenceKey, ttlAfter, type ClickstreamEvent } from '@clickstream/shared';

/**
 * One record's share of an aggregate item. Writes are fenced per item and shard by sequence
 * number, so a redelivered record whose contribution was already written is dropped.
 */
export interface Contribution {
  /** `sequenceKey` of the record: compares numerically as a plain string. */
  sequence: string;
  /** The raw sequence number, reported back to Lambda on failure. */
  sequenceNumber: string;
  increments: Record<string, number>;
}

/** An item of `page-metrics` or `counters` and the contributions of one batch to it. */
export interface AggregateItem {
  key: Record<string, string>;
  ttl: number;
  contributions: Contribution[];
}

export interface Aggregates {
  pages: AggregateItem[];
  counters: AggregateItem[];
}

export interface AggregatedEvent {
  event: ClickstreamEvent;
  sequenceNumber: string;
}

/** `counters` metric name of an event type; `events#all` counts every accepted event. */
export const counterName = (eventType: string): string => `events#${eventType}`;
export const ALL_EVENTS_COUNTER = counterName('all');

/**
 * Folds a batch's events (stream order) into page and counter items by event-time minute.
 * Pure and cheap: one map lookup per item an event touches.
 */
export function aggregateEvents(events: readonly AggregatedEvent[], aggregateTtlDays: number): Aggregates {
  const pages = new Map<string, AggregateItem>();
  const counters = new Map<string, AggregateItem>();
  for (const { event, sequenceNumber } of events) {
    const windowStart = minuteWindow(event.event_time_ms);
    const sequence = sequenceKey(sequenceNumber);
    if (event.page_path !== undefined) {
      const pageViews = event.event_type === 'page_view' ? 1 : 0;
      add(pages, { page_url: event.page_path, window_start: windowStart }, sequence, sequenceNumber, { page_views: pageViews, events: 1 }, aggregateTtlDays);
    }
    add(counters, { metric_name: counterName(event.event_type), window_start: windowStart }, sequence, sequenceNumber, { count: 1 }, aggregateTtlDays);
    add(counters, { metric_name: ALL_EVENTS_COUNTER, window_start: windowStart }, sequence, sequenceNumber, { count: 1 }, aggregateTtlDays);
  }
  return { pages: [...pages.values()], counters: [...counters.values()] };
}

function add(
  items: Map<string, AggregateItem>,
  key: Record<string, string>,
  sequence: string,
  sequenceNumber: string,
  increments: Record<string, number>,
  ttlDays: number,
): void {
  const keyValues = Object.values(key);
  const mapKey = keyValues.join('\u0000');
  let item = items.get(mapKey);
  if (item === undefined) {
    item = { key, ttl: ttlAfter(Date.parse(`${keyValues[1]}:00Z`), ttlDays), contributions: [] };
    items.set(mapKey, item);
  }
  item.contributions.push({ sequence, sequenceNumber, increments });
}

/** Sums contributions into one set of increments. */
export function sumIncrements(contributions: readonly Contribution[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const { increments } of contributions) {
    for (const [name, value] of Object.entries(increments)) total[name] = (total[name] ?? 0) + value;
  }
  return total;
}
