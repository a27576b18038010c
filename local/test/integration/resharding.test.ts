import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListShardsCommand,
  MergeShardsCommand,
  SplitShardCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { CONSUMERS, createKinesisClient, createLogger, putRecords, sleep } from '@clickstream/shared';
import { startKinesis, type Emulator } from '../../emulators';
import { MemoryCheckpointStore, SHARD_END } from '../../esm/checkpoints';
import { EventSourceMapping } from '../../esm/event-source-mapping';

/**
 * Resharding under a backlog against real kinesalite: shard 0 is split (into 2 and 3) while its
 * backlog is being worked off, then 3 is merged with 1 (into 4). Ground truth is what was put:
 * every record delivered once, each partition key in the order it was put, and no record of a
 * child shard handed to the function before its parents' last batch was done.
 */
const KEYS = 40;
let emulator: Emulator;
let kinesis: KinesisClient;

beforeAll(async () => {
  emulator = await startKinesis({ port: 0 });
  kinesis = createKinesisClient({ region: 'us-east-1', endpoints: { kinesis: emulator.endpoint }, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});
afterAll(async () => {
  kinesis?.destroy();
  await emulator?.stop();
});

async function untilActive(streamName: string): Promise<string> {
  for (;;) {
    const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary?.StreamStatus === 'ACTIVE') return summary.StreamARN!;
    await sleep(10);
  }
}

async function listShards(streamName: string): Promise<Shard[]> {
  return (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
}

/** Puts `perKey` more records for every key; payload `<key>#<n>` with n counting per key. */
function producer(streamName: string) {
  const next = new Map<string, number>();
  const sent: string[] = [];
  return {
    sent,
    async put(perKey: number): Promise<void> {
      const records = [];
      for (let round = 0; round < perKey; round++) {
        for (let key = 0; key < KEYS; key++) {
          const partitionKey = `session-${key}`;
          const n = next.get(partitionKey) ?? 0;
          next.set(partitionKey, n + 1);
          records.push({ partitionKey, data: `${partitionKey}#${n}` });
        }
      }
      const result = await putRecords(kinesis, streamName, records);
      expect(result.failed).toBe(0);
      sent.push(...records.map((record) => record.data));
    },
  };
}

interface Invocation {
  shardId: string;
  payloads: string[];
  firstArrivalMs: number;
  startedAt: number;
  endedAt: number;
}

it('follows SplitShard and MergeShards as Lambda does: parents to their end first, every record once, each key in order', async () => {
  const streamName = 'reshard';
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 2 }));
  const streamArn = await untilActive(streamName);
  const produce = producer(streamName);
  await produce.put(20);

  const invocations: Invocation[] = [];
  const checkpoints = new MemoryCheckpointStore();
  const mapping = new EventSourceMapping({
    id: 'fn',
    fn: { functionName: 'fn', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', roleArn: 'arn:aws:iam::000000000000:role/fn', region: 'us-east-1', memorySizeMb: 128 },
    streamName,
    streamArn,
    settings: { ...CONSUMERS['event-processor'], batchSize: 10 },
    kinesis,
    invoke: async (event: KinesisStreamEvent) => {
      const startedAt = Date.now();
      await sleep(15);
      invocations.push({
        shardId: event.Records[0]!.eventID.split(':')[0]!,
        payloads: event.Records.map((record) => Buffer.from(record.kinesis.data, 'base64').toString()),
        firstArrivalMs: event.Records[0]!.kinesis.approximateArrivalTimestamp * 1000,
        startedAt,
        endedAt: Date.now(),
      });
      return { batchItemFailures: [] };
    },
    checkpoints,
    logger: createLogger({ service: 'reshard-test', level: 'silent' }),
    pollIntervalMs: 20,
    shardDiscoveryIntervalMs: 200,
  });
  const lagSamples: number[] = [];
  const sampler = setInterval(() => lagSamples.push(mapping.millisBehindLatest()), 50);
  await mapping.start();
  try {
    while (invocations.length < 6) await sleep(5);

    // Split shard 0 while most of its backlog is still unread, then keep producing.
    const [shard0, shard1] = await listShards(streamName);
    const range = shard0!.HashKeyRange!;
    const middle = (BigInt(range.StartingHashKey!) + BigInt(range.EndingHashKey!)) / 2n;
    const deliveredFromShard0AtSplit = invocations.filter((invocation) => invocation.shardId === shard0!.ShardId).flatMap((invocation) => invocation.payloads).length;
    await kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: shard0!.ShardId!, NewStartingHashKey: middle.toString() }));
    await untilActive(streamName);
    await produce.put(10);

    // Merge the split's upper child with shard 1 (adjacent hash ranges), then produce again.
    const upperChild = (await listShards(streamName)).find((shard) => shard.ParentShardId === shard0!.ShardId && shard.HashKeyRange!.StartingHashKey === middle.toString())!;
    await kinesis.send(new MergeShardsCommand({ StreamName: streamName, ShardToMerge: upperChild.ShardId!, AdjacentShardToMerge: shard1!.ShardId! }));
    await untilActive(streamName);
    await produce.put(10);

    const deadline = Date.now() + 30_000;
    while (!(mapping.isIdle() && invocations.flatMap((invocation) => invocation.payloads).length >= produce.sent.length)) {
      if (Date.now() > deadline) throw new Error(`not drained: ${JSON.stringify(mapping.shards())}`);
      await sleep(20);
    }
    await sleep(300);
    clearInterval(sampler);

    const shards = await listShards(streamName);
    expect(shards).toHaveLength(5);
    const parentsOf = (shardId: string) => {
      const shard = shards.find((candidate) => candidate.ShardId === shardId)!;
      return [shard.ParentShardId, shard.AdjacentParentShardId].filter((parent): parent is string => parent !== undefined);
    };

    // The split really happened under a backlog of shard 0, and its children took records meanwhile.
    const fromShard0 = invocations.filter((invocation) => invocation.shardId === shard0!.ShardId);
    expect(deliveredFromShard0AtSplit).toBeLessThan(fromShard0.flatMap((invocation) => invocation.payloads).length / 2);

    // Every record exactly once.
    const delivered = invocations.flatMap((invocation) => invocation.payloads);
    expect(delivered).toHaveLength(produce.sent.length);
    expect(new Set(delivered)).toEqual(new Set(produce.sent));

    // Per partition key, in the order it was put, across the split and the merge.
    const order = new Map<string, number[]>();
    for (const payload of delivered) {
      const [key, n] = payload.split('#');
      order.set(key!, [...(order.get(key!) ?? []), Number(n)]);
    }
    for (const numbers of order.values()) expect(numbers).toEqual(numbers.map((_, index) => index));

    // No child's record reached the function before its parents' last batch was done.
    let children = 0;
    for (const shard of shards) {
      const own = invocations.filter((invocation) => invocation.shardId === shard.ShardId);
      for (const parent of parentsOf(shard.ShardId!)) {
        const parentDone = Math.max(...invocations.filter((invocation) => invocation.shardId === parent).map((invocation) => invocation.endedAt));
        const childStart = Math.min(...own.map((invocation) => invocation.startedAt));
        expect(childStart).toBeGreaterThanOrEqual(parentDone);
        children++;
      }
    }
    expect(children).toBe(4);
    // The children held records (put after the split) while a parent was still being worked off.
    const lowerChild = shards.find((shard) => shard.ParentShardId === shard0!.ShardId && shard.ShardId !== upperChild.ShardId)!;
    const lowerFirst = invocations.find((invocation) => invocation.shardId === lowerChild.ShardId)!;
    expect(lowerFirst.firstArrivalMs).toBeLessThan(Math.max(...fromShard0.map((invocation) => invocation.endedAt)));

    // Closed shards are checkpointed at their end and no longer read; open ones are caught up.
    const status = Object.fromEntries(mapping.shards().map((shard) => [shard.shardId, shard]));
    for (const closed of [shard0!.ShardId!, shard1!.ShardId!, upperChild.ShardId!]) {
      expect(status[closed]).toMatchObject({ state: 'finished', closed: true, checkpoint: SHARD_END });
    }
    const merged = shards.find((shard) => shard.AdjacentParentShardId !== undefined)!;
    for (const open of [lowerChild.ShardId!, merged.ShardId!]) expect(status[open]).toMatchObject({ state: 'reading', closed: false, idle: true, millisBehindLatest: 0 });

    // Lag was reported while the backlog lasted, and is 0 once caught up (closed shards do not count).
    expect(Math.max(...lagSamples)).toBeGreaterThan(0);
    expect(mapping.millisBehindLatest()).toBe(0);
  } finally {
    clearInterval(sampler);
    await mapping.stop();
  }
}, 60_000);
