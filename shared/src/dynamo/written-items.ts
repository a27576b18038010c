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
 */
export class WrittenItems<T> {
  private readonly items = new Map<string, { item: T; bytes: number }>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    /** Approximate memory an item holds (strings and arrays counted, a fixed share for the rest). */
    private readonly sizeOf: (item: T) => number,
  ) {}

  get size(): number {
    return this.items.size;
  }

  /** The copy written last, if still held (and marks it recently used). */
  get(id: string): T | undefined {
    const entry = this.items.get(id);
    if (entry === undefined) return undefined;
    this.items.delete(id);
    this.items.set(id, entry);
    return entry.item;
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

  forget(id: string): void {
    const entry = this.items.get(id);
    if (entry === undefined) return;
    this.items.delete(id);
    this.bytes -= entry.bytes;
  }
}

/** Memory each consumer may spend on the sessions it wrote (the functions have 256 MB). */
export const WRITTEN_SESSIONS_BYTES = 32 * 1024 * 1024;
