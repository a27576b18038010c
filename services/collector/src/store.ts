import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { putRecords, type RecordPlacement } from '@clickstream/shared';
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

export class KinesisEventStream implements EventStream {
  constructor(
    private readonly client: KinesisClient,
    private readonly streamName: string,
    private readonly options: { maxAttempts: number; baseDelayMs: number },
  ) {}

  async write(records: ReadonlyArray<{ partitionKey: string; data: Uint8Array }>): Promise<WriteResult> {
    try {
      const result = await putRecords(this.client, this.streamName, records, this.options);
      return { placements: result.placements ?? [], failedErrorCodes: result.failedErrorCodes ?? [], retried: result.retried };
    } catch (error) {
      throw new StreamWriteError(this.streamName, error);
    }
  }
}
