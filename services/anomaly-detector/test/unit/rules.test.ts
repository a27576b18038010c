import { decodeEvent, type ClickstreamEvent } from '@clickstream/shared';
import { botSignature } from '../../src/bot';
import { DEFAULT_RULE_SETTINGS, type RuleSettings } from '../../src/config';
import { evaluateSession, type DetectorEvent, type SessionState } from '../../src/session-rules';
import { judgeClosedMinutes, planClosure, type MinuteCounts } from '../../src/traffic-rules';
import { evaluateUser } from '../../src/travel-rule';
import { BROWSER_UA, event, GOOGLEBOT_UA, SequenceClock, T0, type RawEvent } from '../support/records';

const rules: RuleSettings = { ...DEFAULT_RULE_SETTINGS };
const validation = { nowMs: T0 + 3_600_000, maxFutureSkewMs: 300_000, maxEventAgeMs: 7 * 86_400_000, maxRecordBytes: 1_048_576 };

function detectorEvents(raws: readonly RawEvent[], clock = new SequenceClock(), shardId = 'shardId-000000000000'): DetectorEvent[] {
  return raws.map((raw) => {
    const sequenceNumber = clock.take();
    const result = decodeEvent(Buffer.from(JSON.stringify(raw)), { shardId, sequenceNumber }, validation);
    if (!result.ok) throw new Error(`fixture rejected: ${result.message}`);
    return { event: result.event as ClickstreamEvent, shardId, sequenceNumber };
  });
}

/** Runs a session's events through the rules in batches of `batchSize`, carrying state over. */
function runSession(raws: readonly RawEvent[], batchSize: number, settings: RuleSettings = rules) {
  const clock = new SequenceClock();
  const all = detectorEvents(raws, clock);
  let state: SessionState | undefined;
  const fired: string[] = [];
  for (let start = 0; start < all.length; start += batchSize) {
    const evaluation = evaluateSession(state, all.slice(start, start + batchSize), settings);
    if (evaluation.state) state = { ...evaluation.state, version: (state?.version ?? 0) + 1 };
    fired.push(...evaluation.candidates.map(({ alert }) => alert.rule));
  }
  return { fired, state };
}

const evenly = (count: number, spanMs: number, extra: RawEvent = {}) =>
  Array.from({ length: count }, (_, index) => event({ at: T0 + Math.floor((index * spanMs) / count), ...extra }));

describe('session_rate: more than N events in one event-time minute for a session', () => {
  describe.each([
    { case: '50 events in a minute is at the limit', events: evenly(50, 59_000), batchSize: 100, fires: 0 },
    { case: '51 events in a minute fires', events: evenly(51, 59_000), batchSize: 100, fires: 1 },
    { case: '51 events split over batches of 7 fires once', events: evenly(51, 59_000), batchSize: 7, fires: 1 },
    { case: '200 events in a minute fires once', events: evenly(200, 59_000), batchSize: 25, fires: 1 },
    { case: '90 events over 2 minutes stays under the limit', events: evenly(90, 119_000), batchSize: 10, fires: 0 },
    { case: '60 events in each of 3 minutes fires per minute (cooldown dedupes later)', events: evenly(180, 179_000), batchSize: 50, fires: 3 },
  ])('$case', ({ events, batchSize, fires }) => {
    it(`raises ${fires} candidate(s)`, () => {
      const { fired } = runSession(events, batchSize);
      expect(fired.filter((rule) => rule === 'session_rate')).toHaveLength(fires);
    });
  });

  it('reports the minute, the observed count and the threshold', () => {
    const evaluation = evaluateSession(undefined, detectorEvents(evenly(60, 59_000)), rules);
    const alert = evaluation.candidates.find(({ alert }) => alert.rule === 'session_rate')!.alert;
    expect(alert).toMatchObject({ subjectKey: 'session:session-1', observed: 60, threshold: 50, window: { start: '2026-11-22T10:00:00.000Z', seconds: 60 } });
    expect(alert.sampleEventIds.length).toBeGreaterThan(0);
  });

  it('honours a configured threshold', () => {
    expect(runSession(evenly(11, 59_000), 100, { ...rules, sessionRatePerMinute: 10 }).fired).toContain('session_rate');
  });

  it('does not count a redelivered batch twice', () => {
    const batch = detectorEvents(evenly(30, 50_000));
    const first = evaluateSession(undefined, batch, rules);
    const again = evaluateSession({ ...first.state!, version: 1 }, batch, rules);
    expect(again.sightings.every((sighting) => sighting === 'redelivered')).toBe(true);
    expect(again.state).toBeUndefined();
    expect(again.candidates).toHaveLength(0);
  });

  it('drops producer resends (same event id, new record)', () => {
    const raws = evenly(30, 50_000);
    const clock = new SequenceClock();
    const first = evaluateSession(undefined, detectorEvents(raws, clock), rules);
    const resent = evaluateSession({ ...first.state!, version: 1 }, detectorEvents(raws, clock), rules);
    expect(resent.sightings.every((sighting) => sighting === 'duplicate')).toBe(true);
    expect(resent.state!.minuteCounts['2026-11-22T10:00']).toBe(30);
  });
});

