import { Registry, registerBuiltins } from '../../k6/runtime';
import { bindThresholds, evaluateThresholds, parseExpression, parseMetricKey, parseThresholds } from '../../k6/thresholds';

function registryWith(): Registry {
  const registry = new Registry();
  registerBuiltins(registry);
  registry.metric('put_latency', 'trend', 'time');
  registry.metric('events_failed', 'counter');
  registry.metric('accepted', 'rate');
  registry.metric('lag', 'gauge');
  return registry;
}

describe('threshold expressions', () => {
  it.each([
    ['p(95)<200', { aggregation: 'p', percentile: 95, operator: '<', value: 200 }],
    ['p(99.9) <= 1000', { aggregation: 'p', percentile: 99.9, operator: '<=', value: 1000 }],
    ['rate<0.01', { aggregation: 'rate', operator: '<', value: 0.01 }],
    ['count==0', { aggregation: 'count', operator: '==', value: 0 }],
    ['avg >= 1.5', { aggregation: 'avg', operator: '>=', value: 1.5 }],
    ['med!=3', { aggregation: 'med', operator: '!=', value: 3 }],
    ['value>-2', { aggregation: 'value', operator: '>', value: -2 }],
  ])('parses %s', (source, expected) => {
    expect(parseExpression(source)).toMatchObject(expected);
  });

  it.each(['p95<200', 'p(95)', 'rate < abc', 'mean<3', 'p(101)<1', ''])('rejects %j', (source) => {
    expect(() => parseExpression(source)).toThrow();
  });

  it('splits a sub-metric key into name and tags', () => {
    expect(parseMetricKey('put_latency{scenario:spike,type:api}')).toEqual({ name: 'put_latency', tags: { scenario: 'spike', type: 'api' } });
    expect(parseMetricKey('checks')).toEqual({ name: 'checks', tags: {} });
  });

  it('reads the short and the long form', () => {
    const thresholds = parseThresholds({ put_latency: ['p(95)<200', { threshold: 'max<1000', abortOnFail: true, delayAbortEval: '10s' }] });
    expect(thresholds.map(({ source, abortOnFail, delayAbortEvalMs }) => ({ source, abortOnFail, delayAbortEvalMs }))).toEqual([
      { source: 'p(95)<200', abortOnFail: false, delayAbortEvalMs: 0 },
      { source: 'max<1000', abortOnFail: true, delayAbortEvalMs: 10_000 },
    ]);
  });
});

describe('binding thresholds to metrics', () => {
  it('refuses an unknown metric and an aggregation the metric type does not have', () => {
    const registry = registryWith();
    expect(() => bindThresholds(parseThresholds({ nope: ['count<1'] }), registry)).toThrow(/unknown metric/);
    expect(() => bindThresholds(parseThresholds({ put_latency: ['count<1'] }), registry)).toThrow(/trend/);
    expect(() => bindThresholds(parseThresholds({ accepted: ['p(95)<1'] }), registry)).toThrow(/rate/);
  });
});

describe('evaluating thresholds', () => {
  it('passes and fails on each metric type', () => {
    const registry = registryWith();
    for (let value = 1; value <= 100; value++) registry.add('put_latency', value);
    registry.add('events_failed', 3);
    registry.add('accepted', 1);
    registry.add('accepted', 1);
    registry.add('accepted', 0);
    registry.add('lag', 7);
    registry.add('lag', 5);
    const thresholds = parseThresholds({
      put_latency: ['p(95)<96', 'p(95)<95', 'avg==50.5', 'med<=50.5', 'min==1', 'max<100'],
      events_failed: ['count==0', 'rate<=1.5'],
      accepted: ['rate>0.6', 'rate>0.9'],
      lag: ['value==5'],
    });
    bindThresholds(thresholds, registry);
    const results = evaluateThresholds(thresholds, registry, 2000);
    expect(results.map((result) => [result.threshold.metricKey, result.threshold.source, result.ok])).toEqual([
      ['put_latency', 'p(95)<96', true],
      ['put_latency', 'p(95)<95', false],
      ['put_latency', 'avg==50.5', true],
      ['put_latency', 'med<=50.5', true],
      ['put_latency', 'min==1', true],
      ['put_latency', 'max<100', false],
      ['events_failed', 'count==0', false],
      ['events_failed', 'rate<=1.5', true],
      ['accepted', 'rate>0.6', true],
      ['accepted', 'rate>0.9', false],
      ['lag', 'value==5', true],
    ]);
    expect(results[0]!.observed).toBeCloseTo(95.05);
  });

  it('judges a sub-metric on the samples whose tags match', () => {
    const registry = registryWith();
    const thresholds = parseThresholds({ 'put_latency{scenario:spike}': ['max<50'], put_latency: ['max<50'] });
    bindThresholds(thresholds, registry);
    registry.add('put_latency', 10, { scenario: 'spike' });
    registry.add('put_latency', 90, { scenario: 'steady' });
    expect(evaluateThresholds(thresholds, registry, 1000).map((result) => result.ok)).toEqual([true, false]);
  });
});
