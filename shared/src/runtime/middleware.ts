import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { requestLogger, type Logger } from './logger';
import { MetricsLogger, type EmfWriter } from './metrics';

/** What every handler finds on its context: a request-scoped logger and an EMF metrics logger. */
export interface ObservedContext extends Context {
  logger: Logger;
  metrics: MetricsLogger;
}

/**
 * Middy middleware: binds the request id to the logger, collects metrics during the invocation,
 * and writes them as one set of EMF lines when it ends, whether it succeeded or threw.
 */
export function observability(options: { logger: Logger; namespace: string; service: string; emfWriter: EmfWriter }): MiddlewareObj<unknown, unknown, Error, ObservedContext> {
  const startTimes = new WeakMap<object, number>();
  return {
    before: (request) => {
      startTimes.set(request, Date.now());
      request.context.logger = requestLogger(options.logger, request.context.awsRequestId);
      request.context.metrics = new MetricsLogger(options.namespace, { Service: options.service }, options.emfWriter);
    },
    after: (request) => {
      request.context.metrics.add('HandlerDuration', Date.now() - (startTimes.get(request) ?? Date.now()), 'Milliseconds');
      request.context.metrics.flush();
    },
    onError: (request) => {
      request.context.logger?.error({ err: request.error }, 'invocation failed');
      request.context.metrics?.add('HandlerErrors', 1);
      request.context.metrics?.flush();
    },
  };
}
