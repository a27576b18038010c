import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../contract/config';

export type { Logger } from 'pino';

/**
 * Structured JSON logs (pino). Lambda captures stdout; the local stack passes a file
 * destination. Bind the request id per invocation with `requestLogger`.
 */
export function createLogger(options: { service: string; level: LogLevel; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ sync: true }),
  );
}

/** A child logger carrying the Lambda request id on every line. */
export function requestLogger(logger: Logger, awsRequestId: string): Logger {
  return logger.child({ requestId: awsRequestId });
}
