import type { StartingPosition } from '@clickstream/shared';

/**
 * Shard lineage after SplitShard and MergeShards, as `ListShards` reports it
 * (`ParentShardId`, `AdjacentParentShardId`; kinesalite returns no `ChildShards`).
 *
 * Kinesis keeps a partition key's order only if a consumer reads a parent shard to its end
 * before reading its children ("always continue to read data from the parent shards until it is
 * exhausted, and only then begin reading data from the child shards":
 * https://docs.aws.amazon.com/streams/latest/dev/kinesis-using-sdk-java-after-resharding.html).
 * Lambda does that for its mappings; so does this one: a shard is read once every parent still
 * listed is finished (processed to its end and checkpointed there), a merged shard waits for
 * both parents, and a finished shard is never polled again.
 */
export interface ShardLineage {
  shardId: string;
  parentShardId?: string;
  adjacentParentShardId?: string;
  /** The shard has an ending sequence number: it takes no new records. */
  closed: boolean;
}

/** Where a shard's reading starts. */
export type StartPosition =
  | { type: 'TRIM_HORIZON' | 'LATEST' }
  | { type: 'AT_TIMESTAMP'; timestamp: Date }
  | { type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string };

export function parentsOf(shard: ShardLineage): string[] {
  return [shard.parentShardId, shard.adjacentParentShardId].filter((parent): parent is string => parent !== undefined);
}

/**
 * Shards that may be read now: not finished, not already being read, and every parent that is
 * still listed is finished. (A parent past the stream's retention is no longer listed, and its
 * records are gone: nothing is left to wait for.)
 */
export function shardsReadyToRead(shards: readonly ShardLineage[], isFinished: (shardId: string) => boolean, isReading: (shardId: string) => boolean): ShardLineage[] {
  const listed = new Set(shards.map((shard) => shard.shardId));
  return shards.filter(
    (shard) => !isFinished(shard.shardId) && !isReading(shard.shardId) && parentsOf(shard).every((parent) => !listed.has(parent) || isFinished(parent)),
  );
}

export interface StartOptions {
  /** The shard's checkpoint: a sequence number, or `SHARD_END` once it is finished. */
  checkpoint: string | undefined;
  startingPosition: StartingPosition;
  /** Epoch seconds, for `AT_TIMESTAMP`. */
  startingPositionTimestamp: number;
  /** Listed shard ids: a listed parent means this shard continues where the parent ended. */
  listed: ReadonlySet<string>;
  /** The mapping is new (no checkpoint at all) and this is its first look at the stream. */
  firstLook: boolean;
}

/**
 * Where to start reading a shard, or `finished` when there is nothing to read. A checkpoint
 * wins. A child of a listed parent starts at its beginning (it is read only after the parent
 * ended, so this continues the partition keys' order), or at the mapping's timestamp with
 * `AT_TIMESTAMP`. A new `LATEST` mapping skips shards that are already closed: there is nothing
 * after their latest record.
 */
export function startPosition(shard: ShardLineage, options: StartOptions, shardEnd: string): StartPosition | 'finished' {
  const { checkpoint, startingPosition } = options;
  if (checkpoint === shardEnd) return 'finished';
  if (checkpoint !== undefined) return { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: checkpoint };
  if (startingPosition === 'AT_TIMESTAMP') return { type: 'AT_TIMESTAMP', timestamp: new Date(options.startingPositionTimestamp * 1000) };
  if (startingPosition === 'LATEST' && options.firstLook) return shard.closed ? 'finished' : { type: 'LATEST' };
  if (parentsOf(shard).some((parent) => options.listed.has(parent))) return { type: 'TRIM_HORIZON' };
  return { type: startingPosition };
}
