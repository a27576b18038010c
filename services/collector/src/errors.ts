import { ClickstreamError } from '@clickstream/shared';

/** A PutRecords call failed as a whole (after the SDK's retries). Retriable: the client is answered 503 and sends again. */
export class StreamWriteError extends ClickstreamError {
  constructor(
    readonly streamName: string,
    cause: unknown,
  ) {
    super(`PutRecords to ${streamName} failed: ${(cause as Error)?.name ?? 'Error'}: ${(cause as Error)?.message ?? String(cause)}`, { cause, retriable: true, context: { streamName } });
  }
}
