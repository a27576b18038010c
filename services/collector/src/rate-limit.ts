/**
 * A token bucket per client: `burst` requests at once, refilled at `perSecond`. The clock is
 * passed in, so tests need no timers. State lives in the function's memory: on Lambda each
 * sandbox limits on its own (reserved concurrency bounds the whole; README "Deploying the
 * collector"), locally the one server limits exactly.
 */
export interface RateDecision {
  allowed: boolean;
  /** When refused: seconds until a request would be allowed (for `Retry-After`). */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    /** Buckets kept at most; full (idle) ones are forgotten first. */
    private readonly maxClients = 50_000,
  ) {}

  take(client: string, nowMs: number): RateDecision {
    if (this.perSecond <= 0) return { allowed: true, retryAfterSeconds: 0 };
    let bucket = this.buckets.get(client);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxClients) this.evict(nowMs);
      bucket = { tokens: this.burst, updatedMs: nowMs };
      this.buckets.set(client, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((nowMs - bucket.updatedMs) / 1000) * this.perSecond);
      bucket.updatedMs = nowMs;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond)) };
  }

  get clients(): number {
    return this.buckets.size;
  }

  private evict(nowMs: number): void {
    for (const [client, bucket] of this.buckets) {
      if (bucket.tokens + ((nowMs - bucket.updatedMs) / 1000) * this.perSecond >= this.burst) this.buckets.delete(client);
    }
    // Everyone is busy: drop the oldest half rather than grow without bound.
    if (this.buckets.size >= this.maxClients) {
      let drop = Math.floor(this.buckets.size / 2);
      for (const client of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(client);
      }
    }
  }
}
