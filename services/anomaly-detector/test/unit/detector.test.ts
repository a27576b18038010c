import { createLogger, MetricsLogger, type StreamRecord } from '@clickstream/shared';
import { DEFAULT_DETECTOR_SETTINGS, DEFAULT_RULE_SETTINGS, type DetectorSettings } from '../../src/config';
import { detectBatch, type BatchOutcome, type DetectorOptions } from '../../src/processor';
import { MemoryDetectorStore } from '../support/memory-store';
import { RecordingPublisher } from '../support/publisher';
import { decided, event, GOOGLEBOT_UA, SequenceClock, streamRecords, T0, type RawEvent } from '../support/records';
import { generateTraffic } from '../support/traffic';

const quiet = { logger: createLogger({ service: 'test', level: 'silent' }), metrics: new MetricsLogger('Test', {}, () => undefined) };

/** Feeds events through `detectBatch` in stream batches, with the clock just after each batch. */
class Harness {
  readonly store = new MemoryDetectorStore();
  readonly publisher = new RecordingPublisher();
  readonly clocks = new Map<string, SequenceClock>();
  readonly outcomes: BatchOutcome[] = [];
  settings: DetectorSettings;

  constructor(settings: Partial<DetectorSettings> = {}) {
    this.settings = { ...DEFAULT_DETECTOR_SETTINGS, publishAlerts: true, ...settings };
  }

  options(nowMs: number): DetectorOptions {
    return { settings: this.settings, now: () => nowMs };
  }

  records(events: readonly RawEvent[], shardId = 'shardId-000000000000'): StreamRecord[] {
    let clock = this.clocks.get(shardId);
    if (clock === undefined) this.clocks.set(shardId, (clock = new SequenceClock()));
    return streamRecords(events, clock, shardId);
  }

  async run(records: readonly StreamRecord[], nowMs?: number): Promise<BatchOutcome> {
    const latest = Math.max(...records.map((record) => Date.parse(String(JSON.parse(Buffer.from(record.data).toString() || '{}').timestamp ?? T0)) || T0));
    const outcome = await detectBatch(decided(records), { store: this.store, publisher: this.publisher }, this.options(nowMs ?? latest + 1_000), quiet);
    this.outcomes.push(outcome);
    return outcome;
  }

  /** Streams events in batches of `batchSize` on one shard (event-time order = stream order). */
  async stream(events: readonly RawEvent[], batchSize = 100): Promise<void> {
    for (let start = 0; start < events.length; start += batchSize) await this.run(this.records(events.slice(start, start + batchSize)));
  }
}

const burst = (count: number, spanMs: number, extra: RawEvent) =>
  Array.from({ length: count }, (_, index) => event({ at: T0 + 30 * 60_000 + Math.floor((index * spanMs) / count), ...extra }));
const normal = (minutes: number, seed = 7) => generateTraffic({ startMs: T0, minutes, sessionsPerMinute: 20, seed });

describe('normal demo-like traffic', () => {
  it('raises no alert over 10 simulated minutes', async () => {
    const harness = new Harness();
    const traffic = normal(10);
    await harness.stream(traffic);
    expect(traffic.length).toBeGreaterThan(1_000);
    expect(harness.publisher.published).toEqual([]);
  });

  it.each([7, 11, 23])('raises no alert over 40 minutes with the traffic rule warmed up after 5 (seed %i)', async (seed) => {
    const harness = new Harness({ rules: { ...DEFAULT_RULE_SETTINGS, trafficMinHistoryMinutes: 5 } });
    await harness.stream(normal(40, seed));
    expect(harness.publisher.published.map((alert) => alert.description)).toEqual([]);
    expect(harness.store.baseline?.samples).toBeGreaterThan(30);
  });
});

