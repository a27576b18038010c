import type { _Record as KinesisRecord, KinesisClient } from '@aws-sdk/client-kinesis';
import type { Logger } from '@clickstream/shared';
import { BatchBuffer, type BatchingSettings } from './batch-buffer';
import type { BatchDelivery } from './delivery';
import { shardLagMs } from './lag';
import { arrivalMs } from './lambda-event';
import type { StartPosition } from './lineage';
import { ShardReader } from './shard-reader';
import { pause } from './timing';

export interface ShardConsumerOptions {
  shardId: string;
  start: StartPosition;
  kinesis: KinesisClient;
  streamName: string;
  batching: BatchingSettings;
  delivery: BatchDelivery;
  /** Pause between polls of a shard that returned nothing. */
  pollIntervalMs: number;
  logger: Logger;
  now: () => number;
  signal: AbortSignal;
}

export interface ShardProgress {
  /** The last read returned nothing and nothing is buffered or in flight. */
  idle: boolean;
  millisBehindLatest: number;
}

/**
 * The poll loop of one shard, as Lambda runs it: read in order, batch, hand one batch at a time
 * to the delivery, and re-read from the reported record after a partial failure. Resolves
 * `finished` once a closed shard has been read to its end and every batch is done, `stopped`
 * when the mapping stops.
 */
export class ShardConsumer {
  private readonly reader: ShardReader;
  private readonly buffer = new BatchBuffer();
  private inFlight: readonly KinesisRecord[] | undefined;
  private lastReadEmpty = false;
  /** When the latest read that came back empty started (a read in flight may bring records). */
  private lastEmptyReadStartedMs = Number.NEGATIVE_INFINITY;
  private lastArrivalMs: number | undefined;

  constructor(private readonly options: ShardConsumerOptions) {
    this.reader = new ShardReader(options.kinesis, options.streamName, options.shardId, options.start);
  }

  async run(): Promise<'finished' | 'stopped'> {
    const { signal, logger, shardId } = this.options;
    while (!signal.aborted) {
      if (this.reader.ended && this.buffer.size === 0) return 'finished';
      try {
        await this.step();
      } catch (error) {
        if (signal.aborted) break;
        if ((error as Error).name !== 'ExpiredIteratorException') logger.warn({ err: error, shardId }, 'polling failed; retrying');
        await pause(1_000, signal);
      }
    }
    return 'stopped';
  }

  /**
   * Idle: the latest read came back empty and nothing is buffered or in flight. The next poll of a
   * caught-up shard does not change that (it can only bring records put after the empty read
   * started, and neither lag nor idleness flickers while a quiet shard is polled). With `sinceMs`,
   * the read that found the shard empty must also have started at or after it, so records put
   * before that moment cannot still be on their way.
   */
  progress(sinceMs?: number): ShardProgress {
    const caughtUp = this.lastReadEmpty && this.buffer.size === 0 && this.inFlight === undefined;
    const idle = caughtUp && (sinceMs === undefined || this.lastEmptyReadStartedMs >= sinceMs);
    const oldestPendingArrivalMs = this.inFlight?.[0] !== undefined ? arrivalMs(this.inFlight[0]) : (this.buffer.headArrivalMs ?? this.lastArrivalMs);
    const millisBehindLatest = shardLagMs(
      { caughtUp, oldestPendingArrivalMs, reportedMillisBehind: this.reader.millisBehindLatest, shardEnded: this.reader.ended },
      this.options.now(),
    );
    return { idle, millisBehindLatest };
  }

  private async step(): Promise<void> {
    const { batching, now, pollIntervalMs, signal } = this.options;
    const read = await this.read();
    const dueInMs = this.buffer.dueInMs(batching, now(), this.reader.ended);
    if (dueInMs === 0) return this.deliverNext();
    if (read === 0) await pause(Math.max(1, Math.min(pollIntervalMs, dueInMs)), signal);
  }

  /** Tops the buffer up to a batch; returns how many records came back. */
  private async read(): Promise<number> {
    const { batching, now } = this.options;
    if (this.reader.ended || this.buffer.size >= batching.batchSize) return 0;
    const startedMs = now();
    const records = await this.reader.read(batching.batchSize - this.buffer.size);
    this.buffer.add(records, now());
    this.lastReadEmpty = records.length === 0;
    if (records.length === 0) this.lastEmptyReadStartedMs = startedMs;
    const last = records[records.length - 1];
    if (last !== undefined) this.lastArrivalMs = arrivalMs(last);
    return records.length;
  }

  private async deliverNext(): Promise<void> {
    const batch = this.buffer.take(this.options.batching, this.options.now());
    this.inFlight = batch;
    try {
      const { repollFrom } = await this.options.delivery.deliver(batch);
      if (repollFrom !== undefined) {
        // Lambda re-reads from the checkpoint: drop what is buffered and read again from there.
        this.buffer.clear();
        this.reader.seek({ type: 'AT_SEQUENCE_NUMBER', sequenceNumber: repollFrom });
        this.lastReadEmpty = false;
      }
    } finally {
      this.inFlight = undefined;
    }
  }
}
