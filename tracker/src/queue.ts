import type { TrackerEvent } from './events';

/** The bit of `localStorage` the tracker uses (absent or throwing storage falls back to memory). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Events not yet acknowledged by the collector, kept in storage so they survive a reload or a
 * collector outage: at most `limit` (the oldest dropped first). An event leaves only when a 2xx
 * answered for it; resending one is harmless, its `event_id` is the pipeline's dedup key.
 */
export class OfflineQueue {
  private events: TrackerEvent[];
  dropped = 0;

  constructor(
    private readonly storage: KeyValueStorage | undefined,
    private readonly key: string,
    private readonly limit: number,
  ) {
    this.events = this.load();
  }

  get size(): number {
    return this.events.length;
  }

  push(event: TrackerEvent): void {
    this.events.push(event);
    if (this.events.length > this.limit) {
      this.dropped += this.events.length - this.limit;
      this.events.splice(0, this.events.length - this.limit);
    }
    this.save();
  }

  /** The oldest `count` events, still queued. */
  peek(count: number): TrackerEvent[] {
    return this.events.slice(0, count);
  }

  /** Removes the events with these ids (acknowledged). */
  remove(ids: ReadonlySet<string>): void {
    this.events = this.events.filter((event) => !ids.has(event.event_id));
    this.save();
  }

  clear(): void {
    this.events = [];
    this.save();
  }

  private load(): TrackerEvent[] {
    try {
      const parsed: unknown = JSON.parse(this.storage?.getItem(this.key) ?? '[]');
      return Array.isArray(parsed) ? (parsed as TrackerEvent[]).filter((event) => event && typeof event.event_id === 'string').slice(-this.limit) : [];
    } catch {
      return [];
    }
  }

  private save(): void {
    try {
      if (this.events.length === 0) this.storage?.removeItem(this.key);
      else this.storage?.setItem(this.key, JSON.stringify(this.events));
    } catch {
      // Storage full or denied: the queue still lives in memory for this page.
      return;
    }
  }
}

/** Wait before retry `attempt` (from 1): doubling from 1 s up to 60 s, with jitter; a Retry-After wins when longer. */
export function retryDelayMs(attempt: number, retryAfterSeconds: number | undefined, random: () => number): number {
  const backoff = Math.min(60_000, 1000 * 2 ** (attempt - 1));
  const jittered = backoff / 2 + random() * (backoff / 2);
  return Math.max(jittered, (retryAfterSeconds ?? 0) * 1000);
}