describe.each([
  {
    rule: 'session_rate',
    crafted: () => [...normal(36), ...burst(70, 55_000, { session_id: 'scraper' })],
    subject: 'session:scraper',
  },
  { rule: 'bot_user_agent', crafted: () => [...normal(36), ...burst(10, 30_000, { session_id: 'crawler-1', user_agent: GOOGLEBOT_UA })], subject: 'bot:googlebot' },
  {
    rule: 'checkout_without_browsing',
    crafted: () => [...normal(36), event({ session_id: 'carder', event_type: 'checkout', at: T0 + 30 * 60_000 }), event({ session_id: 'carder', event_type: 'purchase', at: T0 + 30 * 60_000 + 2_000, value: 999 })],
    subject: 'session:carder',
  },
  {
    rule: 'traffic_anomaly',
    crafted: () => [...normal(36), ...Array.from({ length: 60 }, (_, index) => burst(10, 50_000, { session_id: `flash-sale-${index}` })).flat()],
    subject: 'traffic:spike',
  },
  {
    rule: 'error_rate',
    crafted: () => generateTraffic({ startMs: T0, minutes: 36, sessionsPerMinute: 20, seed: 7, incident: { fromMs: T0 + 30 * 60_000, toMs: T0 + 31 * 60_000, errorShare: 0.3 } }),
    subject: 'errors:all',
  },
  {
    rule: 'impossible_travel',
    crafted: () => [...normal(36), event({ session_id: 'trip-1', user_id: 'traveller', country: 'DE', at: T0 + 30 * 60_000 }), event({ session_id: 'trip-2', user_id: 'traveller', country: 'BR', at: T0 + 34 * 60_000 })],
    subject: 'user:traveller',
  },
])('$rule fires on its crafted stream', ({ rule, crafted, subject }) => {
  const sorted = () => crafted().sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));

  it('raises exactly one alert, for the right subject', async () => {
    const harness = new Harness({ rules: { ...DEFAULT_RULE_SETTINGS, trafficMinHistoryMinutes: 5 } });
    await harness.stream(sorted());
    expect(harness.publisher.published.map((alert) => `${alert.rule} ${alert.subjectKey}`)).toEqual([`${rule} ${subject}`]);
    expect(harness.store.history).toHaveLength(1);
    expect(harness.store.history[0]).toMatchObject({ rule, subject_key: subject, delivery: 'sns' });
  });

  it('raises nothing new when every batch is delivered twice', async () => {
    const harness = new Harness({ rules: { ...DEFAULT_RULE_SETTINGS, trafficMinHistoryMinutes: 5 } });
    const events = sorted();
    for (let start = 0; start < events.length; start += 100) {
      const records = harness.records(events.slice(start, start + 100));
      await harness.run(records);
      await harness.run(records);
    }
    expect(harness.publisher.published.map((alert) => alert.rule)).toEqual([rule]);
  });
});

