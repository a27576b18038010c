import type { _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import { arrivalMs } from './lambda-event';

/** Lambda's synchronous invocation payload limit. */
export const MAX_BATCH_BYTES = 6 * 1024 * 1024;

export interface BatchingSettings {
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
}

/**
 * Records read from a shard and not yet handed to the function. A batch is due when it holds
 * `BatchSize` records or 6 MB, when the oldest buffered record has waited the batching window,
 * or when the shard has ended (nothing more will come).
 */
export class BatchBuffer {
  private records: KinesisRecord[] = [];
  private bytes = 0;
  private firstBufferedAtMs = 0;

  get size(): number {
    return this.records.length;
  }

  /** Arrival time of the oldest buffered record. */
  get headArrivalMs(): number | undefined {
    const head = this.records[0];
    return head === undefined ? undefined : arrivalMs(head);
  }

  add(records: readonly KinesisRecord[], nowMs: number): void {
    if (records.length === 0) return;
    if (this.records.length === 0) this.firstBufferedAtMs = nowMs;
    this.records.push(...records);
    this.bytes += records.reduce((sum, record) => sum + recordBytes(record), 0);
  }

  /** Milliseconds until a batch is due: 0 now, Infinity while empty. */
  dueInMs(settings: BatchingSettings, nowMs: number, shardEnded: boolean): number {
    if (this.records.length === 0) return Infinity;
    if (this.records.length >= settings.batchSize || this.bytes >= MAX_BATCH_BYTES || shardEnded) return 0;
    return Math.max(0, this.firstBufferedAtMs + settings.maximumBatchingWindowInSeconds * 1000 - nowMs);
  }

  /** Takes the next batch (at most `batchSize` records and 6 MB) off the front. */
  take(settings: BatchingSettings, nowMs: number): KinesisRecord[] {
    let count = 0;
    let bytes = 0;
    while (count < this.records.length && count < settings.batchSize) {
      const size = recordBytes(this.records[count]!);
      if (count > 0 && bytes + size > MAX_BATCH_BYTES) break;
      bytes += size;
      count++;
    }
    const batch = this.records.splice(0, count);
    this.bytes -= bytes;
    if (this.records.length > 0) this.firstBufferedAtMs = nowMs;
    return batch;
  }

  clear(): void {
    this.records = [];
    this.bytes = 0;
  }
}

function recordBytes(record: KinesisRecord): number {
  return (record.Data?.length ?? 0) + (record.PartitionKey?.length ?? 0);
}
