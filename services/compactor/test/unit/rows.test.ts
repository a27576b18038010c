import type { ArchiveLine } from '@clickstream/shared';
import { FreshnessHistogram, judge, QualityAccumulator } from '../../src/quality';
import { compareRows, isPreferredCopy, StringInterner, toCuratedRow, unknownFields } from '../../src/rows';

const line = (overrides: Partial<ArchiveLine> = {}): ArchiveLine => ({
  schema_version: 1,
  event_id: 'evt-1',
  event_type: 'purchase',
  session_id: 's-1',
  timestamp: '2026-11-22T14:03:05.120+01:00',
  event_time: '2026-11-22T13:03:05.120Z',
  page_url: 'https://shop.example.com/checkout/complete?x=1',
  page_path: '/checkout/complete',
  ip_address: '203.0.113.9',
  product: { id: 'sku-1', name: 'Boots', price: 120 },
  value: 120,
  received_at: '2026-11-22T13:03:06.000Z',
  shard_id: 'shardId-000000000001',
  sequence_number: '49600000000000000000000000000000000000000000000000000001',
  ...overrides,
});

describe('which copy is kept', () => {
  const origin = (receivedAtMs: number, shardId = 'shardId-000000000001', sequenceNumber = '100') => ({ receivedAtMs, shardId, sequenceNumber });

  it.each([
    ['the earlier arrival', origin(1000), origin(2000), true],
    ['not the later arrival', origin(2000), origin(1000), false],
    ['at the same instant, the lower shard', origin(1000, 'shardId-000000000000'), origin(1000), true],
    ['on one shard, the lower sequence number (numerically)', origin(1000, undefined, '99'), origin(1000, undefined, '100'), true],
    ['not the same copy again', origin(1000), origin(1000), false],
  ] as const)('%s', (_, candidate, kept, preferred) => {
    expect(isPreferredCopy(candidate, kept)).toBe(preferred);
  });
});

describe('curated rows', () => {
  it('types the archive line: epoch-ms times, nulls for absent fields, no transport fields or IP address', () => {
    expect(toCuratedRow(line({ user_id: undefined }))).toEqual({
      event_id: 'evt-1',
      event_type: 'purchase',
      session_id: 's-1',
      user_id: null,
      event_time: Date.parse('2026-11-22T13:03:05.120Z'),
      received_at: Date.parse('2026-11-22T13:03:06.000Z'),
      page_url: 'https://shop.example.com/checkout/complete?x=1',
      page_path: '/checkout/complete',
      referrer: null,
      user_agent: null,
      country: null,
      device_type: null,
      user_login_state: null,
      product: { id: 'sku-1', name: 'Boots', category: null, brand: null, price: 120, discount_price: null },
      value: 120,
    });
  });

  it('sorts by session, event time, then event id', () => {
    const rows = [line({ event_id: 'b', session_id: 's-2' }), line({ event_id: 'c', event_time: '2026-11-22T13:00:00.000Z' }), line({ event_id: 'a', event_time: '2026-11-22T13:00:00.000Z' })].map(toCuratedRow);
    expect(rows.sort(compareRows).map((row) => row.event_id)).toEqual(['a', 'c', 'b']);
  });

  it('names fields the archive line schema does not know', () => {
    expect(unknownFields({ ...line(), search_query: 'boots', product: { id: 'x', colour: 'red' } })).toEqual(['search_query', 'product.colour']);
    expect(unknownFields(line() as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('shares one copy of repeating strings, up to its limit', () => {
    const interner = new StringInterner(1);
    const a = interner.row(toCuratedRow(line({ user_agent: ['Mozilla', '5.0'].join('/') })));
    const b = interner.row(toCuratedRow(line({ user_agent: ['Mozilla', '5.0'].join('/') })));
    expect(a.user_agent).toBe(b.user_agent);
    expect(interner.intern('other')).toBe('other');
  });
});

describe('quality figures', () => {
  it('computes freshness quantiles within 10 % in constant memory', () => {
    const histogram = new FreshnessHistogram();
    for (let delay = 1; delay <= 1000; delay++) histogram.add(delay);
    histogram.add(-5_000);
    expect(histogram.quantile(0.5)).toBeGreaterThanOrEqual(500 * 0.9);
    expect(histogram.quantile(0.5)).toBeLessThanOrEqual(500 * 1.1);
    expect(histogram.quantile(0.99)).toBeGreaterThanOrEqual(990 * 0.9);
    expect(histogram.quantile(0.99)).toBeLessThanOrEqual(1000);
    expect(histogram.quantile(0)).toBe(0);
    expect(histogram.max).toBe(1000);
  });

  it('counts raw lines, kept rows, nulls, late events, unknown fields and quarantine reasons', () => {
    const hourEnd = Date.parse('2026-11-22T14:00:00.000Z');
    const figures = new QualityAccumulator(hourEnd);
    figures.rawLine([]);
    figures.rawLine(['search_query']);
    figures.rawLine([]);
    figures.keptRow(toCuratedRow(line()));
    figures.keptRow(toCuratedRow(line({ event_id: 'evt-2', product: undefined, received_at: '2026-11-22T14:02:00.000Z' })));
    figures.quarantined('invalid_json');
    figures.quarantined('invalid_json');
    const result = figures.figures();
    expect(result).toMatchObject({ raw_lines: 3, curated_rows: 2, duplicates_removed: 1, malformed_lines: 0, late_events: 1, unknown_fields: { search_query: 1 }, quarantine_by_reason: { invalid_json: 2 } });
    expect(result.null_counts).toMatchObject({ product: 1, user_id: 2, event_id: 0 });
    expect(judge(result, 2, 300_000)).toEqual({ countsAgree: true, countDifference: 0, freshnessBreached: true });
    expect(judge(result, 3, 3_600_000)).toEqual({ countsAgree: false, countDifference: 1, freshnessBreached: false });
    expect(judge(result, null, 3_600_000).countsAgree).toBeNull();
  });
});
