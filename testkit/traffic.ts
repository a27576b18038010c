/**
 * A realistic clickstream traffic model: sessions that walk a shop's funnel
 * (page_view → product_view → add_to_cart → checkout → purchase) with dwell times, several
 * pages, countries and devices; optionally bot sessions and invalid records. Seeded, so a
 * benchmark or test sees the same traffic every run.
 */

export interface TrafficOptions {
  seed?: number;
  /** Share of sessions that are bots (fast, headless user agent). */
  botShare?: number;
  /** Share of records that are invalid (malformed JSON, missing fields, future timestamps). */
  invalidShare?: number;
  /** Share of sessions sent as the camelCase e-commerce SDK payload. */
  camelCaseShare?: number;
  /**
   * Give each user one home country (derived from the user id) instead of a random country per
   * session, so that shoppers never look like impossible travel; load tests that verify "no alert
   * but the injected bots" set it. Off by default: it leaves the seeded traffic unchanged.
   */
  stableUserCountry?: boolean;
}

export interface TrafficRecord {
  partitionKey: string;
  data: string;
  /** What the record is, for verification. */
  kind: 'valid' | 'invalid' | 'bot';
  eventType?: string;
  sessionId: string;
  eventTimeMs: number;
  /** The page path the event carries (what page metrics aggregate by), for verification. */
  pagePath?: string;
  /**
   * For hand-made hostile records: what the event contract says the pipeline must do with it,
   * a rejection reason or `accepted`. The ledger takes it as given instead of judging the bytes.
   */
  expected?: string;
}

const PAGES = ['/', '/category/shoes', '/category/bags', '/category/sale', '/search', '/about', '/blog/summer-style', '/help/shipping'] as const;
const PRODUCTS = Array.from({ length: 40 }, (_, index) => ({
  id: `sku-${1000 + index}`,
  name: `Product ${index + 1}`,
  category: ['shoes', 'bags', 'accessories', 'outerwear'][index % 4]!,
  brand: ['Acme', 'Northwind', 'Globex', 'Initech', 'Umbrella'][index % 5]!,
  price: Math.round((15 + ((index * 37) % 185)) * 100) / 100,
}));
const COUNTRIES = ['US', 'US', 'US', 'GB', 'DE', 'FR', 'CA', 'JP', 'BR', 'IN', 'AU', 'NL'] as const;
const DEVICES = ['desktop', 'desktop', 'mobile', 'mobile', 'mobile', 'tablet'] as const;
const USER_AGENTS = {
  desktop: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  mobile: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  tablet: 'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
} as const;
const BOT_AGENT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const HOST = 'https://shop.example.com';

