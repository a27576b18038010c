import type { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { putRecords } from '@clickstream/shared';

/** A stand-in Kinesis client: `throttle(attempt, partitionKey)` decides which entries fail each call. */
function fakeKinesis(throttle: (attempt: number, partitionKey: string) => boolean) {
  const calls: string[][] = [];
  const client = {
    send: async (command: PutRecordsCommand) => {
      const entries = command.input.Records ?? [];
      const attempt = calls.length;
      calls.push(entries.map((entry) => entry.PartitionKey!));
      return {
        Records: entries.map((entry, index) =>
          throttle(attempt, entry.PartitionKey!) ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' } : { ShardId: `shardId-00000000000${index % 2}`, SequenceNumber: `4960${attempt}${index}` },
        ),
      };
    },
  } as unknown as KinesisClient;
  return { client, calls };
}

const records = ['a', 'b', 'c', 'd'].map((partitionKey) => ({ partitionKey, data: `{"session_id":"${partitionKey}"}` }));

describe('putRecords', () => {
  it('retries only the entries that failed, and tells where each record landed', async () => {
    const { client, calls } = fakeKinesis((attempt, key) => attempt === 0 && (key === 'b' || key === 'd'));
    const result = await putRecords(client, 'events', records, { baseDelayMs: 1 });
    expect(calls).toEqual([['a', 'b', 'c', 'd'], ['b', 'd']]);
    expect(result).toMatchObject({ sent: 4, failed: 0, requests: 2, retried: 2, failedIndexes: [], failedErrorCodes: [] });
    expect(result.placements!.map((placement) => placement?.sequenceNumber)).toEqual(['496000', '496010', '496002', '496011']);
  });

  it('gives up after maxAttempts and reports the failed indexes with their last error code', async () => {
    const { client, calls } = fakeKinesis((_attempt, key) => key === 'c');
    const result = await putRecords(client, 'events', records, { maxAttempts: 3, baseDelayMs: 1 });
    expect(calls).toHaveLength(3);
    expect(result).toMatchObject({ sent: 3, failed: 1, failedIndexes: [2], failedErrorCodes: ['ProvisionedThroughputExceededException'] });
    expect(result.placements![2]).toBeUndefined();
  });
});
