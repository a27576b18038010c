import { buildEvent, deviceType } from '../../src/events';
import { OfflineQueue, retryDelayMs, type KeyValueStorage } from '../../src/queue';
import { touchSession } from '../../src/session';

class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
}

const NOW = Date.parse('2026-11-22T10:16:00.000Z');
const event = (id: string) => buildEvent('click', undefined, { eventId: id, sessionId: 's', nowMs: NOW });

describe('track(eventType, properties)', () => {
  it('maps value (or revenue) and product to the canonical fields and keeps the rest as properties', () => {
    expect(buildEvent('purchase', { revenue: 59.5, product: { id: 'sku-1' }, order_id: 'o-1', coupon: undefined }, { eventId: 'e', sessionId: 's', nowMs: NOW, userId: 'u', pageUrl: 'https://shop.example.com/checkout' })).toEqual({
      event_id: 'e',
      event_type: 'purchase',
      session_id: 's',
      timestamp: '2026-11-22T10:16:00.000Z',
      user_id: 'u',
      page_url: 'https://shop.example.com/checkout',
      value: 59.5,
      product: { id: 'sku-1' },
      properties: { order_id: 'o-1' },
    });
    expect(buildEvent('click', { value: 'not a number' }, { eventId: 'e', sessionId: 's', nowMs: NOW })).toMatchObject({ properties: { value: 'not a number' } });
  });

  it.each([
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148', 'mobile'],
    ['Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X)', 'tablet'],
    ['Mozilla/5.0 (Linux; Android 14; SM-X700)', 'tablet'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36', 'mobile'],
    ['Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0', 'desktop'],
  ])('%s is a %s', (userAgent, device) => expect(deviceType(userAgent)).toBe(device));
});

describe('sessions: 30 minutes of inactivity end one', () => {
  const ids = () => {
    let next = 0;
    return () => `new-${++next}`;
  };
  it('keeps the session while events come within the timeout, and starts a new one after it', () => {
    const newId = ids();
    const first = touchSession(undefined, NOW, 30 * 60_000, newId);
    const second = touchSession(first, NOW + 29 * 60_000, 30 * 60_000, newId);
    const third = touchSession(second, NOW + 29 * 60_000 + 30 * 60_000, 30 * 60_000, newId);
    expect([first.id, second.id, third.id]).toEqual(['new-1', 'new-1', 'new-2']);
  });
  it('starts a new session when the stored one is malformed or from the future (a clock change)', () => {
    expect(touchSession({ id: '', lastActivityMs: NOW }, NOW, 60_000, () => 'fresh').id).toBe('fresh');
    expect(touchSession({ id: 'old', lastActivityMs: NOW + 3_600_000 }, NOW, 30 * 60_000, () => 'fresh').id).toBe('fresh');
  });
});

describe('the offline queue', () => {
  it('survives a reload (storage) and removes only acknowledged events', () => {
    const storage = new MemoryStorage();
    const queue = new OfflineQueue(storage, 'q', 10);
    ['a', 'b', 'c'].forEach((id) => queue.push(event(id)));
    queue.remove(new Set(['b']));
    const reloaded = new OfflineQueue(storage, 'q', 10);
    expect(reloaded.peek(10).map((queued) => queued.event_id)).toEqual(['a', 'c']);
    reloaded.remove(new Set(['a', 'c']));
    expect(storage.items.has('q')).toBe(false);
  });

  it('is bounded: the oldest events go first, and are counted', () => {
    const queue = new OfflineQueue(new MemoryStorage(), 'q', 3);
    ['a', 'b', 'c', 'd', 'e'].forEach((id) => queue.push(event(id)));
    expect(queue.peek(10).map((queued) => queued.event_id)).toEqual(['c', 'd', 'e']);
    expect(queue.dropped).toBe(2);
  });

  it('ignores unreadable storage and keeps working in memory when storage throws', () => {
    const broken = new MemoryStorage();
    broken.setItem('q', '{not json');
    expect(new OfflineQueue(broken, 'q', 5).size).toBe(0);
    const full: KeyValueStorage = { getItem: () => null, setItem: () => { throw new Error('QuotaExceededError'); }, removeItem: () => undefined };
    const queue = new OfflineQueue(full, 'q', 5);
    queue.push(event('a'));
    expect(queue.size).toBe(1);
  });

  it('backs off from 1 s, doubling to 60 s, and waits at least what Retry-After says', () => {
    const maxOf = (attempt: number) => retryDelayMs(attempt, undefined, () => 1);
    expect([1, 2, 3, 7, 12].map(maxOf)).toEqual([1000, 2000, 4000, 60_000, 60_000]);
    expect(retryDelayMs(1, undefined, () => 0)).toBe(500);
    expect(retryDelayMs(1, 30, () => 0)).toBe(30_000);
  });
});
