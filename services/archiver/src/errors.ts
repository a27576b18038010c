import { StoreWriteError } from '@clickstream/shared';

/**
 * An S3 request of the archiver failed after the SDK's own retries. Retriable: the records of
 * the group it was writing are reported as a partial batch failure and redelivered.
 */
export class ArchiveWriteError extends StoreWriteError {
  constructor(
    readonly operation: 'list' | 'put',
    readonly key: string,
    cause: unknown,
  ) {
    super(`archive ${operation} of ${key} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause, context: { operation, key } });
  }
}
