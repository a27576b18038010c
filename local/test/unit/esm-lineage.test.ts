import { SHARD_END } from '../../esm/checkpoints';
import { shardsReadyToRead, startPosition, type ShardLineage, type StartOptions } from '../../esm/lineage';

/**
 * Shard lineage after SplitShard and MergeShards: which shards the mapping may read, and where
 * each starts. The stream: shard 0 split into 2 and 3, then 3 merged with 1 into 4.
 */
const shard0: ShardLineage = { shardId: 'shardId-000000000000', closed: true };
const shard1: ShardLineage = { shardId: 'shardId-000000000001', closed: true };
const shard2: ShardLineage = { shardId: 'shardId-000000000002', parentShardId: shard0.shardId, closed: false };
const shard3: ShardLineage = { shardId: 'shardId-000000000003', parentShardId: shard0.shardId, closed: true };
const shard4: ShardLineage = { shardId: 'shardId-000000000004', parentShardId: shard3.shardId, adjacentParentShardId: shard1.shardId, closed: false };
const stream = [shard0, shard1, shard2, shard3, shard4];

const ids = (shards: ShardLineage[]) => shards.map((shard) => shard.shardId.slice(-1));
const finished = (...numbers: number[]) => (shardId: string) => numbers.some((n) => shardId.endsWith(String(n)));
const nothing = () => false;

describe('which shards may be read', () => {
  it.each([
    ['at first only the shards without unfinished parents', finished(), nothing, ['0', '1']],
    ['a split\'s children once their parent is finished', finished(0), nothing, ['1', '2', '3']],
    ['a merged shard waits for both parents: one is not enough', finished(0, 1, 2), nothing, ['3']],
    ['a merged shard once both parents are finished', finished(0, 1, 3), nothing, ['2', '4']],
    ['never a finished shard again', finished(0, 1, 2, 3, 4), nothing, []],
    ['never a shard already being read', finished(0), (shardId: string) => shardId.endsWith('2'), ['1', '3']],
  ])('%s', (_rule, isFinished, isReading, expected) => {
    expect(ids(shardsReadyToRead(stream, isFinished, isReading))).toEqual(expected);
  });

  it('does not wait for a parent that is no longer listed (past the retention period)', () => {
    expect(ids(shardsReadyToRead([shard2, shard3], nothing, nothing))).toEqual(['2', '3']);
  });
});

describe('where a shard starts', () => {
  const listed = new Set(stream.map((shard) => shard.shardId));
  const base: StartOptions = { checkpoint: undefined, startingPosition: 'TRIM_HORIZON', startingPositionTimestamp: 1_700_000_000, listed, firstLook: false };

  it.each([
    ['a finished shard is not read again', shard0, { checkpoint: SHARD_END }, 'finished'],
    ['a checkpoint wins', shard2, { checkpoint: '4960' }, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: '4960' }],
    ['a shard without parents starts at the mapping\'s position', shard1, {}, { type: 'TRIM_HORIZON' }],
    ['a child starts at its beginning, where its parent ended', shard2, {}, { type: 'TRIM_HORIZON' }],
    ['a child of a LATEST mapping too, once the mapping runs', shard4, { startingPosition: 'LATEST' }, { type: 'TRIM_HORIZON' }],
    ['a child of an AT_TIMESTAMP mapping starts at the timestamp', shard2, { startingPosition: 'AT_TIMESTAMP' }, { type: 'AT_TIMESTAMP', timestamp: new Date(1_700_000_000_000) }],
    ['a new LATEST mapping skips closed shards', shard3, { startingPosition: 'LATEST', firstLook: true }, 'finished'],
    ['a new LATEST mapping reads open shards from their latest record', shard4, { startingPosition: 'LATEST', firstLook: true }, { type: 'LATEST' }],
  ] as const)('%s', (_rule, shard, options, expected) => {
    expect(startPosition(shard, { ...base, ...options }, SHARD_END)).toEqual(expected);
  });
});
