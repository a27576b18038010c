/**
 * The end-of-test summary: the data object k6 passes to `handleSummary(data)` and a text
 * rendering in the shape of k6's default "compact" summary (█ THRESHOLDS, █ TOTAL RESULTS, metric
 * groups), like jslib's `textSummary`.
 * https://grafana.com/docs/k6/latest/results-output/end-of-test/
 */
import { aggregate, type ThresholdResult } from './thresholds';
import type { GroupState, MetricContains, MetricSeries, MetricType, Registry } from './runtime';

export const DEFAULT_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'] as const;

export interface SummaryCheck {
  name: string;
  path: string;
  passes: number;
  fails: number;
}

export interface SummaryGroup {
  name: string;
  path: string;
  checks: SummaryCheck[];
  groups: SummaryGroup[];
}

export interface SummaryMetric {
  type: MetricType;
  contains: MetricContains;
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface SummaryData {
  root_group: SummaryGroup;
  options: { summaryTrendStats: string[]; summaryTimeUnit: string };
  state: { testRunDurationMs: number; isStdOutTTY: boolean; isStdErrTTY: boolean };
  metrics: Record<string, SummaryMetric>;
  /** Not in k6: what this runner adds (target, verification, pipeline request counts). */
  clickstream?: Record<string, unknown>;
}

function seriesValues(series: MetricSeries, type: MetricType, trendStats: readonly string[], elapsedMs: number): Record<string, number> {
  switch (type) {
    case 'counter':
      return { count: series.sum, rate: aggregate(series, 'rate', elapsedMs) };
    case 'gauge':
      return { value: series.last, min: series.count === 0 ? 0 : series.min, max: series.count === 0 ? 0 : series.max };
    case 'rate':
      return { rate: aggregate(series, 'rate', elapsedMs), passes: series.passes, fails: series.count - series.passes };
    case 'trend':
      return Object.fromEntries(
        trendStats.map((stat) => {
          const percentile = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat);
          return [stat, percentile ? series.percentile(Number(percentile[1])) : aggregate(series, stat, elapsedMs)];
        }),
      );
  }
}

function toSummaryGroup(group: GroupState): SummaryGroup {
  return {
    name: group.name,
    path: group.path,
    checks: [...group.checks.values()].map((check) => ({ ...check })),
    groups: [...group.groups.values()].map(toSummaryGroup),
  };
}

export function buildSummaryData(registry: Registry, results: readonly ThresholdResult[], elapsedMs: number, trendStats: readonly string[] = DEFAULT_TREND_STATS): SummaryData {
  const metrics: Record<string, SummaryMetric> = {};
  const add = (key: string, type: MetricType, contains: MetricContains, series: MetricSeries) => {
    if (series.count === 0 && !results.some((result) => result.threshold.metricKey === key)) return;
    metrics[key] = { type, contains, values: seriesValues(series, type, trendStats, elapsedMs) };
  };
  for (const metric of registry.metrics.values()) {
    add(metric.name, metric.type, metric.contains, metric.series);
    for (const [key, sub] of metric.subMetrics) add(key, metric.type, metric.contains, sub.series);
  }
  for (const result of results) {
    const metric = metrics[result.threshold.metricKey];
    if (metric === undefined) continue;
    metric.thresholds ??= {};
    metric.thresholds[result.threshold.source] = { ok: result.ok };
  }
  return {
    root_group: toSummaryGroup(registry.rootGroup),
    options: { summaryTrendStats: [...trendStats], summaryTimeUnit: '' },
    state: { testRunDurationMs: elapsedMs, isStdOutTTY: Boolean(process.stdout.isTTY), isStdErrTTY: Boolean(process.stderr.isTTY) },
    metrics,
  };
}

/** k6's number formatting: durations in µs/ms/s/m, data in B/kB/MB, plain numbers trimmed. */
export function formatValue(value: number, contains: MetricContains): string {
  if (!Number.isFinite(value)) return String(value);
  if (contains === 'time') {
    if (value === 0) return '0s';
    if (value < 1) return `${(value * 1000).toFixed(2)}µs`;
    if (value < 1000) return `${value.toFixed(2)}ms`;
    if (value < 60_000) return `${(value / 1000).toFixed(2)}s`;
    return `${Math.floor(value / 60_000)}m${((value % 60_000) / 1000).toFixed(1)}s`;
  }
  if (contains === 'data') {
    if (value < 1000) return `${value} B`;
    if (value < 1e6) return `${(value / 1e3).toFixed(1)} kB`;
    return `${(value / 1e6).toFixed(1)} MB`;
  }
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 1 ? 4 : 2).replace(/\.?0+$/, '');
}

