import { ClickstreamError } from '@clickstream/shared';

/** Publishing an alert to SNS failed after the SDK's retries; the triggering records are redelivered. */
export class AlertPublishError extends ClickstreamError {
  constructor(message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, { ...options, retriable: true });
  }
}

/** A fenced state write kept conflicting (another writer moved the item every time). */
export class StateConflictError extends ClickstreamError {
  constructor(message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, { ...options, retriable: true });
  }
}