describe('bot_user_agent: isbot recognizes the user agent', () => {
  describe.each([
    { userAgent: GOOGLEBOT_UA, signature: 'googlebot' },
    { userAgent: 'curl/8.5.0', signature: 'curl' },
    { userAgent: 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', signature: 'bingbot' },
    { userAgent: 'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)', signature: 'ahrefsbot' },
    { userAgent: 'python-requests/2.32.3', signature: 'python-requests' },
    { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36', signature: 'headlesschrome' },
    { userAgent: BROWSER_UA, signature: null },
    { userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', signature: null },
  ])('$userAgent', ({ userAgent, signature }) => {
    it(signature === null ? 'is a browser: no alert' : `is bot "${signature}": one alert per session`, () => {
      expect(botSignature(userAgent)).toBe(signature);
      const { fired } = runSession(evenly(5, 10_000, { user_agent: userAgent }), 2);
      expect(fired.filter((rule) => rule === 'bot_user_agent')).toHaveLength(signature === null ? 0 : 1);
    });
  });

  it('is not judged without a user agent', () => {
    const { fired } = runSession(evenly(5, 10_000, { user_agent: undefined }), 5);
    expect(fired).not.toContain('bot_user_agent');
  });

  it('waits for the configured number of bot events', () => {
    expect(runSession(evenly(2, 10_000, { user_agent: 'curl/8.5.0' }), 1, { ...rules, botMinEvents: 3 }).fired).not.toContain('bot_user_agent');
    expect(runSession(evenly(3, 10_000, { user_agent: 'curl/8.5.0' }), 1, { ...rules, botMinEvents: 3 }).fired).toContain('bot_user_agent');
  });
});

describe('checkout_without_browsing: checkout or purchase with fewer than 3 prior events', () => {
  const session = (types: string[]) => types.map((event_type, index) => event({ event_type, at: T0 + index * 5_000, page_url: 'https://shop.example.com/cart' }));
  describe.each([
    { types: ['checkout'], fires: 1 },
    { types: ['page_view', 'purchase'], fires: 1 },
    { types: ['page_view', 'product_view', 'checkout', 'purchase'], fires: 1 },
    { types: ['page_view', 'product_view', 'add_to_cart', 'checkout', 'purchase'], fires: 0 },
    { types: ['page_view', 'search', 'product_view', 'product_view', 'add_to_cart', 'checkout'], fires: 0 },
    { types: ['page_view', 'page_view', 'page_view'], fires: 0 },
  ])('$types', ({ types, fires }) => {
    it.each([1, 2, 10])(`raises ${fires} in batches of %i`, (batchSize) => {
      expect(runSession(session(types), batchSize).fired.filter((rule) => rule === 'checkout_without_browsing')).toHaveLength(fires);
    });
  });
});

describe('traffic_anomaly and error_rate: closed minutes against the learned baseline', () => {
  const minute = (index: number) => new Date(T0 + index * 60_000).toISOString().slice(0, 16);
  function judge(series: Array<[events: number, errors?: number]>, settings: RuleSettings = rules) {
    const counts = new Map<string, MinuteCounts>(series.map(([events, errors = 0], index) => [minute(index), { events, errors }]));
    const plan = { fromMinute: minute(0), toMinute: minute(series.length - 1), baseline: { mean: 0, variance: 0, samples: 0, version: 0 } };
    return judgeClosedMinutes(plan, counts, settings).alerts.map((alert) => `${alert.rule}:${alert.subjectKey}@${alert.context.minute}`);
  }
  const steady = (minutes: number, level = 200): Array<[number]> => Array.from({ length: minutes }, (_, index) => [level + ((index * 7) % 13) - 6]);

  describe.each([
    { case: 'steady traffic', series: steady(30), expected: [] },
    { case: 'a 3x spike after 20 steady minutes', series: [...steady(20), [600]], expected: [`traffic_anomaly:traffic:spike@${minute(20)}`] },
    { case: 'a drop to a tenth', series: [...steady(20), [20]], expected: [`traffic_anomaly:traffic:drop@${minute(20)}`] },
    { case: 'a silent minute inside steady traffic', series: [...steady(15), [0]], expected: [`traffic_anomaly:traffic:drop@${minute(15)}`] },
    { case: 'a spike before enough history (silent)', series: [...steady(5), [600]], expected: [] },
    { case: 'a +20% wobble', series: [...steady(20), [240]], expected: [] },
    { case: 'a +40% jump: significant but under the minimum change', series: [...steady(20), [280]], expected: [] },
    { case: 'a spike in tiny traffic (under the minimum volume)', series: [...steady(20, 2), [25]], expected: [] },
  ])('$case', ({ series, expected }) => {
    it(`raises ${expected.length}`, () => {
      expect(judge(series as Array<[number]>).filter((alert) => alert.startsWith('traffic'))).toEqual(expected);
    });
  });

  describe.each([
    { case: '5% errors', events: 200, errors: 10, fires: false },
    { case: '10% errors is at the limit', events: 200, errors: 20, fires: false },
    { case: '25% errors', events: 200, errors: 50, fires: true },
    { case: '100% errors under the minimum volume', events: 30, errors: 30, fires: false },
    { case: '60% errors at the minimum volume', events: 50, errors: 30, fires: true },
  ])('error_rate: $case', ({ events, errors, fires }) => {
    it(fires ? 'fires' : 'stays quiet', () => {
      expect(judge([[events, errors]]).filter((alert) => alert.startsWith('error_rate'))).toHaveLength(fires ? 1 : 0);
    });
  });

  it('closes a minute only once the watermark (minus the grace) has passed it', () => {
    const stored = { cursorMinute: minute(-1), mean: 0, variance: 0, samples: 0, version: 1 };
    expect(planClosure(stored, { minEventMs: T0, maxEventMs: T0 + 150_000 }, T0 + 10 * 60_000, 120_000)).toBeUndefined();
    expect(planClosure(stored, { minEventMs: T0, maxEventMs: T0 + 185_000 }, T0 + 10 * 60_000, 120_000)?.range).toMatchObject({ fromMinute: minute(0), toMinute: minute(0) });
    expect(planClosure({ ...stored, cursorMinute: minute(0) }, { minEventMs: T0, maxEventMs: T0 + 185_000 }, T0 + 600_000, 120_000)).toBeUndefined();
  });

  it('starts history at the minute before the first event', () => {
    expect(planClosure(undefined, { minEventMs: T0 + 5_000, maxEventMs: T0 + 30_000 }, T0 + 60_000, 120_000)).toEqual({
      baseline: { cursorMinute: minute(-1), mean: 0, variance: 0, samples: 0, version: 0 },
      restarted: true,
    });
  });

  it('never lets a clock-skewed event close minutes ahead of the wall clock', () => {
    const stored = { cursorMinute: minute(-1), mean: 0, variance: 0, samples: 0, version: 1 };
    expect(planClosure(stored, { minEventMs: T0, maxEventMs: T0 + 10 * 60_000 }, T0 + 60_000, 0)?.range).toMatchObject({ toMinute: minute(0) });
  });

  it('restarts learning after a long silence', () => {
    const plan = planClosure({ cursorMinute: minute(0), mean: 200, variance: 100, samples: 50, version: 3 }, { minEventMs: T0 + 5 * 3_600_000, maxEventMs: T0 + 5 * 3_600_000 + 200_000 }, T0 + 6 * 3_600_000, 0)!;
    expect(plan).toMatchObject({ restarted: true, baseline: { samples: 0, version: 3, cursorMinute: minute(299) } });
    expect(plan.range).toMatchObject({ fromMinute: minute(300), toMinute: minute(302) });
  });
});

describe('impossible_travel: one user in two countries within 30 minutes', () => {
  const at = (minutes: number) => T0 + minutes * 60_000;
  describe.each([
    { case: 'DE then FR 10 minutes later', visits: [['DE', 0], ['FR', 10]], fires: 1 },
    { case: 'DE then FR 45 minutes later', visits: [['DE', 0], ['FR', 45]], fires: 0 },
    { case: 'DE all along', visits: [['DE', 0], ['DE', 5], ['DE', 20]], fires: 0 },
    { case: 'FR arrives late (out of order) but within the window', visits: [['DE', 20], ['FR', 5]], fires: 1 },
    { case: 'lower-case country is the same country', visits: [['de', 0], ['DE', 3]], fires: 0 },
  ] as Array<{ case: string; visits: Array<[string, number]>; fires: number }>)('$case', ({ visits, fires }) => {
    it.each([1, 5])(`raises ${fires} with batches of %i`, (batchSize) => {
      const events = detectorEvents(visits.map(([country, minutes], index) => event({ user_id: 'user-7', session_id: `s-${index}`, country, at: at(minutes) })));
      let state;
      let raised = 0;
      for (let start = 0; start < events.length; start += batchSize) {
        const evaluation = evaluateUser(state, events.slice(start, start + batchSize), rules);
        state = evaluation.state ?? state;
        raised += evaluation.candidates.length;
      }
      expect(raised).toBe(fires);
    });
  });

  it('is not judged without a country or a user id', () => {
    const events = detectorEvents([event({ user_id: 'user-8', country: 'DE' }), event({ user_id: 'user-8', country: undefined }), event({ country: 'FR' })]);
    expect(evaluateUser(undefined, events, rules).candidates).toHaveLength(0);
  });
});
