/**
 * k6 thresholds: `'<aggregation> <operator> <value>'` expressions per metric (or sub-metric
 * `name{tag:value}`), in the short form (`['p(95)<200']`) or the long form
 * (`[{ threshold: 'rate<0.01', abortOnFail: true, delayAbortEval: '10s' }]`).
 * https://grafana.com/docs/k6/latest/using-k6/thresholds/
 */
import { parseDuration } from './duration';
import { MetricSeries, type MetricState, type MetricType, type Registry, type Tags } from './runtime';

export type ThresholdSpec = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string };
export type ThresholdOptions = Record<string, ThresholdSpec[]>;

export const OPERATORS = ['<=', '>=', '===', '==', '!=', '<', '>'] as const;
export type Operator = (typeof OPERATORS)[number];

export interface ParsedExpression {
  source: string;
  aggregation: string;
  /** For `p(N)`: N. */
  percentile?: number;
  operator: Operator;
  value: number;
}

export interface Threshold extends ParsedExpression {
  /** The metric key as written: `put_latency` or `put_latency{scenario:spike}`. */
  metricKey: string;
  metricName: string;
  tags: Tags;
  abortOnFail: boolean;
  delayAbortEvalMs: number;
}

export interface ThresholdResult {
  threshold: Threshold;
  observed: number;
  ok: boolean;
}

const AGGREGATIONS: Record<MetricType, readonly string[]> = {
  counter: ['count', 'rate'],
  gauge: ['value'],
  rate: ['rate'],
  trend: ['avg', 'min', 'max', 'med', 'p'],
};

/** Parses `p(95) < 200`, `rate<0.01`, `count==0`; throws on anything k6 would reject. */
export function parseExpression(source: string): ParsedExpression {
  const match = /^\s*(avg|min|max|med|count|rate|value|p\(\s*(\d+(?:\.\d+)?)\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/.exec(source);
  if (match === null) throw new Error(`invalid threshold expression "${source}" (expected e.g. 'p(95)<200', 'rate<0.01', 'count==0')`);
  const [, aggregationText, percentileText, operator, valueText] = match;
  const isPercentile = percentileText !== undefined;
  const percentile = isPercentile ? Number(percentileText) : undefined;
  if (percentile !== undefined && (percentile < 0 || percentile > 100)) throw new Error(`percentile out of range in "${source}"`);
  return {
    source,
    aggregation: isPercentile ? 'p' : aggregationText!,
    ...(percentile === undefined ? {} : { percentile }),
    operator: operator as Operator,
    value: Number(valueText),
  };
}

/** Splits `name{tag:value,other:x}` into the metric name and its tag filter. */
export function parseMetricKey(key: string): { name: string; tags: Tags } {
  const match = /^([^{}\s]+)(?:\{(.*)\})?$/.exec(key.trim());
  if (match === null) throw new Error(`invalid threshold metric "${key}"`);
  const tags: Tags = {};
  if (match[2] !== undefined && match[2].trim() !== '') {
    for (const pair of match[2].split(',')) {
      const separator = pair.indexOf(':');
      if (separator <= 0) throw new Error(`invalid tag filter "${pair}" in "${key}" (expected tag:value)`);
      tags[pair.slice(0, separator).trim()] = pair.slice(separator + 1).trim();
    }
  }
  return { name: match[1]!, tags };
}

export function parseThresholds(options: ThresholdOptions = {}): Threshold[] {
  const thresholds: Threshold[] = [];
  for (const [metricKey, specs] of Object.entries(options)) {
    const { name, tags } = parseMetricKey(metricKey);
    if (!Array.isArray(specs)) throw new Error(`thresholds.${metricKey} must be an array`);
    for (const spec of specs) {
      const long = typeof spec === 'string' ? { threshold: spec } : spec;
      thresholds.push({
        ...parseExpression(long.threshold),
        metricKey,
        metricName: name,
        tags,
        abortOnFail: long.abortOnFail ?? false,
        delayAbortEvalMs: long.delayAbortEval === undefined ? 0 : parseDuration(long.delayAbortEval),
      });
    }
  }
  return thresholds;
}

/**
 * Checks each threshold against the registry's metrics (as k6 does before the test starts) and
 * registers the sub-metrics they name, so samples are split by tag from the first iteration.
 */
export function bindThresholds(thresholds: readonly Threshold[], registry: Registry): void {
  for (const threshold of thresholds) {
    const metric = registry.metrics.get(threshold.metricName);
    if (metric === undefined) throw new Error(`threshold on unknown metric "${threshold.metricName}" (create it in the init context)`);
    if (!AGGREGATIONS[metric.type].includes(threshold.aggregation)) {
      throw new Error(`threshold "${threshold.source}" on ${metric.type} metric "${metric.name}": use ${AGGREGATIONS[metric.type].join(', ')}`);
    }
    if (Object.keys(threshold.tags).length > 0 && !metric.subMetrics.has(threshold.metricKey)) {
      metric.subMetrics.set(threshold.metricKey, { tags: threshold.tags, series: new MetricSeries(metric.type) });
    }
  }
}

/** The value an aggregation takes on a series; `elapsedMs` turns a counter into a per-second rate. */
export function aggregate(series: MetricSeries, aggregation: string, elapsedMs: number, percentile?: number): number {
  switch (aggregation) {
    case 'count':
      return series.sum;
    case 'rate':
      if (series.type === 'counter') return elapsedMs > 0 ? series.sum / (elapsedMs / 1000) : 0;
      return series.count === 0 ? 0 : series.passes / series.count;
    case 'value':
      return series.last;
    case 'avg':
      return series.count === 0 ? 0 : series.sum / series.count;
    case 'min':
      return series.count === 0 ? 0 : series.min;
    case 'max':
      return series.count === 0 ? 0 : series.max;
    case 'med':
      return series.percentile(50);
    case 'p':
      return series.percentile(percentile ?? 0);
    default:
      throw new Error(`unknown aggregation "${aggregation}"`);
  }
}

export function compare(observed: number, operator: Operator, value: number): boolean {
  switch (operator) {
    case '<':
      return observed < value;
    case '<=':
      return observed <= value;
    case '>':
      return observed > value;
    case '>=':
      return observed >= value;
    case '==':
    case '===':
      return observed === value;
    case '!=':
      return observed !== value;
  }
}

function seriesOf(metric: MetricState, threshold: Threshold): MetricSeries {
  return Object.keys(threshold.tags).length === 0 ? metric.series : (metric.subMetrics.get(threshold.metricKey)?.series ?? metric.series);
}

export function evaluateThresholds(thresholds: readonly Threshold[], registry: Registry, elapsedMs: number): ThresholdResult[] {
  return thresholds.map((threshold) => {
    const metric = registry.metrics.get(threshold.metricName);
    if (metric === undefined) return { threshold, observed: Number.NaN, ok: false };
    const observed = aggregate(seriesOf(metric, threshold), threshold.aggregation, elapsedMs, threshold.percentile);
    return { threshold, observed, ok: compare(observed, threshold.operator, threshold.value) };
  });
}
