import { buildEvent, deviceType, type TrackerEvent } from './events';
import { OfflineQueue, retryDelayMs, type KeyValueStorage } from './queue';
import { touchSession, type SessionState } from './session';

/**
 * The Clickstream browser tracker: no dependencies, a classic script (`window.clickstream`) and
 * an ES module built from this file.
 *
 *   clickstream.init({ endpoint: 'https://collector.example.com' })   // posts to <endpoint>/v1/events
 *   clickstream.track('add_to_cart', { product: { id: 'sku-1', price: 49 } })
 *   clickstream.identify('user-42')
 *
 * Page views are sent on load and on SPA navigation (pushState, replaceState, popstate). Events
 * are batched, sent with fetch (Content-Type text/plain: no CORS preflight), retried with back-off
 * while the collector is unreachable and kept in localStorage meanwhile; when the page is hidden
 * the queue goes out with sendBeacon. Global Privacy Control and `optOut()` stop all tracking.
 */

export interface TrackerOptions {
  /** The collector's base URL (`collectorUrl`); events go to `<endpoint>/v1/events`. */
  endpoint: string;
  writeKey?: string;
  /** How long events wait to be batched (default 1000 ms). */
  flushIntervalMs?: number;
  /** Inactivity that ends a session (default 30). */
  sessionTimeoutMinutes?: number;
  /** Events per request (default 50, at most 500). */
  batchSize?: number;
  /** Unsent events kept, at most (default 1000; the oldest are dropped first). */
  maxQueuedEvents?: number;
  /** Send a page view on init and on every SPA navigation (default true). */
  autoPageViews?: boolean;
  /** Honour `navigator.globalPrivacyControl` (default true). */
  respectGlobalPrivacyControl?: boolean;
}

export interface Clickstream {
  init(options: TrackerOptions): void;
  page(properties?: Record<string, unknown>): void;
  track(eventType: string, properties?: Record<string, unknown>): void;
  identify(userId: string | null): void;
  flush(): Promise<void>;
  optOut(): void;
  optIn(): void;
  readonly optedOut: boolean;
  readonly sessionId: string | undefined;
  readonly queued: number;
}

const KEYS = { session: 'clickstream:session', user: 'clickstream:user', queue: 'clickstream:queue', optOut: 'clickstream:opt-out' } as const;
/** sendBeacon bodies above this are refused by browsers. */
const BEACON_BYTES = 60_000;

