import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createLogger, parseEmfLine } from '@clickstream/shared';
import { createHandler, dependenciesFromEnv } from '../../src/handler';
import { MemoryStream, pageView } from '../support/requests';

/** The event a function URL (or an HTTP API, payload 2.0) sends. */
function functionUrlEvent(overrides: Partial<APIGatewayProxyEventV2> & { method?: string } = {}): APIGatewayProxyEventV2 {
  const { method = 'POST', ...rest } = overrides;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/v1/events',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'user-agent': 'curl/8.0', host: 'abc.lambda-url.us-east-1.on.aws' },
    requestContext: {
      accountId: 'anonymous', apiId: 'abc', domainName: 'abc.lambda-url.us-east-1.on.aws', domainPrefix: 'abc', requestId: 'r-1', routeKey: '$default', stage: '$default',
      time: '22/Nov/2026:10:16:00 +0000', timeEpoch: Date.now(),
      http: { method, path: overrides.rawPath ?? '/v1/events', protocol: 'HTTP/1.1', sourceIp: '198.51.100.23', userAgent: 'curl/8.0' },
    },
    isBase64Encoded: false,
    ...rest,
  };
}

const context = { awsRequestId: 'req-1', functionName: 'clickstream-analytics-dev-collector', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

function build(env: Record<string, string> = {}) {
  const stream = new MemoryStream();
  const lines: string[] = [];
  const deps = dependenciesFromEnv({ COLLECTOR_ALLOW_LOOPBACK_ORIGINS: 'true', COLLECTOR_REQUIRE_WRITE_KEY: 'false', ...env }, { stream, logger: createLogger({ service: 'collector', level: 'silent' }), emfWriter: (line) => lines.push(line), assets: {} });
  return { handler: createHandler(deps), stream, metrics: () => lines.flatMap(parseEmfLine) };
}

describe('the Lambda handler (function URL / HTTP API payload 2.0)', () => {
  it('reads a text body, writes the events and answers JSON; the client address comes from sourceIp', async () => {
    const { handler, stream, metrics } = build();
    const now = new Date().toISOString();
    const result = await handler(functionUrlEvent({ body: JSON.stringify([pageView({ timestamp: now })]) }), context);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body!)).toMatchObject({ accepted: 1 });
    expect(stream.events()[0]).toMatchObject({ ip_address: '198.51.100.0', user_agent: 'curl/8.0' });
    expect(metrics()).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'CollectorEventsWritten', value: 1, dimensions: { Service: 'collector' } })]));
  });

  it('reads a base64 body (what a function URL sends for non-text content)', async () => {
    const { handler, stream } = build();
    const body = Buffer.from(JSON.stringify({ events: [pageView({ timestamp: new Date().toISOString() })] })).toString('base64');
    const result = await handler(functionUrlEvent({ body, isBase64Encoded: true }), context);
    expect(result.statusCode).toBe(200);
    expect(stream.written).toHaveLength(1);
  });

  it('answers the pixel GIF base64-encoded, as Lambda requires for binary bodies', async () => {
    const { handler } = build();
    const result = await handler(functionUrlEvent({ method: 'GET', rawPath: '/v1/pixel.gif', rawQueryString: 'page_url=%2Fabout' }), context);
    expect(result).toMatchObject({ statusCode: 200, isBase64Encoded: true });
    expect(Buffer.from(result.body!, 'base64').subarray(0, 6).toString()).toBe('GIF89a');
  });

  it('refuses a body over the limit with 413', async () => {
    const { handler, stream } = build({ COLLECTOR_MAX_BODY_BYTES: '2048' });
    const result = await handler(functionUrlEvent({ body: JSON.stringify([pageView({ referrer: 'x'.repeat(3000) })]) }), context);
    expect(result.statusCode).toBe(413);
    expect(JSON.parse(result.body!)).toMatchObject({ error: 'body_too_large' });
    expect(stream.calls).toBe(0);
  });

  it('fails loudly at cold start on a malformed setting, naming the variable', () => {
    expect(() => build({ COLLECTOR_ALLOWED_ORIGINS: 'https://shop.example.com/path' })).toThrow(/COLLECTOR_ALLOWED_ORIGINS/);
    expect(() => build({ COLLECTOR_WRITE_KEYS: 'short' })).toThrow(/COLLECTOR_WRITE_KEYS/);
    expect(() => build({ COLLECTOR_RATE_LIMIT_PER_SECOND: 'lots' })).toThrow(/COLLECTOR_RATE_LIMIT_PER_SECOND/);
  });
});
