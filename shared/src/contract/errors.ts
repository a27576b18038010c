/**
 * Errors shared by every service. Each says what failed and why, carries its context, and is
 * either retriable (the same call may succeed later) or permanent.
 */
export class ClickstreamError extends Error {
  readonly retriable: boolean;
  readonly context: Record<string, unknown>;

  constructor(message: string, options: { cause?: unknown; retriable?: boolean; context?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
  }
}

/** A required environment variable is missing or malformed. Permanent: fix the deployment. */
export class ConfigError extends ClickstreamError {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`, { context: { variable } });
  }
}

/** A write to a store failed after its own retries; the records behind it must be redelivered. */
export class StoreWriteError extends ClickstreamError {
  constructor(message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, { ...options, retriable: true });
  }
}

const PERMANENT_ERROR_NAMES: ReadonlySet<string> = new Set(['ValidationException', 'SerializationException', 'ItemCollectionSizeLimitExceededException']);
// The document client's marshaller refuses what DynamoDB cannot hold exactly, before any request.
const PERMANENT_MESSAGES = /MAX_SAFE_INTEGER|removeUndefinedValues|Unsupported type passed/;

/**
 * The failure model's one classification. *Permanent*: the request can never succeed for this
 * data (a value or key the store cannot hold, which validation should already have rejected):
 * retrying would block the shard forever, so the caller reports the item and moves on.
 * *Transient*: everything else (throttling, 5xx, timeouts, refused connections, an unknown error):
 * retried, through redelivery, until the dependency is back; never dropped.
 */
export function isPermanentError(error: unknown): boolean {
  if (error instanceof ClickstreamError) return !error.retriable;
  const { name, message } = (error ?? {}) as { name?: string; message?: string };
  return PERMANENT_ERROR_NAMES.has(name ?? '') || PERMANENT_MESSAGES.test(message ?? '');
}
