/**
 * The one dashboard definition. The cdktf stack renders it into a CloudWatch dashboard with
 * `cloudWatchDashboardBody`; the local dashboard page reads the same data and draws it from the
 * EMF metrics the handlers print. Plain data only: no AWS types, no tokens.
 *
 * Metric templates are `[namespace, metricName, dimName, dimValue, ...]`. Dimension values may
 * hold placeholders that are filled per deployment:
 *   {{stream}}              the Kinesis stream name
 *   {{function:<service>}}  the Lambda function name of a service
 *   {{queue:<service>}}     the on-failure SQS queue name of a service
 * Placeholders use `{{ }}` on purpose: `${ }` would be read as interpolation by Terraform.
 *
 * A widget either lists explicit `metrics` or one `search`: every metric of `metricName` whose
 * dimensions are exactly `dimensions`, with `match` fixing some of them (a CloudWatch SEARCH
 * expression on AWS; a group-by on the free dimensions locally). Searches suit metrics whose
 * dimension values are open-ended (event types, rejection reasons, rule names).
 */
import { METRICS_NAMESPACE, SERVICES, type ServiceName } from './topology';

export type MetricStat = 'Sum' | 'Average' | 'Maximum' | 'Minimum' | 'SampleCount' | 'p50' | 'p90' | 'p99';
export type WidgetView = 'timeSeries' | 'singleValue' | 'bar';

/** `[namespace, metricName, ...dimName, dimValue pairs]`. */
export type MetricTemplate = readonly [namespace: string, metricName: string, ...dimensions: string[]];

export interface MetricSearch {
  namespace: string;
  metricName: string;
  /** The full dimension set the metric is published with, e.g. `['Service', 'EventType']`. */
  dimensions: readonly string[];
  /** Fixed dimension values; the remaining dimensions become one line each. */
  match: Readonly<Record<string, string>>;
}

export interface DashboardWidget {
  id: string;
  title: string;
  view: WidgetView;
  stacked: boolean;
  stat: MetricStat;
  /** Seconds. */
  period: number;
  metrics?: readonly MetricTemplate[];
  search?: MetricSearch;
  /** Grid units out of 24. */
  width: number;
  height: number;
}

export interface DashboardDefinition {
  title: string;
  /** Default time range, in minutes, shown when the dashboard opens. */
  rangeMinutes: number;
  widgets: readonly DashboardWidget[];
}

/** What the placeholders resolve to for one deployment (tokens allowed: they are opaque strings). */
export interface DashboardNames {
  stream: string;
  functions: Readonly<Record<ServiceName, string>>;
  onFailureQueues: Readonly<Record<ServiceName, string>>;
}

const PERIOD = 60;

const perFunction = (metricName: string): MetricTemplate[] =>
  SERVICES.map((service) => ['AWS/Lambda', metricName, 'FunctionName', `{{function:${service}}}`] as const);

const widget = (w: Omit<DashboardWidget, 'width' | 'height' | 'stacked'> & Partial<Pick<DashboardWidget, 'width' | 'height' | 'stacked'>>): DashboardWidget => ({
  width: 12,
  height: 6,
  stacked: false,
  ...w,
});

