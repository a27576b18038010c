import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Where a mapping remembers, per shard, the last sequence number whose batch is done (applied,
 * or discarded to the on-failure destination). Polling resumes AFTER_SEQUENCE_NUMBER of it.
 * A closed shard read to its end is checkpointed at `SHARD_END` (the KCL's name for it): it is
 * never polled again, and its children may be read.
 */
export const SHARD_END = 'SHARD_END';

export interface CheckpointStore {
  get(mappingId: string, shardId: string): string | undefined;
  set(mappingId: string, shardId: string, sequenceNumber: string): void;
}

export class MemoryCheckpointStore implements CheckpointStore {
  protected readonly positions = new Map<string, string>();

  get(mappingId: string, shardId: string): string | undefined {
    return this.positions.get(`${mappingId}/${shardId}`);
  }

  set(mappingId: string, shardId: string, sequenceNumber: string): void {
    this.positions.set(`${mappingId}/${shardId}`, sequenceNumber);
  }
}

/** Checkpoints in a JSON file, written atomically (temp file + rename) on every change. */
export class FileCheckpointStore extends MemoryCheckpointStore {
  constructor(private readonly file: string) {
    super();
    let saved: Record<string, string> = {};
    try {
      saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`checkpoint file ${file} is unreadable; move it away to start from the stream's beginning`, { cause: error });
      }
    }
    for (const [key, value] of Object.entries(saved)) this.positions.set(key, value);
  }

  override set(mappingId: string, shardId: string, sequenceNumber: string): void {
    super.set(mappingId, shardId, sequenceNumber);
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(Object.fromEntries(this.positions), null, 2));
    renameSync(temp, this.file);
  }
}
