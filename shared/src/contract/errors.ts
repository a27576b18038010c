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
