import { StoreWriteError } from '@clickstream/shared';

/**
 * An S3 request of the compactor failed after the SDK's own retries. Retriable: nothing was
 * switched, so the hour stays on its previous generation and the next run compacts it again.
 */
export class LakeStoreError extends StoreWriteError {
  constructor(
    readonly operation: 'list' | 'get' | 'put' | 'delete',
    readonly key: string,
    cause: unknown,
  ) {
    super(`lake ${operation} of ${key} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause, context: { operation, key } });
  }
}
