import { appendFileSync, createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Where an hour's raw lines wait, split by partition, between reading the raw objects and
 * deduplicating one partition at a time. One partition (a small hour) stays in memory; more go
 * to local disk (Lambda's /tmp), so memory holds one partition's rows whatever the hour's size.
 */
export interface PartitionSpill {
  append(partition: number, line: string): void;
  /** The lines of one partition, in the order they were appended. */
  lines(partition: number): AsyncIterable<string>;
  /** Bytes appended so far (what /tmp must hold). */
  readonly bytes: number;
  dispose(): void;
}

export class MemorySpill implements PartitionSpill {
  private readonly partitions: string[][];
  bytes = 0;

  constructor(count: number) {
    this.partitions = Array.from({ length: count }, () => []);
  }

  append(partition: number, line: string): void {
    this.partitions[partition]!.push(line);
    this.bytes += line.length + 1;
  }

  async *lines(partition: number): AsyncIterable<string> {
    const lines = this.partitions[partition]!;
    this.partitions[partition] = [];
    yield* lines;
  }

  dispose(): void {
    this.partitions.fill([]);
  }
}

/** Partition files of JSON lines under a fresh temporary directory, written in 1 MB chunks. */
export class DiskSpill implements PartitionSpill {
  private static readonly CHUNK_CHARS = 1 << 20;
  private readonly directory: string;
  private readonly pending: string[][];
  private readonly pendingChars: number[];
  private readonly written: boolean[];
  bytes = 0;

  constructor(count: number, parent = tmpdir()) {
    this.directory = mkdtempSync(path.join(parent, 'compactor-'));
    this.pending = Array.from({ length: count }, () => []);
    this.pendingChars = new Array<number>(count).fill(0);
    this.written = new Array<boolean>(count).fill(false);
  }

  append(partition: number, line: string): void {
    this.pending[partition]!.push(line);
    this.pendingChars[partition]! += line.length + 1;
    this.bytes += line.length + 1;
    if (this.pendingChars[partition]! >= DiskSpill.CHUNK_CHARS) this.flush(partition);
  }

  async *lines(partition: number): AsyncIterable<string> {
    this.flush(partition);
    if (!this.written[partition]) return;
    const input = createReadStream(this.file(partition), { encoding: 'utf8', highWaterMark: 1 << 20 });
    try {
      for await (const line of createInterface({ input, crlfDelay: Infinity })) if (line !== '') yield line;
    } finally {
      input.destroy();
    }
  }

  dispose(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }

  private flush(partition: number): void {
    const lines = this.pending[partition]!;
    if (lines.length === 0) return;
    appendFileSync(this.file(partition), `${lines.join('\n')}\n`);
    this.written[partition] = true;
    this.pending[partition] = [];
    this.pendingChars[partition] = 0;
  }

  private file(partition: number): string {
    return path.join(this.directory, `partition-${partition}.jsonl`);
  }
}
