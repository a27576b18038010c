import { partRange, partSortKey, partWindow, partWriter } from '@clickstream/shared';
import { aggregateEvents, applyRollup, type RollupContribution } from '../../src/aggregate';
import { topPagesKey, TOP_PAGES_PARTITIONS } from '../../src/contract';

const contribution = (sequence: number, pagePath: string, pageView = true): RollupContribution => ({
  sequence: String(sequence).padStart(10, '0'),
  sequenceNumber: String(sequence),
  pagePath,
  pageView,
});

describe('write-sharded parts', () => {
  it('keys a part by minute and writer, and recovers both', () => {
    const key = partSortKey('2026-12-01T12:05', 'shardId-000000000001');
    expect(key).toBe('2026-12-01T12:05#shardId-000000000001');
    expect(partWindow(key)).toBe('2026-12-01T12:05');
    expect(partWriter(key)).toBe('shardId-000000000001');
    expect(partWindow('2026-12-01T12:05')).toBe('2026-12-01T12:05');
    expect(partWriter('2026-12-01T12:05')).toBeUndefined();
  });

  it('covers every part of the range and nothing of the minutes around it', () => {
    const { from, to } = partRange('2026-12-01T12:05', '2026-12-01T12:06');
    const within = (key: string) => key >= from && key <= to;
    expect(within(partSortKey('2026-12-01T12:05', 'shardId-000000000000'))).toBe(true);
    expect(within(partSortKey('2026-12-01T12:06', 'shardId-000000000099#replay'))).toBe(true);
    expect(within('2026-12-01T12:06')).toBe(true);
    expect(within(partSortKey('2026-12-01T12:04', 'shardId-000000000099'))).toBe(false);
    expect(within(partSortKey('2026-12-01T12:07', 'shardId-000000000000'))).toBe(false);
  });

  it('spreads writers over the top-pages partitions of a minute', () => {
    const partitions = new Set(Array.from({ length: 64 }, (_, shard) => topPagesKey('2026-12-01T12:05', `shardId-${String(shard).padStart(12, '0')}`).page_url));
    expect(partitions.size).toBe(TOP_PAGES_PARTITIONS);
    for (const partition of partitions) expect(partition).toMatch(/^top#2026-12-01T12:05#[0-3]$/);
  });
});

describe('applyRollup', () => {
  it('adds page views and events per page and moves the fence', () => {
    const { state, changed } = applyRollup(undefined, [contribution(1, '/a'), contribution(2, '/a', false), contribution(3, '/b')]);
    expect(changed).toBe(true);
    expect(state).toEqual({ fence: '0000000003', views: { '/a': 1, '/b': 1 }, events: { '/a': 2, '/b': 1 }, otherEvents: 0 });
  });

  it('skips what the fence already holds, so a redelivery changes nothing', () => {
    const first = applyRollup(undefined, [contribution(1, '/a'), contribution(2, '/b')]).state;
    expect(applyRollup(first, [contribution(1, '/a'), contribution(2, '/b')])).toEqual({ state: first, changed: false });
    const extended = applyRollup(first, [contribution(2, '/b'), contribution(3, '/b')]);
    expect(extended.state.events).toEqual({ '/a': 1, '/b': 2 });
  });

  it('does not change the state it was given', () => {
    const first = applyRollup(undefined, [contribution(1, '/a')]).state;
    const copy = structuredClone(first);
    applyRollup(first, [contribution(2, '/a')]);
    expect(first).toEqual(copy);
  });

  it('counts pages beyond the page limit in otherEvents only', () => {
    const { state } = applyRollup(undefined, [contribution(1, '/a'), contribution(2, '/b'), contribution(3, '/c'), contribution(4, '/a')], 2);
    expect(state.events).toEqual({ '/a': 2, '/b': 1 });
    expect(state.otherEvents).toBe(1);
  });
});

describe('aggregateEvents', () => {
  it('groups the rollup contributions of a batch by event-time minute, in stream order', () => {
    const at = Date.parse('2026-12-01T12:05:10Z');
    const event = (id: string, ms: number, page: string) =>
      ({ event: { event_id: id, event_type: 'page_view', event_time_ms: ms, page_path: page }, sequenceNumber: id }) as unknown as Parameters<typeof aggregateEvents>[0][number];
    const { rollups } = aggregateEvents([event('1', at, '/a'), event('2', at + 60_000, '/b'), event('3', at + 1000, '/c')], 1);
    expect(rollups.map((rollup) => [rollup.windowStart, rollup.contributions.map((c) => c.pagePath)])).toEqual([
      ['2026-12-01T12:05', ['/a', '/c']],
      ['2026-12-01T12:06', ['/b']],
    ]);
  });
});
