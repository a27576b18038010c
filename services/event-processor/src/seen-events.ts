import { createHash } from 'node:crypto';

/**
 * The per-session record of which events were applied, and from which Kinesis record.
 *
 * Each entry is 12 bytes: 8 bytes of the event id's hash and 4 bytes of the hash of the record
 * (`shardId:sequenceNumber`) that first carried it. That tells apart the two ways an event id
 * comes back: the *same record* redelivered by Kinesis/Lambda (apply its aggregates again, the
 * fences drop what was already written) and a *different record* resent by a producer (a
 * duplicate, counted nowhere).
 */
const ENTRY_BYTES = 12;
const EVENT_HASH_BYTES = 8;

export type Sighting = 'new' | 'redelivered' | 'duplicate';

export class SeenEvents {
  private readonly entries: Map<string, number>;

  private constructor(entries: Map<string, number>) {
    this.entries = entries;
  }

  static empty(): SeenEvents {
    return new SeenEvents(new Map());
  }

  static decode(bytes: Uint8Array | undefined): SeenEvents {
    const entries = new Map<string, number>();
    if (bytes === undefined) return new SeenEvents(entries);
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let offset = 0; offset + ENTRY_BYTES <= buffer.length; offset += ENTRY_BYTES) {
      entries.set(buffer.toString('hex', offset, offset + EVENT_HASH_BYTES), buffer.readUInt32BE(offset + EVENT_HASH_BYTES));
    }
    return new SeenEvents(entries);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Classifies an event and remembers it when new. */
  observe(eventId: string, recordId: string): Sighting {
    const eventHash = hashEventId(eventId);
    const recordHash = hashRecordId(recordId);
    const firstRecord = this.entries.get(eventHash);
    if (firstRecord === undefined) {
      this.entries.set(eventHash, recordHash);
      return 'new';
    }
    return firstRecord === recordHash ? 'redelivered' : 'duplicate';
  }

  /** Encodes in insertion order, keeping the newest `maxEntries` (oldest ids are forgotten first). */
  encode(maxEntries: number): Uint8Array {
    const all = [...this.entries.entries()];
    const kept = all.length > maxEntries ? all.slice(all.length - maxEntries) : all;
    const buffer = Buffer.allocUnsafe(kept.length * ENTRY_BYTES);
    kept.forEach(([eventHash, recordHash], index) => {
      buffer.write(eventHash, index * ENTRY_BYTES, EVENT_HASH_BYTES, 'hex');
      buffer.writeUInt32BE(recordHash, index * ENTRY_BYTES + EVENT_HASH_BYTES);
    });
    return buffer;
  }
}

function hashEventId(eventId: string): string {
  return createHash('md5').update(eventId).digest('hex').slice(0, EVENT_HASH_BYTES * 2);
}

function hashRecordId(recordId: string): number {
  return createHash('md5').update(recordId).digest().readUInt32BE(0);
}
