/**
 * The read-modify-write items this writer last wrote, kept between batches so the next batch that
 * touches one needs no read. A Lambda sandbox keeps them across invocations; the shard's next
 * batch usually lands in the same sandbox, and a session's events all travel on one shard.
 *
 * Safe because every write of such an item is conditional on the version it was computed from
 * (`putVersioned`): a copy that is no longer the stored one (another sandbox, a reshard's other
 * shard, a forget or a TTL expiry wrote or deleted the item since) fails its write as a conflict,
 * and the caller forgets the copy and reads the item. A copy is remembered only after its write
 * succeeded, and forgotten on any failure whose outcome is unknown.
 *
 * Bounded by an estimate of the bytes held (least recently used go first), so a sandbox's memory
 * stays predictable whatever the traffic.
 *
 * Lambda does not promise that a shard's batches go to the same sandbox. When they do not, copies
 * go stale, and a stale copy costs more than the read it saved (the failed conditional write is
 * billed, and the anomaly-detector redelivers). So the copies are given out only while few turn
 * out stale: callers report (`observe`) every copy they used (did its write conflict?) and, while
 * copies are not given out, every item they read that they also held a copy of (was it the
 * stored version?), so the rate keeps being measured and the copies come back once the shard's
 * batches stay in one sandbox again.
 */
export class WrittenItems<T extends { version?: number }> {
  private readonly items = new Map<string, { item: T; bytes: number }>();
  private bytes = 0;
  private checked = 0;
  private stale = 0;
  /** Ids whose copy was given out, until their write tells whether it was current. */
  private readonly lentIds = new Set<string>();

  constructor(
    private readonly maxBytes: number,
    /** Approximate memory an item holds (strings and arrays counted, a fixed share for the rest). */
    private readonly sizeOf: (item: T) => number,
  ) {}

  get size(): number {
    return this.items.size;
  }

  /** Whether copies are given out: at most `MAX_STALE_SHARE` of the recent ones were stale. */
  get trusted(): boolean {
    return this.checked < MIN_CHECKS || this.stale <= this.checked * MAX_STALE_SHARE;
  }

  /** The copy written last, if still held and copies are trusted (marks it recently used). */
  get(id: string): T | undefined {
    return this.trusted ? this.peek(id) : undefined;
  }

  /** The copy written last, if still held, whether or not copies are trusted. */
  peek(id: string): T | undefined {
    const entry = this.items.get(id);
    if (entry === undefined) return undefined;
    this.items.delete(id);
    this.items.set(id, entry);
    return entry.item;
  }

  /** Splits ids into the copies given out (trusted and held) and the ids to read from the table. */
  lend(ids: readonly string[]): { lent: Map<string, T>; toRead: string[] } {
    const lent = new Map<string, T>();
    const toRead: string[] = [];
    for (const id of ids) {
      const copy = this.get(id);
      if (copy === undefined) toRead.push(id);
      else {
        lent.set(id, copy);
        this.lentIds.add(id);
      }
    }
    return { lent, toRead };
  }

  /**
   * After `toRead` was read: each held copy was current if the table holds its version (an
   * absent item makes it stale). Ids whose read failed tell nothing.
   */
  compare(toRead: readonly string[], read: ReadonlyMap<string, { version?: number }>, failed: ReadonlySet<string>): void {
    for (const id of toRead) {
      const held = this.peek(id);
      if (held !== undefined && !failed.has(id)) this.observe(read.get(id)?.version !== held.version);
    }
  }

  /**
   * After a write: remembers the item as written (with its new version), or forgets the copy on
   * a conflict or a failure of unknown outcome; a lent copy's outcome is observed.
   */
  settle(id: string, outcome: { written: T } | { conflict: boolean }): void {
    if (this.lentIds.delete(id)) this.observe('conflict' in outcome && outcome.conflict);
    if ('written' in outcome) this.remember(id, outcome.written);
    else this.forget(id);
  }

  /** Remembers what was just written; an item larger than the whole budget is not held. */
  remember(id: string, item: T): void {
    this.forget(id);
    const bytes = this.sizeOf(item);
    if (bytes > this.maxBytes) return;
    this.items.set(id, { item, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.items) {
      if (this.bytes <= this.maxBytes) break;
      this.items.delete(oldest);
      this.bytes -= entry.bytes;
    }
  }

  /**
   * Reports whether a copy was current: a copy given out whose write conflicted was stale, and
   * so was a held copy whose item, read from the table, had another version.
   */
  observe(stale: boolean): void {
    this.checked++;
    if (stale) this.stale++;
    // A moving window: older observations weigh half once the window is full.
    if (this.checked >= WINDOW) {
      this.checked /= 2;
      this.stale /= 2;
    }
  }

  forget(id: string): void {
    const entry = this.items.get(id);
    if (entry === undefined) return;
    this.items.delete(id);
    this.bytes -= entry.bytes;
  }
}

/** Observations the stale share is taken over, and how many before it can distrust the copies. */
const WINDOW = 200;
const MIN_CHECKS = 20;
/** Above this share of stale copies, reading is cheaper than trusting (a failed write costs 5 reads). */
const MAX_STALE_SHARE = 0.05;

/** Memory each consumer may spend on the sessions it wrote (the functions have 256 MB). */
export const WRITTEN_SESSIONS_BYTES = 32 * 1024 * 1024;
