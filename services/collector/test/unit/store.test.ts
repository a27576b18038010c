import type { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { KinesisEventStream } from '../../src/store';

/** A stand-in client: answers each PutRecords after `release()`, failing the partition keys in `throttled`. */
function fakeKinesis() {
  const calls: string[][] = [];
  const waiting: Array<() => void> = [];
  const state = { throttled: new Set<string>(), down: false };
  let sequence = 0;
  const client = {
    send: (command: PutRecordsCommand) =>
      new Promise((resolve, reject) => {
        const keys = (command.input.Records ?? []).map((entry) => entry.PartitionKey!);
        calls.push(keys);
        waiting.push(() => {
          if (state.down) return reject(Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error' }));
          resolve({ Records: keys.map((key) => (state.throttled.has(key) ? { ErrorCode: 'ProvisionedThroughputExceededException' } : { ShardId: 'shardId-000000000000', SequenceNumber: String(++sequence) })) });
        });
      }),
  } as unknown as KinesisClient;
  const release = async () => {
    while (waiting.length > 0) waiting.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { client, calls, state, release };
}

const records = (...keys: string[]) => keys.map((partitionKey) => ({ partitionKey, data: Buffer.from(`{"session_id":"${partitionKey}"}`) }));

describe('KinesisEventStream (group commit)', () => {
  it('sends at once while calls are free, and puts the records of requests that waited into one call', async () => {
    const kinesis = fakeKinesis();
    const stream = new KinesisEventStream(kinesis.client, 'events', { maxAttempts: 1, baseDelayMs: 1, maxInFlight: 1 });
    const first = stream.write(records('a'));
    const second = stream.write(records('b', 'c'));
    const third = stream.write(records('d'));
    expect(kinesis.calls).toEqual([['a']]);
    await kinesis.release();
    expect(kinesis.calls).toEqual([['a'], ['b', 'c', 'd']]);
    await kinesis.release();
    expect((await first).placements.map((placement) => placement?.sequenceNumber)).toEqual(['1']);
    expect((await second).placements.map((placement) => placement?.sequenceNumber)).toEqual(['2', '3']);
    expect((await third).placements.map((placement) => placement?.sequenceNumber)).toEqual(['4']);
  });

  it("gives each request its own failures from a shared call", async () => {
    const kinesis = fakeKinesis();
    kinesis.state.throttled.add('c');
    const stream = new KinesisEventStream(kinesis.client, 'events', { maxAttempts: 1, baseDelayMs: 1, maxInFlight: 1 });
    const blocker = stream.write(records('a'));
    const second = stream.write(records('b', 'c'));
    const third = stream.write(records('d'));
    await kinesis.release();
    await kinesis.release();
    await blocker;
    expect(await second).toMatchObject({ failedErrorCodes: ['ProvisionedThroughputExceededException'] });
    expect((await second).placements[1]).toBeUndefined();
    expect(await third).toMatchObject({ failedErrorCodes: [] });
  });

  it('rejects every request of a call that failed as a whole', async () => {
    const kinesis = fakeKinesis();
    kinesis.state.down = true;
    const stream = new KinesisEventStream(kinesis.client, 'events', { maxAttempts: 1, baseDelayMs: 1, maxInFlight: 1 });
    const outcomes = [stream.write(records('a')), stream.write(records('b'))].map((write) => write.catch((error: Error) => error.name));
    await kinesis.release();
    await kinesis.release();
    expect(await Promise.all(outcomes)).toEqual(['StreamWriteError', 'StreamWriteError']);
  });

  it('never puts more than 500 records in one call', async () => {
    const kinesis = fakeKinesis();
    const stream = new KinesisEventStream(kinesis.client, 'events', { maxAttempts: 1, baseDelayMs: 1, maxInFlight: 1 });
    const writes = [stream.write(records('x')), ...Array.from({ length: 3 }, (_, batch) => stream.write(records(...Array.from({ length: 200 }, (_, index) => `k${batch}-${index}`))))];
    for (let round = 0; round < 4; round++) await kinesis.release();
    await Promise.all(writes);
    expect(kinesis.calls.map((call) => call.length)).toEqual([1, 400, 200]);
  });
});
