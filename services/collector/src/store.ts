import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { PUT_RECORDS_LIMIT, putRecords, type PutResult, type RecordPlacement } from '@clickstream/shared';
import { StreamWriteError } from './errors';

/** What the collector needs from the stream; one Kinesis adapter implements it. */
export interface EventStream {
  /**
   * Writes the records, retrying only the entries that failed; resolves with where each landed
   * (undefined for those still failing after the last attempt). Throws `StreamWriteError` when
   * the call itself fails (after the SDK's retries): then nothing is known to be written.
   */
  write(records: ReadonlyArray<{ partitionKey: string; data: Uint8Array }>): Promise<WriteResult>;
}

export interface WriteResult {
  placements: Array<RecordPlacement | undefined>;
  /** Error codes of the entries that still failed (`ProvisionedThroughputExceededException`, …). */
  failedErrorCodes: string[];
  /** Entries retried at least once. */
  retried: number;
}

type Entry = { partitionKey: string; data: Uint8Array };
interface Pending {
  records: readonly Entry[];
  resolve(result: WriteResult): void;
  reject(error: unknown): void;
}

/** PutRecords takes at most 5 MiB per call; stay below it with room for the JSON around the data. */
const MAX_CALL_BYTES = 4 * 1_048_576;

/**
 * The Kinesis adapter, with group commit: a request's records go out at once while fewer than
 * `maxInFlight` PutRecords calls are running; beyond that they wait for the next call, which
 * carries the records of every request that waited (up to 500 records). An idle collector adds
 * no latency; a busy one makes fewer, fuller calls (each SDK call costs about a millisecond of
 * CPU however few records it carries: docs/BENCHMARKS.md, "collector"). On Lambda a sandbox
 * serves one request at a time, so every request is one call of its own.
 */
export class KinesisEventStream implements EventStream {
  private readonly queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly client: KinesisClient,
    private readonly streamName: string,
    private readonly options: { maxAttempts: number; baseDelayMs: number; maxInFlight?: number },
  ) {}

  write(records: readonly Entry[]): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ records, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < (this.options.maxInFlight ?? 4)) {
      const batch = this.takeBatch();
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** The waiting requests that fit one call (always at least the first). */
  private takeBatch(): Pending[] {
    const batch = [this.queue.shift()!];
    let count = batch[0]!.records.length;
    let bytes = batch[0]!.records.reduce((sum, record) => sum + record.data.byteLength, 0);
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      const nextBytes = next.records.reduce((sum, record) => sum + record.data.byteLength, 0);
      if (count + next.records.length > PUT_RECORDS_LIMIT || bytes + nextBytes > MAX_CALL_BYTES) break;
      batch.push(this.queue.shift()!);
      count += next.records.length;
      bytes += nextBytes;
    }
    return batch;
  }

  private async send(batch: Pending[]): Promise<void> {
    const records = batch.flatMap((pending) => pending.records);
    let result: PutResult;
    try {
      result = await putRecords(this.client, this.streamName, records, { maxAttempts: this.options.maxAttempts, baseDelayMs: this.options.baseDelayMs });
    } catch (error) {
      const failure = new StreamWriteError(this.streamName, error);
      for (const pending of batch) pending.reject(failure);
      return;
    }
    const placements = result.placements ?? [];
    const codes = new Map((result.failedIndexes ?? []).map((index, position) => [index, result.failedErrorCodes?.[position] ?? 'Unknown']));
    let offset = 0;
    for (const [position, pending] of batch.entries()) {
      const own = pending.records.map((_, index) => offset + index);
      offset += pending.records.length;
      pending.resolve({
        placements: own.map((index) => placements[index]),
        failedErrorCodes: own.flatMap((index) => (codes.has(index) ? [codes.get(index)!] : [])),
        // Retries are counted per call: the first request of a shared call reports them, so the metric's sum is right.
        retried: position === 0 ? result.retried : 0,
      });
    }
  }
}