export const DASHBOARD: DashboardDefinition = {
  title: 'Clickstream analytics',
  rangeMinutes: 180,
  widgets: [
    widget({
      id: 'events-by-type',
      title: 'Events processed by type',
      view: 'timeSeries',
      stacked: true,
      stat: 'Sum',
      period: PERIOD,
      search: { namespace: METRICS_NAMESPACE, metricName: 'EventsProcessed', dimensions: ['Service', 'EventType'], match: { Service: 'event-processor' } },
    }),
    widget({
      id: 'kinesis-incoming',
      title: 'Kinesis incoming records',
      view: 'timeSeries',
      stat: 'Sum',
      period: PERIOD,
      metrics: [['AWS/Kinesis', 'IncomingRecords', 'StreamName', '{{stream}}']],
    }),
    widget({
      id: 'invalid-records',
      title: 'Invalid records by reason (event-processor)',
      view: 'timeSeries',
      stacked: true,
      stat: 'Sum',
      period: PERIOD,
      search: { namespace: METRICS_NAMESPACE, metricName: 'InvalidRecords', dimensions: ['Service', 'Reason'], match: { Service: 'event-processor' } },
    }),
    widget({
      id: 'quarantined-records',
      title: 'Quarantined records by reason (archiver)',
      view: 'timeSeries',
      stacked: true,
      stat: 'Sum',
      period: PERIOD,
      search: { namespace: METRICS_NAMESPACE, metricName: 'QuarantinedRecords', dimensions: ['Service', 'Reason'], match: { Service: 'archiver' } },
    }),
    widget({
      id: 'anomalies-by-rule',
      title: 'Anomalies detected by rule',
      view: 'timeSeries',
      stacked: true,
      stat: 'Sum',
      period: PERIOD,
      search: { namespace: METRICS_NAMESPACE, metricName: 'AnomaliesDetected', dimensions: ['Service', 'Rule'], match: { Service: 'anomaly-detector' } },
    }),
    widget({
      id: 'kinesis-throughput-exceeded',
      title: 'Kinesis provisioned throughput exceeded',
      view: 'timeSeries',
      stat: 'Sum',
      period: PERIOD,
      metrics: [
        ['AWS/Kinesis', 'WriteProvisionedThroughputExceeded', 'StreamName', '{{stream}}'],
        ['AWS/Kinesis', 'ReadProvisionedThroughputExceeded', 'StreamName', '{{stream}}'],
      ],
    }),
    widget({
      id: 'kinesis-iterator-age',
      title: 'Kinesis GetRecords iterator age (ms)',
      view: 'timeSeries',
      stat: 'Maximum',
      period: PERIOD,
      metrics: [['AWS/Kinesis', 'GetRecords.IteratorAgeMilliseconds', 'StreamName', '{{stream}}']],
    }),
    widget({ id: 'lambda-iterator-age', title: 'Lambda iterator age (ms)', view: 'timeSeries', stat: 'Maximum', period: PERIOD, metrics: perFunction('IteratorAge') }),
    widget({ id: 'lambda-duration', title: 'Lambda duration p99 (ms)', view: 'timeSeries', stat: 'p99', period: PERIOD, metrics: perFunction('Duration') }),
    widget({ id: 'lambda-errors', title: 'Lambda errors', view: 'timeSeries', stat: 'Sum', period: PERIOD, metrics: perFunction('Errors') }),
    widget({ id: 'lambda-throttles', title: 'Lambda throttles', view: 'timeSeries', stat: 'Sum', period: PERIOD, metrics: perFunction('Throttles') }),
    widget({
      id: 'discarded-records',
      title: 'Records sent to the on-failure bucket',
      view: 'timeSeries',
      stat: 'Sum',
      period: PERIOD,
      // Event source mapping metrics carry only the mapping's UUID (one line per mapping).
      search: { namespace: 'AWS/Lambda', metricName: 'OnFailureDestinationDeliveredEventCount', dimensions: ['EventSourceMappingUUID'], match: {} },
    }),
    widget({
      id: 'lake-rows',
      title: 'Lake: raw lines, curated rows, duplicates removed per compacted hour',
      view: 'timeSeries',
      stat: 'Sum',
      period: 300,
      metrics: (['RawLines', 'CuratedRows', 'DuplicatesRemoved'] as const).map((name) => [METRICS_NAMESPACE, name, 'Service', 'compactor'] as const),
    }),
    widget({
      id: 'lake-quality',
      title: 'Lake: count mismatch vs counters, freshness p99 (ms), late events',
      view: 'timeSeries',
      stat: 'Maximum',
      period: 300,
      metrics: (['CountMismatch', 'FreshnessP99', 'LateEvents'] as const).map((name) => [METRICS_NAMESPACE, name, 'Service', 'compactor'] as const),
    }),
  ],
};

/** Replaces `{{stream}}`, `{{function:<service>}}` and `{{queue:<service>}}` in one string. */
export function fillPlaceholders(template: string, names: DashboardNames): string {
  return template.replace(/\{\{(stream|function|queue)(?::([a-z-]+))?\}\}/g, (whole, kind: string, service: string | undefined) => {
    if (kind === 'stream') return names.stream;
    const table = kind === 'function' ? names.functions : names.onFailureQueues;
    const value = service === undefined ? undefined : (table as Record<string, string>)[service];
    if (value === undefined) throw new Error(`dashboard placeholder ${whole} names no known service`);
    return value;
  });
}

/** The CloudWatch SEARCH expression for a widget's `search`. */
export function searchExpression(search: MetricSearch, stat: MetricStat, period: number): string {
  const schema = `{${[search.namespace, ...search.dimensions].join(',')}}`;
  const terms = [`MetricName="${search.metricName}"`, ...Object.entries(search.match).map(([name, value]) => `${name}="${value}"`)];
  return `SEARCH('${schema} ${terms.join(' ')}', '${stat}', ${period})`;
}

/** The CloudWatch dashboard body (JSON string) for `definition`, filled with one deployment's names. */
export function cloudWatchDashboardBody(definition: DashboardDefinition, names: DashboardNames, region: string): string {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const widgets = definition.widgets.map((w) => {
    if (x + w.width > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const position = { x, y, width: w.width, height: w.height };
    x += w.width;
    rowHeight = Math.max(rowHeight, w.height);
    const metrics = w.search
      ? [[{ expression: searchExpression(w.search, w.stat, w.period), id: 'e1', label: '', region }]]
      : (w.metrics ?? []).map((template) => template.map((part) => fillPlaceholders(part, names)));
    return {
      type: 'metric',
      ...position,
      properties: { title: w.title, region, view: w.view, stacked: w.stacked, stat: w.stat, period: w.period, metrics },
    };
  });
  return JSON.stringify({ start: `-PT${definition.rangeMinutes}M`, periodOverride: 'inherit', widgets });
}
