import type { EmfDatapoint, MetricStat } from '@clickstream/shared';
import type { LocalWidget } from './definition';

/** One line of a chart: a value per bucket, `null` where no datapoint fell (CloudWatch draws a gap). */
export interface Series {
  label: string;
  values: Array<number | null>;
}

/** A widget's data, shaped for uPlot: bucket start times in epoch seconds and one array per line. */
export interface WidgetData {
  timestamps: number[];
  series: Series[];
}

export interface TimeRange {
  fromMs: number;
  toMs: number;
  /** Seconds per bucket. */
  periodSeconds: number;
}

/**
 * A widget's time series from EMF datapoints, resolved the way CloudWatch resolves it:
 * - a metric template matches datapoints with exactly its dimensions (names and values);
 * - a search matches datapoints whose dimension names are exactly `search.dimensions` and whose
 *   values agree with `search.match`, one line per combination of the remaining dimensions.
 * Datapoints are bucketed per period and reduced with the widget's stat.
 */
export function widgetData(widget: LocalWidget, points: readonly EmfDatapoint[], range: TimeRange): WidgetData {
  const periodMs = range.periodSeconds * 1000;
  const firstBucket = Math.floor(range.fromMs / periodMs) * periodMs;
  const lastBucket = Math.floor(range.toMs / periodMs) * periodMs;
  const timestamps: number[] = [];
  for (let bucket = firstBucket; bucket <= lastBucket; bucket += periodMs) timestamps.push(bucket / 1000);

  const lines = new Map<string, number[][]>();
  const order: string[] = [];
  const lineFor = (label: string) => {
    let buckets = lines.get(label);
    if (buckets === undefined) {
      buckets = timestamps.map(() => []);
      lines.set(label, buckets);
      order.push(label);
    }
    return buckets;
  };
  const add = (label: string, point: EmfDatapoint) => {
    if (point.timestampMs < firstBucket || point.timestampMs >= lastBucket + periodMs) return;
    lineFor(label)[Math.floor((point.timestampMs - firstBucket) / periodMs)]!.push(point.value);
  };

  if (widget.search) {
    const { namespace, metricName, dimensions, match } = widget.search;
    const free = dimensions.filter((name) => !(name in match));
    for (const point of points) {
      if (point.namespace !== namespace || point.name !== metricName) continue;
      if (!sameNames(Object.keys(point.dimensions), dimensions)) continue;
      if (!Object.entries(match).every(([name, value]) => point.dimensions[name] === value)) continue;
      add(free.map((name) => point.dimensions[name]).join(' ') || metricName, point);
    }
    order.sort((a, b) => a.localeCompare(b));
  } else {
    const templates = (widget.metrics ?? []).map(parseTemplate);
    const labels = templateLabels(templates);
    // Explicit metrics always get a line, in the definition's order, even before any data arrives.
    labels.forEach((label) => lineFor(label));
    for (const point of points) {
      templates.forEach((template, index) => {
        if (point.namespace !== template.namespace || point.name !== template.metricName) return;
        if (!sameNames(Object.keys(point.dimensions), Object.keys(template.dimensions))) return;
        if (!Object.entries(template.dimensions).every(([name, value]) => point.dimensions[name] === value)) return;
        add(labels[index]!, point);
      });
    }
  }

  return { timestamps, series: order.map((label) => ({ label, values: lines.get(label)!.map((values) => reduce(values, widget.stat)) })) };
}

/** Reduces one bucket's values with a CloudWatch statistic; `null` for an empty bucket. */
export function reduce(values: readonly number[], stat: MetricStat): number | null {
  if (values.length === 0) return null;
  switch (stat) {
    case 'Sum':
      return values.reduce((total, value) => total + value, 0);
    case 'Average':
      return values.reduce((total, value) => total + value, 0) / values.length;
    case 'Maximum':
      return Math.max(...values);
    case 'Minimum':
      return Math.min(...values);
    case 'SampleCount':
      return values.length;
    default: {
      // pNN, nearest-rank.
      const sorted = [...values].sort((a, b) => a - b);
      const rank = Math.ceil((Number(stat.slice(1)) / 100) * sorted.length);
      return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
    }
  }
}

/** A bucket size that gives a readable number of points for a range, never finer than 10 s. */
export function periodFor(rangeMinutes: number): number {
  if (rangeMinutes <= 5) return 10;
  if (rangeMinutes <= 15) return 30;
  return 60;
}

interface ParsedTemplate {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
}

function parseTemplate(template: readonly string[]): ParsedTemplate {
  const [namespace = '', metricName = '', ...pairs] = template;
  const dimensions: Record<string, string> = {};
  for (let index = 0; index + 1 < pairs.length; index += 2) dimensions[pairs[index]!] = pairs[index + 1]!;
  return { namespace, metricName, dimensions };
}

/** CloudWatch-like labels: the metric name, plus the dimension values that tell lines apart. */
function templateLabels(templates: readonly ParsedTemplate[]): string[] {
  const sameMetric = new Set(templates.map((template) => `${template.namespace}/${template.metricName}`)).size === 1;
  return templates.map((template) => {
    const values = Object.values(template.dimensions);
    if (templates.length > 1 && sameMetric && values.length > 0) return values.join(' ');
    return template.metricName;
  });
}

function sameNames(actual: readonly string[], expected: readonly string[]): boolean {
  return actual.length === expected.length && expected.every((name) => actual.includes(name));
}
