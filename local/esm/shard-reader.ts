import { GetRecordsCommand, GetShardIteratorCommand, type _Record as KinesisRecord, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { StartPosition } from './lineage';

/**
 * Reads one shard in order with GetRecords: opens an iterator at a position, remembers the
 * position after the last record it returned (to reopen after an expired iterator or a seek),
 * and notices the shard's end (a closed shard read to its end returns no next iterator).
 */
export class ShardReader {
  private iterator: string | undefined;
  private position: StartPosition;
  private endReached = false;
  private reportedMillisBehind = 0;

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly streamName: string,
    private readonly shardId: string,
    start: StartPosition,
  ) {
    this.position = start;
  }

  /** The closed shard has been read to its end. */
  get ended(): boolean {
    return this.endReached;
  }

  /** MillisBehindLatest of the last GetRecords (kinesalite reports 0 for open shards). */
  get millisBehindLatest(): number {
    return this.reportedMillisBehind;
  }

  /** Reads from `position` next (a re-poll from a checkpoint). */
  seek(position: StartPosition): void {
    this.position = position;
    this.iterator = undefined;
    this.endReached = false;
  }

  /** Up to `limit` records after the previous ones; none at the end or while caught up. */
  async read(limit: number): Promise<KinesisRecord[]> {
    if (this.endReached) return [];
    this.iterator ??= await this.openIterator();
    let page;
    try {
      page = await this.kinesis.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: limit }));
    } catch (error) {
      // Iterators expire after five minutes; reopen from where reading stopped.
      this.iterator = undefined;
      throw error;
    }
    const records = page.Records ?? [];
    const last = records[records.length - 1];
    if (last?.SequenceNumber !== undefined) this.position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last.SequenceNumber };
    this.iterator = page.NextShardIterator ?? undefined;
    this.endReached = this.iterator === undefined;
    this.reportedMillisBehind = page.MillisBehindLatest ?? 0;
    return records;
  }

  private async openIterator(): Promise<string> {
    const position = this.position;
    const result = await this.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.streamName,
        ShardId: this.shardId,
        ShardIteratorType: position.type,
        ...('sequenceNumber' in position ? { StartingSequenceNumber: position.sequenceNumber } : {}),
        ...('timestamp' in position ? { Timestamp: position.timestamp } : {}),
      }),
    );
    if (result.ShardIterator === undefined) throw new Error(`no shard iterator for ${this.shardId} at ${position.type}`);
    return result.ShardIterator;
  }
}
