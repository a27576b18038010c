import { check } from '../../k6';
import { registry } from '../../k6/runtime';
import { buildSummaryData, formatValue, textSummary } from '../../k6/summary';
import { Counter, Trend } from '../../k6/metrics';
import { bindThresholds, evaluateThresholds, parseThresholds } from '../../k6/thresholds';

describe('value formatting', () => {
  it.each([
    [0.5, 'time', '500.00µs'],
    [12.345, 'time', '12.35ms'],
    [1530, 'time', '1.53s'],
    [95_000, 'time', '1m35.0s'],
    [512, 'data', '512 B'],
    [121_000, 'data', '121.0 kB'],
    [1_200_000, 'data', '1.2 MB'],
    [2900, 'default', '2900'],
    [289.583, 'default', '289.58'],
  ] as const)('%s (%s) → %s', (value, contains, expected) => {
    expect(formatValue(value, contains)).toBe(expected);
  });
});

describe('the end-of-test summary', () => {
  // The module-level registry, as a script sees it: metrics from the init context, checks.
  const latency = new Trend('summary_latency', true);
  const sent = new Counter('summary_sent');
  for (let value = 1; value <= 10; value++) latency.add(value * 10);
  sent.add(500);
  check(200, { 'status is 200': (status) => status === 200 });
  check(500, { 'status is 200': (status) => status === 200 });
  const thresholds = parseThresholds({ summary_latency: ['p(95)<200', 'max<50'], summary_sent: ['count>0'] });
  bindThresholds(thresholds, registry);
  const data = buildSummaryData(registry, evaluateThresholds(thresholds, registry, 10_000), 10_000);

  it('holds k6 handleSummary data: metrics with values and threshold outcomes, checks in the root group', () => {
    expect(data.metrics.summary_latency).toMatchObject({ type: 'trend', contains: 'time', thresholds: { 'p(95)<200': { ok: true }, 'max<50': { ok: false } } });
    expect(Object.keys(data.metrics.summary_latency!.values)).toEqual(['avg', 'min', 'med', 'max', 'p(90)', 'p(95)']);
    expect(data.metrics.summary_sent!.values).toEqual({ count: 500, rate: 50 });
    expect(data.root_group.checks).toEqual([{ name: 'status is 200', path: '::status is 200', passes: 1, fails: 1 }]);
    expect(data.state.testRunDurationMs).toBe(10_000);
  });

  it('renders THRESHOLDS with ✓/✗ and the observed value, checks and trend statistics', () => {
    const text = textSummary(data);
    expect(text).toContain('█ THRESHOLDS');
    expect(text).toContain("✓ 'p(95)<200' p(95)=95.50ms");
    expect(text).toContain("✗ 'max<50' max=100.00ms");
    expect(text).toContain("✓ 'count>0' count=500");
    expect(text).toContain('█ TOTAL RESULTS');
    expect(text).toMatch(/checks_succeeded\.*: 50\.00% 1 out of 2/);
    expect(text).toContain('✗ status is 200');
    expect(text).toMatch(/summary_latency\.+: avg=55\.00ms min=10\.00ms med=55\.00ms max=100\.00ms p\(90\)=91\.00ms p\(95\)=95\.50ms/);
    expect(text).toMatch(/summary_sent\.+: 500 +50\/s/);
  });
});
