import { BROWSER_UA, MOBILE_UA, type RawEvent } from './records';

/** mulberry32: a tiny seeded PRNG, so generated traffic is the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const USER_AGENTS = [
  BROWSER_UA,
  MOBILE_UA,
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
];
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'NL', 'ES'];
const BROWSING = ['page_view', 'page_view', 'product_view', 'product_view', 'search', 'click', 'add_to_cart'] as const;

export interface TrafficOptions {
  startMs: number;
  minutes: number;
  /** New sessions per minute. */
  sessionsPerMinute: number;
  seed: number;
  /** Share of events that are `error` (default 2 %). */
  errorShare?: number;
  /** An outage: from `fromMs` to `toMs` (event time) this share of events are errors instead. */
  incident?: { fromMs: number; toMs: number; errorShare: number };
}

/**
 * Demo-like shop traffic: sessions that browse 4–14 events a few seconds apart, a fifth of them
 * going on to checkout and purchase; browsers only, one country per user, some logged in.
 * Returned in event-time order.
 */
export function generateTraffic(options: TrafficOptions): RawEvent[] {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const events: RawEvent[] = [];
  let sessionNumber = 0;
  const endMs = options.startMs + options.minutes * 60_000;
  for (let minute = 0; minute < options.minutes; minute++) {
    for (let index = 0; index < options.sessionsPerMinute; index++) {
      sessionNumber++;
      const sessionId = `s-${options.seed}-${sessionNumber}`;
      const userNumber = Math.floor(random() * 400);
      const loggedIn = random() < 0.5;
      const context = {
        session_id: sessionId,
        user_agent: pick(USER_AGENTS),
        country: COUNTRIES[userNumber % COUNTRIES.length],
        device_type: random() < 0.5 ? 'desktop' : 'mobile',
        ...(loggedIn ? { user_id: `user-${userNumber}` } : {}),
      };
      let at = options.startMs + minute * 60_000 + Math.floor(random() * 60_000);
      const length = 4 + Math.floor(random() * 11);
      const types: string[] = Array.from({ length }, () => pick(BROWSING));
      types[0] = 'page_view';
      if (random() < 0.2) types.push('checkout', 'purchase');
      for (let step = 0; step < types.length && at < endMs; step++) {
        const { incident } = options;
        const errorShare = incident !== undefined && at >= incident.fromMs && at < incident.toMs ? incident.errorShare : (options.errorShare ?? 0.02);
        const type = random() < errorShare ? 'error' : types[step]!;
        events.push({
          event_id: `${sessionId}-${step}`,
          event_type: type,
          timestamp: new Date(at).toISOString(),
          page_url: `https://shop.example.com/p/${Math.floor(random() * 50)}`,
          ...context,
          ...(type === 'purchase' ? { value: Math.round(random() * 20_000) / 100 } : {}),
        });
        at += 2_000 + Math.floor(random() * 30_000);
      }
    }
  }
  return events.sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
}