describe('redelivery and failures', () => {
  it('replaying a batch raises nothing new and does not inflate the rate window or the minute counts', async () => {
    const harness = new Harness();
    const records = harness.records(burst(60, 50_000, { session_id: 'scraper' }));
    const first = await harness.run(records);
    const minutesAfterFirst = structuredClone([...harness.store.minutes.values()].map(({ events }) => events));
    const replay = await harness.run(records);
    expect(first.alerts.map((alert) => alert.rule)).toEqual(['session_rate']);
    expect(replay).toMatchObject({ alerts: [], redelivered: 60, newEvents: 0 });
    expect(harness.store.sessions.get('scraper')!.minuteCounts).toEqual({ '2026-11-22T10:30': 60 });
    expect([...harness.store.minutes.values()].map(({ events }) => events)).toEqual(minutesAfterFirst);
  });

  it('a redelivery from the middle of a batch (partial failure) is counted once', async () => {
    const harness = new Harness();
    const records = harness.records(burst(50, 50_000, { session_id: 'scraper' }));
    await harness.run(records);
    const tail = [...records.slice(25), ...harness.records(burst(1, 1, { session_id: 'scraper', at: T0 + 30 * 60_000 + 51_000 }))];
    const retried = await harness.run(tail);
    expect(retried.alerts.map((alert) => alert.rule)).toEqual(['session_rate']);
    expect(harness.store.sessions.get('scraper')!.minuteCounts['2026-11-22T10:30']).toBe(51);
  });

  it('a failed publish is reported by sequence number and the retry publishes the same alert once', async () => {
    const harness = new Harness();
    const records = harness.records([...burst(3, 1_000, { session_id: 'ok' }), ...burst(2, 1_000, { session_id: 'crawler', user_agent: 'curl/8.5.0' })]);
    harness.publisher.failNext = 1;
    const failed = await harness.run(records);
    expect(failed.failedSequenceNumber).toBe(records[3]!.sequenceNumber);
    expect(harness.store.sessions.has('crawler')).toBe(false);
    expect(harness.store.sessions.has('ok')).toBe(true);

    const retry = await harness.run(records.slice(3));
    expect(retry.failedSequenceNumber).toBeUndefined();
    expect(harness.publisher.published.map((alert) => alert.alertId)).toEqual([failed.alerts[0]?.alertId ?? retry.alerts[0]!.alertId]);
    expect(harness.store.sessions.get('crawler')!.eventCount).toBe(2);
  });

  it('a failed state write is reported and the retry counts each event once', async () => {
    const harness = new Harness();
    const records = harness.records(burst(30, 20_000, { session_id: 'a' }));
    harness.store.failSessionWrites.add('a');
    const failed = await harness.run(records);
    expect(failed.failedSequenceNumber).toBe(records[0]!.sequenceNumber);
    expect([...harness.store.minutes.values()]).toHaveLength(0);
    await harness.run(records);
    await harness.run(records);
    expect(harness.store.sessions.get('a')!.eventCount).toBe(30);
    expect([...harness.store.minutes.values()][0]!.events).toBe(30);
  });

  it('a cooldown keeps a continuing incident to one alert, and the next incident after it alerts again', async () => {
    const harness = new Harness();
    const bot = (minute: number) => burst(60, 50_000, { session_id: 'scraper', at: undefined }).map((raw, index) => ({ ...raw, timestamp: new Date(T0 + minute * 60_000 + index * 800).toISOString() }));
    for (const minute of [0, 1, 2, 5, 14]) await harness.stream(bot(minute));
    expect(harness.publisher.published).toHaveLength(1);
    await harness.stream(bot(15));
    expect(harness.publisher.published.map((alert) => alert.window.start)).toEqual(['2026-11-22T10:00:00.000Z', '2026-11-22T10:15:00.000Z']);
  });

  it('two shards closing the same minutes raise one traffic alert', async () => {
    const harness = new Harness({ rules: { ...DEFAULT_RULE_SETTINGS, trafficMinHistoryMinutes: 5 } });
    await harness.stream(normal(20));
    const spike = Array.from({ length: 600 }, (_, index) => event({ session_id: `fan-${index % 40}`, at: T0 + 20 * 60_000 + index * 90 }));
    await harness.run(harness.records(spike.slice(0, 300), 'shardId-000000000001'));
    await harness.run(harness.records(spike.slice(300), 'shardId-000000000002'));
    const late = (shard: string) => harness.run(harness.records([event({ session_id: `tick-${shard}`, at: T0 + 23 * 60_000 + 30_000 })], shard));
    await Promise.all([late('shardId-000000000001'), late('shardId-000000000002')]);
    expect(harness.publisher.published.filter((alert) => alert.rule === 'traffic_anomaly').map((alert) => alert.subjectKey)).toEqual(['traffic:spike']);
  });
});

describe('bad input', () => {
  it('skips and counts malformed and partial events without failing the batch', async () => {
    const harness = new Harness();
    const good = burst(3, 3_000, { session_id: 'fine' });
    const records = harness.records([good[0]!, 'not json' as unknown as RawEvent, { event_type: 'click' }, good[1]!, { ...good[2]!, timestamp: 'yesterday' }]);
    records[1]!.data = Buffer.from('not json');
    const batch = decided(records);
    expect(batch.rejected.map(({ rejection }) => rejection.reason).sort()).toEqual(['invalid_json', 'invalid_timestamp', 'missing_field']);
    const outcome = await detectBatch(batch, { store: harness.store, publisher: harness.publisher }, harness.options(T0 + 31 * 60_000), quiet);
    expect(outcome).toMatchObject({ accepted: 2, rejected: 3, newEvents: 2 });
    expect(outcome.failedSequenceNumber).toBeUndefined();
  });

  it('a missing user agent or country disables only the rules that need them', async () => {
    const harness = new Harness();
    const events = [
      ...burst(60, 50_000, { session_id: 'no-ua', user_agent: undefined, user_id: 'u1', country: undefined }),
      event({ session_id: 'no-ua-2', user_agent: undefined, user_id: 'u1', country: undefined, event_type: 'checkout', at: T0 + 30 * 60_000 + 55_000 }),
    ];
    await harness.stream(events);
    expect(harness.publisher.rules()).toEqual(['checkout_without_browsing', 'session_rate']);
  });
});