/** Mulberry32: a tiny, fast, seeded PRNG. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SessionPlanEvent {
  type: string;
  page: string;
  product?: (typeof PRODUCTS)[number];
  gapMs: number;
  query?: string;
}

export class TrafficModel {
  private readonly random: () => number;
  private sessionCounter = 0;

  constructor(private readonly options: TrafficOptions = {}) {
    this.random = seededRandom(options.seed ?? 42);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private uuid(): string {
    const hex = () => Math.floor(this.random() * 0x10000).toString(16).padStart(4, '0');
    return `${hex()}${hex()}-${hex()}-4${hex().slice(1)}-a${hex().slice(1)}-${hex()}${hex()}${hex()}`;
  }

  /** One session's records, event times starting at `startMs`. */
  session(startMs: number): TrafficRecord[] {
    const sessionId = `sess-${(this.options.seed ?? 42).toString(36)}-${(this.sessionCounter++).toString(36)}-${this.uuid().slice(0, 8)}`;
    const isBot = this.random() < (this.options.botShare ?? 0);
    const camel = !isBot && this.random() < (this.options.camelCaseShare ?? 0);
    const device = this.pick(DEVICES);
    const sessionCountry = this.pick(COUNTRIES);
    const userId = this.random() < 0.4 ? `user-${Math.floor(this.random() * 5000)}` : undefined;
    const country = this.options.stableUserCountry && userId !== undefined ? COUNTRIES[Number(userId.slice(5)) % COUNTRIES.length]! : sessionCountry;
    const plan = isBot ? this.botPlan() : this.shopperPlan();
    const records: TrafficRecord[] = [];
    let time = startMs;
    for (const step of plan) {
      time += step.gapMs;
      if (!isBot && this.random() < (this.options.invalidShare ?? 0)) {
        records.push({ partitionKey: sessionId, data: this.invalidRecord(sessionId, time), kind: 'invalid', sessionId, eventTimeMs: time });
        continue;
      }
      const canonical: Record<string, unknown> = {
        event_id: this.uuid(),
        event_type: step.type,
        session_id: sessionId,
        timestamp: new Date(time).toISOString(),
        page_url: `${HOST}${step.page}${this.random() < 0.3 ? `?utm_source=${this.pick(['google', 'newsletter', 'instagram'])}` : ''}`,
        referrer: this.random() < 0.5 ? 'https://www.google.com/' : undefined,
        user_agent: isBot ? BOT_AGENT : USER_AGENTS[device],
        ip_address: `203.0.113.${Math.floor(this.random() * 254) + 1}`,
        country,
        device_type: device,
        user_id: userId,
      };
      if (step.product) canonical.product = { ...step.product, discount_price: this.random() < 0.2 ? Math.round(step.product.price * 80) / 100 : undefined };
      if (step.type === 'purchase' && step.product) canonical.value = step.product.price;
      if (step.query) canonical.search_query = step.query;
      records.push({ partitionKey: sessionId, data: JSON.stringify(camel ? toCamelCase(canonical) : canonical), kind: isBot ? 'bot' : 'valid', eventType: step.type, sessionId, eventTimeMs: time, pagePath: step.page });
    }
    return records;
  }

  private shopperPlan(): SessionPlanEvent[] {
    const dwell = () => 2_000 + Math.floor(this.random() * 25_000);
    const steps: SessionPlanEvent[] = [{ type: 'page_view', page: this.pick(PAGES.slice(0, 4)), gapMs: 0 }];
    const browse = 1 + Math.floor(this.random() * 4);
    for (let index = 0; index < browse; index++) {
      const page = this.pick(PAGES);
      steps.push({ type: 'page_view', page, gapMs: dwell() });
      if (page === '/search') steps.push({ type: 'search', page, gapMs: dwell(), query: this.pick(['boots', 'tote', 'scarf', 'sale']) });
      if (this.random() < 0.5) steps.push({ type: 'click', page, gapMs: 500 + Math.floor(this.random() * 3_000) });
      if (this.random() < 0.03) steps.push({ type: 'error', page, gapMs: 200 });
    }
    if (this.random() < 0.3) return steps;
    const product = this.pick(PRODUCTS);
    const productPage = `/p/${product.id}`;
    steps.push({ type: 'page_view', page: productPage, gapMs: dwell() });
    steps.push({ type: 'product_view', page: productPage, product, gapMs: 300 });
    if (this.random() < 0.45) return steps;
    steps.push({ type: 'add_to_cart', page: productPage, product, gapMs: dwell() });
    if (this.random() < 0.1) steps.push({ type: 'remove_from_cart', page: '/cart', product, gapMs: dwell() });
    if (this.random() < 0.4) return steps;
    steps.push({ type: 'page_view', page: '/checkout', gapMs: dwell() });
    steps.push({ type: 'checkout', page: '/checkout', product, gapMs: 1_000 });
    if (this.random() < 0.35) return steps;
    steps.push({ type: 'purchase', page: '/checkout/complete', product, gapMs: dwell() });
    return steps;
  }

  private botPlan(): SessionPlanEvent[] {
    const count = 80 + Math.floor(this.random() * 60);
    return Array.from({ length: count }, (_, index) => ({ type: 'page_view', page: this.pick(PAGES), gapMs: index === 0 ? 0 : 150 + Math.floor(this.random() * 200) }));
  }

  private invalidRecord(sessionId: string, time: number): string {
    switch (Math.floor(this.random() * 4)) {
      case 0:
        return '{"event_type":"page_view", "session_id":';
      case 1:
        return JSON.stringify({ event_type: 'click', timestamp: new Date(time).toISOString() });
      case 2:
        return JSON.stringify({ event_type: 'click', session_id: sessionId, timestamp: new Date(time + 3_600_000).toISOString() });
      default:
        return JSON.stringify({ event_type: 'page_view', session_id: sessionId, timestamp: new Date(time).toISOString() });
    }
  }

  /**
   * `count` records from interleaved sessions, in event-time order, as a stream carries them:
   * new sessions start at `sessionsPerSecond`, so about `sessionsPerSecond` × session length are
   * open at once (9 events over roughly two minutes for a shopper).
   */
  stream(count: number, startMs: number, sessionsPerSecond = 10): TrafficRecord[] {
    const records: TrafficRecord[] = [];
    const gapMs = 1000 / sessionsPerSecond;
    let sessionStart = startMs;
    // Generate a margin of sessions beyond `count` so the earliest `count` records are complete.
    while (records.length < count * 1.5 + 200) {
      records.push(...this.session(Math.round(sessionStart)));
      sessionStart += gapMs;
    }
    return records.sort((a, b) => a.eventTimeMs - b.eventTimeMs).slice(0, count);
  }
}

function toCamelCase(event: Record<string, unknown>): Record<string, unknown> {
  const names: Record<string, string> = { product_view: 'view_product' };
  const product = event.product as Record<string, unknown> | undefined;
  return {
    eventId: event.event_id,
    eventName: names[event.event_type as string] ?? event.event_type,
    sessionId: event.session_id,
    userId: event.user_id,
    timestamp: event.timestamp,
    pageUrl: event.page_url,
    referrer: event.referrer,
    userAgent: event.user_agent,
    ipAddress: event.ip_address,
    country: event.country,
    deviceType: event.device_type,
    userLoginState: event.user_id ? 'logged_in' : 'guest',
    value: event.value,
    product: product && { id: product.id, name: product.name, category: product.category, brand: product.brand, price: product.price, discountPrice: product.discount_price },
  };
}
