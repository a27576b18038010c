import { ClickstreamError } from '@clickstream/shared';

/** A forget request that cannot be carried out as sent. Permanent: fix the request. */
export class ForgetRequestError extends ClickstreamError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/** An hour that could not be re-compacted from its rewritten raw objects. Retriable: run the request again. */
export class RecompactionError extends ClickstreamError {
  constructor(hour: string, message: string, cause?: unknown) {
    super(`${hour}: ${message}`, { retriable: true, cause, context: { hour } });
  }
}