export function createTracker(win: Window & typeof globalThis): Clickstream {
  let options: Required<Omit<TrackerOptions, 'writeKey'>> & { writeKey?: string };
  let storage: KeyValueStorage | undefined;
  let queue: OfflineQueue | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | undefined;
  let failures = 0;
  let lastPageUrl: string | undefined;
  let session: SessionState | undefined;

  const read = (key: string) => {
    try {
      return storage?.getItem(key) ?? null;
    } catch {
      return null;
    }
  };
  const write = (key: string, value: string | null) => {
    try {
      if (value === null) storage?.removeItem(key);
      else storage?.setItem(key, value);
    } catch {
      return;
    }
  };
  const uuid = () => (win.crypto?.randomUUID ? win.crypto.randomUUID() : fallbackUuid(win));
  const disabled = () => read(KEYS.optOut) === '1' || (options.respectGlobalPrivacyControl && (win.navigator as Navigator & { globalPrivacyControl?: boolean }).globalPrivacyControl === true);
  const url = () => `${options.endpoint}/v1/events${options.writeKey ? `?writeKey=${encodeURIComponent(options.writeKey)}` : ''}`;

  const currentSession = (nowMs: number): string => {
    if (session === undefined) {
      try {
        session = JSON.parse(read(KEYS.session) ?? 'null') ?? undefined;
      } catch {
        session = undefined;
      }
    }
    session = touchSession(session, nowMs, options.sessionTimeoutMinutes * 60_000, uuid);
    write(KEYS.session, JSON.stringify(session));
    return session.id;
  };

  const schedule = (delayMs: number) => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      void tracker.flush();
    }, delayMs);
  };

  const enqueue = (eventType: string, properties: Record<string, unknown> | undefined) => {
    if (queue === undefined || disabled()) return;
    const nowMs = Date.now();
    const userId = read(KEYS.user) ?? undefined;
    const event = buildEvent(eventType, properties, {
      eventId: uuid(),
      sessionId: currentSession(nowMs),
      nowMs,
      pageUrl: win.location.href,
      ...(win.document.referrer ? { referrer: win.document.referrer } : {}),
      ...(userId ? { userId } : {}),
      deviceType: deviceType(win.navigator.userAgent),
    });
    queue.push(event);
    if (queue.size >= options.batchSize && failures === 0) void tracker.flush();
    else schedule(failures === 0 ? options.flushIntervalMs : retryDelayMs(failures, undefined, Math.random));
  };

  /** One request with the oldest queued events; resolves true when the collector took them. */
  const send = async (batch: TrackerEvent[]): Promise<{ ok: boolean; retryAfter?: number; drop?: boolean }> => {
    try {
      const body = JSON.stringify({ events: batch });
      // keepalive lets a request outlive the page, for bodies under 64 KiB.
      const response = await win.fetch(url(), { method: 'POST', body, headers: { 'content-type': 'text/plain;charset=UTF-8' }, credentials: 'include', keepalive: body.length < BEACON_BYTES });
      if (response.ok) return { ok: true };
      const retryAfter = Number(response.headers.get('retry-after')) || undefined;
      // 408, 429 and 5xx are worth another try; any other 4xx never succeeds (a bug, or a refused key or origin).
      if (response.status === 408 || response.status === 429 || response.status >= 500) return { ok: false, ...(retryAfter ? { retryAfter } : {}) };
      win.console?.warn?.(`clickstream: the collector refused ${batch.length} events (${response.status} ${await response.text()})`);
      return { ok: false, drop: true };
    } catch {
      return { ok: false };
    }
  };

  const onNavigation = () => {
    if (win.location.href !== lastPageUrl) tracker.page();
  };

  const tracker: Clickstream = {
    init(init) {
      if (!init || typeof init.endpoint !== 'string' || init.endpoint === '') throw new Error('clickstream.init: endpoint (the collector URL) is required');
      options = {
        flushIntervalMs: 1000,
        sessionTimeoutMinutes: 30,
        batchSize: 50,
        maxQueuedEvents: 1000,
        autoPageViews: true,
        respectGlobalPrivacyControl: true,
        ...init,
        endpoint: init.endpoint.replace(/\/+$/, ''),
      };
      options.batchSize = Math.min(500, Math.max(1, options.batchSize));
      try {
        storage = win.localStorage;
      } catch {
        storage = undefined;
      }
      queue = new OfflineQueue(storage, KEYS.queue, options.maxQueuedEvents);
      if (queue.size > 0) schedule(0);
      win.addEventListener('visibilitychange', () => {
        if (win.document.visibilityState === 'hidden') beacon();
      });
      win.addEventListener('pagehide', beacon);
      win.addEventListener('online', () => void tracker.flush());
      if (options.autoPageViews) {
        for (const method of ['pushState', 'replaceState'] as const) {
          const original = win.history[method];
          win.history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
            const result = original.apply(this, args);
            onNavigation();
            return result;
          };
        }
        win.addEventListener('popstate', onNavigation);
        tracker.page();
      }
    },
    page(properties) {
      lastPageUrl = win.location.href;
      enqueue('page_view', { title: win.document.title, ...properties });
    },
    track(eventType, properties) {
      if (typeof eventType !== 'string' || eventType === '') throw new Error('clickstream.track: eventType is required');
      enqueue(eventType, properties);
    },
    identify(userId) {
      write(KEYS.user, userId === null || userId === '' ? null : String(userId));
    },
    async flush() {
      if (inFlight) return inFlight;
      const pending = queue;
      if (pending === undefined || pending.size === 0) return;
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      inFlight = (async () => {
        while (pending.size > 0) {
          const batch = pending.peek(options.batchSize);
          const result = await send(batch);
          if (result.ok || result.drop) {
            pending.remove(new Set(batch.map((event) => event.event_id)));
            if (result.ok) failures = 0;
            continue;
          }
          failures++;
          schedule(retryDelayMs(failures, result.retryAfter, Math.random));
          return;
        }
      })().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    optOut() {
      write(KEYS.optOut, '1');
      queue?.clear();
    },
    optIn() {
      write(KEYS.optOut, null);
    },
    get optedOut() {
      return read(KEYS.optOut) === '1';
    },
    get sessionId() {
      return session?.id;
    },
    get queued() {
      return queue?.size ?? 0;
    },
  };

  /**
   * The page is going away: hand what is queued to sendBeacon, which the browser delivers after
   * the page is gone. Only while the collector answers: during an outage a beacon would be lost
   * unseen, so the events stay in localStorage for the next page.
   */
  function beacon(): void {
    if (queue === undefined || queue.size === 0 || failures > 0 || inFlight !== undefined || typeof win.navigator.sendBeacon !== 'function') return;
    let batch = queue.peek(options.batchSize);
    while (batch.length > 1 && JSON.stringify({ events: batch }).length > BEACON_BYTES) batch = batch.slice(0, Math.ceil(batch.length / 2));
    const queued = win.navigator.sendBeacon(url(), new Blob([JSON.stringify({ events: batch })], { type: 'text/plain;charset=UTF-8' }));
    if (queued) queue.remove(new Set(batch.map((event) => event.event_id)));
  }

  return tracker;
}

function fallbackUuid(win: Window): string {
  const bytes = win.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
