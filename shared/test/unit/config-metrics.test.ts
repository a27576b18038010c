import { ConfigError, functionEnvironment, loadConfig, MetricsLogger, parseEmfLine, resourceNames } from '@clickstream/shared';

describe('loadConfig', () => {
  it('derives every resource name from project and environment', () => {
    const config = loadConfig({ PROJECT_NAME: 'shop', ENVIRONMENT: 'prod' });
    expect(config.tables).toEqual({ pageMetrics: 'shop-prod-page-metrics', sessionMetrics: 'shop-prod-session-metrics', counters: 'shop-prod-counters', alerts: 'shop-prod-alerts' });
    expect(config.streamName).toBe('shop-prod-events');
  });

  it('round-trips the environment built for a function', () => {
    const names = resourceNames('shop', 'staging');
    const env = functionEnvironment({ service: 'event-processor', project: 'shop', environment: 'staging', names: { ...names, tables: { ...names.tables, counters: 'custom-counters' } } });
    expect(loadConfig(env).tables.counters).toBe('custom-counters');
  });

  it.each([
    [{ AGGREGATE_TTL_DAYS: 'ninety' }, 'AGGREGATE_TTL_DAYS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ AWS_ENDPOINT_URL_DYNAMODB: 'localhost:8000' }, 'AWS_ENDPOINT_URL_DYNAMODB'],
    [{ MAX_RECORD_BYTES: '0' }, 'MAX_RECORD_BYTES'],
    [{ ALERTS_TOPIC_ARN: 'my-topic' }, 'ALERTS_TOPIC_ARN'],
  ])('fails loudly on %p, naming the variable', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${variable}:`));
  });
});

describe('Embedded Metric Format', () => {
  it('writes one line per dimension set that CloudWatch (and parseEmfLine) reads back', () => {
    const lines: string[] = [];
    const metrics = new MetricsLogger('Clickstream', { Service: 'event-processor' }, (line) => lines.push(line));
    metrics.add('EventsProcessed', 3, 'Count', { EventType: 'click' });
    metrics.add('EventsProcessed', 2, 'Count', { EventType: 'click' });
    metrics.add('EventsProcessed', 1, 'Count', { EventType: 'purchase' });
    metrics.flush(1_000);
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!);
    expect(first._aws).toEqual({ Timestamp: 1_000, CloudWatchMetrics: [{ Namespace: 'Clickstream', Dimensions: [['Service', 'EventType']], Metrics: [{ Name: 'EventsProcessed', Unit: 'Count' }] }] });
    expect(first).toMatchObject({ Service: 'event-processor', EventType: 'click', EventsProcessed: 5 });
    expect(lines.flatMap(parseEmfLine).map((point) => [point.dimensions.EventType, point.value])).toEqual([['click', 5], ['purchase', 1]]);
  });

  it('ignores log lines that are not EMF', () => {
    expect(parseEmfLine('{"level":"info","msg":"hello"}')).toEqual([]);
    expect(parseEmfLine('not json "_aws"')).toEqual([]);
  });
});
