import { TrafficFeed } from '../../feed';
import { expectedRejection, Ledger } from '../../ledger';

const NOW = Date.parse('2026-11-22T12:00:00Z');

describe('expected rejections, judged from the bytes by the event contract', () => {
  it.each([
    ['{"event_type":"page_view", "session_id":', 'invalid_json'],
    ['[1]', 'not_an_object'],
    [JSON.stringify({ event_type: 'click', timestamp: '2026-11-22T11:00:00Z' }), 'missing_field'],
    [JSON.stringify({ event_type: 'click', session_id: 's', timestamp: '2026-11-22T13:00:00Z' }), 'future_timestamp'],
    [JSON.stringify({ event_type: 'page_view', session_id: 's', timestamp: '2026-11-22T11:00:00Z' }), 'missing_field'],
    [JSON.stringify({ event_type: 'click', session_id: 's', timestamp: '2026-11-22T11:00:00Z' }), undefined],
    [JSON.stringify({ eventName: 'view_product', sessionId: 's', timestamp: NOW }), undefined],
  ])('%s → %s', (data, reason) => expect(expectedRejection(data, NOW)).toBe(reason));
});

describe('the ledger', () => {
  it('counts what Kinesis accepted by type, minute, session and rejection reason, leaving out failed entries', () => {
    const feed = new TrafficFeed({ seed: 7, eventsPerSecond: 1000, startMs: NOW - 600_000, botShare: 0.05, invalidShare: 0.05, stableUserCountry: true });
    const records = feed.take(2000);
    const ledger = new Ledger();
    ledger.record(records, [0, 1], NOW);
    expect(ledger.failed).toBe(2);
    expect(ledger.accepted + ledger.rejected).toBe(1998);
    expect([...ledger.acceptedByType.values()].reduce((sum, count) => sum + count, 0)).toBe(ledger.accepted);
    expect([...ledger.acceptedByMinute.values()].reduce((sum, count) => sum + count, 0)).toBe(ledger.accepted);
    expect([...ledger.sessionEvents.values()].reduce((sum, count) => sum + count, 0)).toBe(ledger.accepted);
    expect([...ledger.rejectedByReason.values()].reduce((sum, count) => sum + count, 0)).toBe(ledger.rejected);
    expect(ledger.rejected).toBeGreaterThan(0);
    expect(ledger.botSessions.size).toBeGreaterThan(0);
  });
});

describe('the traffic feed', () => {
  it('hands out records in event-time order across batches, sessions spanning batches', () => {
    const feed = new TrafficFeed({ seed: 3, eventsPerSecond: 500, startMs: NOW });
    const first = feed.take(500);
    const second = feed.take(500);
    const all = [...first, ...second];
    expect(all.every((record, index) => index === 0 || record.eventTimeMs >= all[index - 1]!.eventTimeMs)).toBe(true);
    const firstSessions = new Set(first.map((record) => record.sessionId));
    expect(second.some((record) => firstSessions.has(record.sessionId))).toBe(true);
  });

  it('lays sessions out for the requested rate: event time advances about as fast as the records are taken', () => {
    const feed = new TrafficFeed({ seed: 3, eventsPerSecond: 1000, startMs: NOW, warmUpMs: 180_000 });
    expect(feed.take(1)[0]!.eventTimeMs).toBeGreaterThanOrEqual(NOW);
    feed.take(30_000);
    const seconds = (feed.take(1)[0]!.eventTimeMs - NOW) / 1000;
    expect(seconds).toBeGreaterThan(24);
    expect(seconds).toBeLessThan(36);
  });
});
