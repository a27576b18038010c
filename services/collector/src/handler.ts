import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { COLLECTOR, createKinesisClient, observability, privacySource, serviceDependencies, validationLimits, type Env, type ObservedContext, type PrivacySource, type ServiceDependencies } from '@clickstream/shared';
import { loadCollectorSettings } from './config';
import type { CollectorRequest, CollectorResponse } from './http';
import { handleRequest, type CollectorDependencies } from './processor';
import { RateLimiter } from './rate-limit';
import { KinesisEventStream, type EventStream } from './store';

export const SERVICE = COLLECTOR.service;

/** PutRecords back-off base: retries of throttled entries wait up to 50, 100, 200 ms (a browser is waiting). */
const PUT_RETRY_BASE_MS = 25;

export interface Dependencies extends ServiceDependencies {
  collector: CollectorDependencies;
}

export type CollectorHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Builds the production dependencies from the environment (once per cold start): the settings,
 * a Kinesis stream from the shared client factory, the rate limiter, and the tracker builds that
 * scripts/build.ts puts next to the bundle.
 */
export function dependenciesFromEnv(env: Env, overrides: Partial<Omit<ServiceDependencies, 'config'>> & { stream?: EventStream; assets?: CollectorDependencies['assets']; privacy?: PrivacySource } = {}): Dependencies {
  const base = serviceDependencies(SERVICE, env, overrides);
  const settings = loadCollectorSettings(env);
  const stream = overrides.stream ?? new KinesisEventStream(createKinesisClient(base.config), base.config.streamName, { maxAttempts: settings.putAttempts, baseDelayMs: PUT_RETRY_BASE_MS });
  return {
    ...base,
    collector: {
      settings,
      limits: validationLimits(base.config),
      privacy: overrides.privacy ?? privacySource(base.config, { onRefreshError: (error) => base.logger.warn({ err: error }, 'could not re-read the address secret; the cached key stays in use') }),
      stream,
      rateLimiter: new RateLimiter(settings.rateLimitPerSecond, settings.rateLimitBurst),
      assets: overrides.assets ?? bundledAssets(),
    },
  };
}

/**
 * The Lambda handler for API Gateway HTTP API (payload format 2.0) and Lambda function URL
 * events, which share one format
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads): converts the
 * event to a plain request, lets the processor answer it, and converts the answer back.
 */
export function createHandler(deps: Dependencies): CollectorHandler {
  const { config } = deps;
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, ObservedContext>()
    .use(observability({ logger: deps.logger, namespace: config.metricsNamespace, service: SERVICE, emfWriter: deps.emfWriter }))
    .handler(async (event, context) => {
      const started = deps.now();
      const request = toRequest(event, started);
      const observe = { logger: context.logger, metrics: context.metrics };
      const response = await handleRequest(request, deps.collector, observe);
      context.logger.info({ method: request.method, path: request.path, status: response.status, bytes: request.body.byteLength, origin: request.headers.origin, ms: deps.now() - started }, 'request');
      return toResult(response, request.method);
    });
  return (event, context) => handler(event, context as ObservedContext);
}

/** The plain request of an HTTP API / function URL event. */
export function toRequest(event: APIGatewayProxyEventV2, nowMs: number): CollectorRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  const body = event.body === undefined ? new Uint8Array() : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    headers,
    query: new URLSearchParams(event.rawQueryString ?? ''),
    body,
    sourceIp: event.requestContext.http.sourceIp,
    receivedAtMs: event.requestContext.timeEpoch ?? nowMs,
  };
}

export function toResult(response: CollectorResponse, method: string): APIGatewayProxyStructuredResultV2 {
  const binary = typeof response.body !== 'string';
  const body = method === 'HEAD' ? '' : binary ? Buffer.from(response.body).toString('base64') : (response.body as string);
  return { statusCode: response.status, headers: response.headers, body, isBase64Encoded: binary && method !== 'HEAD' };
}

/** The tracker builds next to the bundle (dist/collector/tracker.js, tracker.mjs), when there. */
function bundledAssets(): CollectorDependencies['assets'] {
  const read = (file: string) => {
    const location = path.join(__dirname, file);
    return existsSync(location) ? readFileSync(location, 'utf8') : undefined;
  };
  const trackerScript = read('tracker.js');
  const trackerModule = read('tracker.mjs');
  return { ...(trackerScript === undefined ? {} : { trackerScript }), ...(trackerModule === undefined ? {} : { trackerModule }) };
}

let built: CollectorHandler | undefined;

/** Lambda entry point; configuration is parsed on the first invocation of the sandbox. */
export const handler: CollectorHandler = (event, context) => {
  built ??= createHandler(dependenciesFromEnv(process.env));
  return built(event, context);
};