function metricLine(name: string, metric: SummaryMetric, trendStats: readonly string[], width: number): string {
  const label = `${name}${'.'.repeat(Math.max(2, width - name.length))}:`;
  const v = metric.values;
  switch (metric.type) {
    case 'trend':
      return `${label} ${trendStats.map((stat) => `${stat}=${formatValue(v[stat] ?? 0, metric.contains)}`).join(' ')}`;
    case 'counter':
      return `${label} ${formatValue(v.count ?? 0, metric.contains).padEnd(8)} ${formatValue(v.rate ?? 0, metric.contains === 'data' ? 'data' : 'default')}/s`;
    case 'rate': {
      const total = (v.passes ?? 0) + (v.fails ?? 0);
      return `${label} ${((v.rate ?? 0) * 100).toFixed(2)}% ${v.passes} out of ${total}`;
    }
    case 'gauge':
      return `${label} ${formatValue(v.value ?? 0, metric.contains).padEnd(8)} min=${formatValue(v.min ?? 0, metric.contains)} max=${formatValue(v.max ?? 0, metric.contains)}`;
  }
}

const EXECUTION_METRICS = new Set(['iterations', 'iteration_duration', 'dropped_iterations', 'vus', 'vus_max']);

function allChecks(group: SummaryGroup): SummaryCheck[] {
  return [...group.checks, ...group.groups.flatMap(allChecks)];
}

function renderGroupChecks(group: SummaryGroup, indent: string, lines: string[]): void {
  for (const check of group.checks) {
    const total = check.passes + check.fails;
    lines.push(check.fails === 0 ? `${indent}✓ ${check.name}` : `${indent}✗ ${check.name}\n${indent}  ↳  ${Math.round((check.passes / Math.max(1, total)) * 100)}% — ✓ ${check.passes} / ✗ ${check.fails}`);
  }
  for (const child of group.groups) {
    lines.push('', `${indent}█ ${child.name}`, '');
    renderGroupChecks(child, `${indent}  `, lines);
  }
}

/** The text summary, shaped like k6's default end-of-test output. */
export function textSummary(data: SummaryData, options: { indent?: string } = {}): string {
  const indent = options.indent ?? '  ';
  const trendStats = data.options.summaryTrendStats;
  const lines: string[] = [];
  const names = Object.keys(data.metrics).sort();
  const width = Math.max(20, ...names.map((name) => name.length + 3));

  const withThresholds = names.filter((name) => data.metrics[name]!.thresholds !== undefined);
  if (withThresholds.length > 0) {
    lines.push('', `${indent}█ THRESHOLDS`, '');
    for (const name of withThresholds) {
      const metric = data.metrics[name]!;
      lines.push(`${indent}  ${name}`);
      for (const [source, { ok }] of Object.entries(metric.thresholds!)) {
        const aggregation = /^\s*([a-z]+(?:\([\d.]+\))?)/.exec(source)?.[1] ?? '';
        const observed = metric.values[aggregation] ?? (aggregation === 'count' ? metric.values.count : undefined);
        const shown = observed === undefined ? '' : ` ${aggregation}=${metric.type === 'rate' ? `${(observed * 100).toFixed(2)}%` : formatValue(observed, metric.contains)}`;
        lines.push(`${indent}  ${ok ? '✓' : '✗'} '${source}'${shown}`);
      }
      lines.push('');
    }
  }

  lines.push('', `${indent}█ TOTAL RESULTS`, '');
  const checks = allChecks(data.root_group);
  if (checks.length > 0) {
    const passes = checks.reduce((sum, check) => sum + check.passes, 0);
    const fails = checks.reduce((sum, check) => sum + check.fails, 0);
    const total = passes + fails;
    const seconds = data.state.testRunDurationMs / 1000;
    const checkWidth = 19;
    lines.push(`${indent}  ${'checks_total'.padEnd(checkWidth, '.')}: ${String(total).padEnd(8)} ${formatValue(seconds > 0 ? total / seconds : 0, 'default')}/s`);
    lines.push(`${indent}  ${'checks_succeeded'.padEnd(checkWidth, '.')}: ${((passes / Math.max(1, total)) * 100).toFixed(2)}% ${passes} out of ${total}`);
    lines.push(`${indent}  ${'checks_failed'.padEnd(checkWidth, '.')}: ${((fails / Math.max(1, total)) * 100).toFixed(2)}% ${fails} out of ${total}`, '');
    renderGroupChecks(data.root_group, `${indent}  `, lines);
    lines.push('');
  }

  const custom = names.filter((name) => !EXECUTION_METRICS.has(name.split('{')[0]!) && name !== 'checks');
  const execution = names.filter((name) => EXECUTION_METRICS.has(name.split('{')[0]!));
  for (const [title, group] of [['CUSTOM', custom], ['EXECUTION', execution]] as const) {
    if (group.length === 0) continue;
    lines.push(`${indent}  ${title}`);
    for (const name of group) lines.push(`${indent}  ${metricLine(name, data.metrics[name]!, trendStats, width)}`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
