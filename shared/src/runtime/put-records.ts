import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { backoffDelay, chunk, sleep } from './concurrency';

export const PUT_RECORDS_LIMIT = 500;

export interface PutResult {
  sent: number;
  failed: number;
  /** PutRecords calls made, retries included. */
  requests: number;
  /** Entries that were throttled or failed at least once and were retried. */
  retried: number;
  /** Indexes (into the records given) of the entries that still failed after the last attempt. */
  failedIndexes?: number[];
  /** The last error code of each entry in `failedIndexes` (`ProvisionedThroughputExceededException`, `InternalFailure`, …), same order. */
  failedErrorCodes?: string[];
  /** Where each record given landed (undefined for the failed ones), by index. */
  placements?: Array<RecordPlacement | undefined>;
}

/** The shard and sequence number Kinesis gave a record. */
export interface RecordPlacement {
  shardId: string;
  sequenceNumber: string;
}

export interface PutRecordsOptions {
  /** Attempts per entry, the first included (default 8). */
  maxAttempts?: number;
  /** Back-off base: before attempt n (from 1) a random wait up to base × 2^n (default 100 ms). */
  baseDelayMs?: number;
}

/**
 * Sends records with PutRecords in batches of up to 500 and retries only the failed entries
 * (throttled shards answer per entry), as Kinesis producers must.
 */
export async function putRecords(
  kinesis: KinesisClient,
  streamName: string,
  records: ReadonlyArray<{ partitionKey: string; data: string | Uint8Array }>,
  options: PutRecordsOptions = {},
): Promise<PutResult> {
  const result: PutResult = { sent: 0, failed: 0, requests: 0, retried: 0, failedIndexes: [], failedErrorCodes: [], placements: new Array(records.length).fill(undefined) };
  const lastErrorCodes = new Map<number, string>();
  let offset = 0;
  for (const group of chunk(records, PUT_RECORDS_LIMIT)) {
    let pending: PutRecordsRequestEntry[] = group.map((record) => ({
      PartitionKey: record.partitionKey,
      Data: typeof record.data === 'string' ? Buffer.from(record.data) : record.data,
    }));
    let pendingIndexes = group.map((_, index) => offset + index);
    offset += group.length;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= (options.maxAttempts ?? 8)) {
        result.failed += pending.length;
        result.failedIndexes!.push(...pendingIndexes);
        result.failedErrorCodes!.push(...pendingIndexes.map((index) => lastErrorCodes.get(index) ?? 'Unknown'));
        break;
      }
      if (attempt > 0) await sleep(backoffDelay(attempt, options.baseDelayMs ?? 100));
      result.requests++;
      const response = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: pending }));
      const failedAt = pending.map((_, index) => {
        const entry = response.Records?.[index];
        const inputIndex = pendingIndexes[index]!;
        if (entry?.ErrorCode !== undefined) {
          lastErrorCodes.set(inputIndex, entry.ErrorCode);
          return true;
        }
        // An answer without an entry for this record is not a confirmation: retry it.
        if (entry?.SequenceNumber === undefined || entry.ShardId === undefined) {
          lastErrorCodes.set(inputIndex, 'MissingResult');
          return true;
        }
        result.placements![inputIndex] = { shardId: entry.ShardId, sequenceNumber: entry.SequenceNumber };
        return false;
      });
      const failedEntries = pending.filter((_, index) => failedAt[index]);
      result.sent += pending.length - failedEntries.length;
      result.retried += failedEntries.length;
      pending = failedEntries;
      pendingIndexes = pendingIndexes.filter((_, index) => failedAt[index]);
    }
  }
  return result;
}
