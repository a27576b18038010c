import { decodeEvent, type ClickstreamEvent, type FencedContribution } from '@clickstream/shared';
import { aggregateEvents } from '../../src/aggregate';
import { ALL_EVENTS_COUNTER } from '../../src/contract';
import { applyToSession } from '../../src/sessions';
import { pageView } from '../../../../testkit/records';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const options = { sessionTtlDays: 30, maxSeenEventsPerSession: 1_000 };

function event(overrides: Record<string, unknown>): ClickstreamEvent {
  const result = decodeEvent(Buffer.from(JSON.stringify(pageView(overrides))), { shardId: 'shardId-0', sequenceNumber: '1' }, { nowMs: NOW, maxFutureSkewMs: 300_000, maxEventAgeMs: 86_400_000, maxRecordBytes: 1_048_576 });
  if (!result.ok) throw new Error(result.message);
  return result.event;
}

function sumIncrements(contributions: readonly FencedContribution[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const { increments } of contributions) for (const [name, value] of Object.entries(increments)) total[name] = (total[name] ?? 0) + value;
  return total;
}

const visit = [
  event({ event_id: 'a', timestamp: '2026-11-22T11:00:00Z', page_url: '/', country: 'DE', device_type: 'mobile', user_id: undefined }),
  event({ event_id: 'b', event_type: 'product_view', timestamp: '2026-11-22T11:00:20Z', page_url: '/p/1', product: { id: '1', price: 40 } }),
  event({ event_id: 'c', timestamp: '2026-11-22T11:00:30Z', page_url: '/p/1' }),
  event({ event_id: 'd', event_type: 'purchase', timestamp: '2026-11-22T11:02:00Z', page_url: '/checkout/done', value: 40.5 }),
];
const records = (events: ClickstreamEvent[], from = 0) => events.map((e, index) => ({ event: e, recordId: `shardId-0:${from + index}` }));

describe('session metrics', () => {
  it('builds the stored session from its events', () => {
    const { item, sightings } = applyToSession(undefined, records(visit), options);
    expect(sightings).toEqual(['new', 'new', 'new', 'new']);
    expect(item).toMatchObject({
      session_id: 'session-1',
      user_id: 'user-1',
      first_event_at: '2026-11-22T11:00:00.000Z',
      last_event_at: '2026-11-22T11:02:00.000Z',
      duration_seconds: 120,
      event_count: 4,
      page_views: 2,
      entry_page: '/',
      exit_page: '/checkout/done',
      is_bounce: false,
      converted: true,
      revenue: 40.5,
      country: 'DE',
      device_type: 'mobile',
      ttl: Math.floor(Date.parse('2026-11-22T11:02:00Z') / 1000) + 30 * 86_400,
    });
  });

  it('places a late event by event time: it becomes the entry page and moves first_event_at', () => {
    const first = applyToSession(undefined, records(visit.slice(1)), options).item;
    const late = event({ event_id: 'early', timestamp: '2026-11-22T10:59:00Z', page_url: '/landing' });
    const { item } = applyToSession(first, records([late], 10), options);
    expect(item).toMatchObject({ entry_page: '/landing', first_event_at: '2026-11-22T10:59:00.000Z', exit_page: '/checkout/done', event_count: 4, duration_seconds: 180 });
  });

  it('ignores a redelivered record and a producer resend of the same event id, telling them apart', () => {
    const stored = applyToSession(undefined, records(visit), options).item;
    const redelivered = applyToSession(stored, records(visit.slice(2), 2), options);
    expect(redelivered).toEqual({ sightings: ['redelivered', 'redelivered'] });
    const resent = applyToSession(stored, records([visit[3]!], 99), options);
    expect(resent).toEqual({ sightings: ['duplicate'] });
  });

  it('counts a resend inside one batch once', () => {
    const { item, sightings } = applyToSession(undefined, records([visit[0]!, visit[0]!]), options);
    expect(sightings).toEqual(['new', 'duplicate']);
    expect(item?.event_count).toBe(1);
    expect(item?.is_bounce).toBe(true);
  });

  it('keeps only the newest ids once a session exceeds its seen-events cap', () => {
    const many = Array.from({ length: 150 }, (_, index) => event({ event_id: `e${index}`, event_type: 'click' }));
    const { item } = applyToSession(undefined, records(many), { ...options, maxSeenEventsPerSession: 100 });
    expect(item?.seen_events?.length).toBe(100 * 12);
    expect(item?.event_count).toBe(150);
  });
});

describe('aggregation', () => {
  it('folds events into page and counter items by event-time minute, with one contribution per record', () => {
    const events = visit.map((e, index) => ({ event: e, sequenceNumber: String(100 + index) }));
    const { pages, counters } = aggregateEvents(events, 90);
    const page = pages.find((item) => item.key.page_url === '/p/1');
    expect(page?.key.window_start).toBe('2026-11-22T11:00');
    expect(sumIncrements(page!.contributions)).toEqual({ page_views: 1, events: 2 });
    expect(page?.contributions.map((c) => c.sequenceNumber)).toEqual(['101', '102']);
    const all = counters.filter((item) => item.key.metric_name === ALL_EVENTS_COUNTER);
    expect(all.map((item) => [item.key.window_start, sumIncrements(item.contributions).count])).toEqual([
      ['2026-11-22T11:00', 3],
      ['2026-11-22T11:02', 1],
    ]);
    expect(counters.find((item) => item.key.metric_name === 'events#purchase')?.ttl).toBe(Date.parse('2026-11-22T11:02:00Z') / 1000 + 90 * 86_400);
  });
});
