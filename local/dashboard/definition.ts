import { fillPlaceholders, searchExpression, type DashboardDefinition, type DashboardNames, type DashboardWidget, type MetricSearch, type ResourceNames } from '@clickstream/shared';

/** A widget of the shared definition with its placeholders filled for one deployment's names. */
export interface LocalWidget extends Omit<DashboardWidget, 'metrics' | 'search'> {
  metrics?: string[][];
  search?: MetricSearch & { expression: string };
  /** Set when nothing in the local stack emits the widget's metrics (only AWS does). */
  localNote?: string;
  /** What the values count, for the subtitle: `events`, `ms`, … */
  unit: string;
  /** What an empty chart means, when it is good news rather than missing data. */
  emptyNote?: string;
}

export interface LocalDashboard {
  title: string;
  /** The CloudWatch dashboard's default range; the local page opens on `defaultRangeMinutes`. */
  rangeMinutes: number;
  defaultRangeMinutes: number;
  rangesMinutes: readonly number[];
  widgets: LocalWidget[];
}

export const RANGES_MINUTES = [5, 15, 60] as const;
export const DEFAULT_RANGE_MINUTES = 15;

/**
 * Metrics CloudWatch publishes by itself on AWS that have no emitter in the local stack yet, so
 * their widgets say so instead of looking broken. Keys are `namespace/metricName`.
 */
const NOT_EMITTED_LOCALLY: Readonly<Record<string, string>> = {
  'AWS/Kinesis/WriteProvisionedThroughputExceeded': 'kinesalite does not throttle, so it emits no throughput metrics.',
  'AWS/Kinesis/ReadProvisionedThroughputExceeded': 'kinesalite does not throttle, so it emits no throughput metrics.',
  'AWS/Kinesis/GetRecords.IteratorAgeMilliseconds': 'kinesalite emits no GetRecords metrics; see the Lambda iterator age.',
  'AWS/Lambda/Throttles': 'The local event source mapping never throttles.',
  'AWS/SQS/ApproximateNumberOfMessagesVisible': 'fauxqs publishes no queue metrics.',
};

/** What each metric counts (the local page's subtitles; CloudWatch shows its own units). */
const METRIC_UNITS: Readonly<Record<string, string>> = {
  EventsProcessed: 'events',
  IncomingRecords: 'records',
  InvalidRecords: 'records',
  QuarantinedRecords: 'records',
  AnomaliesDetected: 'anomalies',
  WriteProvisionedThroughputExceeded: 'requests',
  ReadProvisionedThroughputExceeded: 'requests',
  'GetRecords.IteratorAgeMilliseconds': 'ms',
  IteratorAge: 'ms',
  Duration: 'ms',
  Errors: 'errors',
  Throttles: 'throttles',
  OnFailureDestinationDeliveredEventCount: 'records',
  RawLines: 'rows',
  CountMismatch: 'events or ms',
};

/** Widgets whose empty chart is the normal, good case. */
const EMPTY_NOTES: Readonly<Record<string, string>> = {
  'discarded-records': 'Nothing was sent to the on-failure bucket in this range: the mappings discarded no records.',
};

/** The local names for the definition's placeholders: the same `resourceNames` the stack provisions. */
export function dashboardNames(names: ResourceNames): DashboardNames {
  return { stream: names.stream, functions: names.functions, onFailureQueues: names.onFailureQueues };
}

/**
 * The shared definition as the local page draws it: the same widgets, in the same order, with the
 * same titles, stats, periods, metric templates (filled like `cloudWatchDashboardBody` fills them)
 * and search expressions. `emittedLocally` lists `namespace/metricName` keys seen in telemetry, so
 * a metric that appears later (a new emitter) loses its note without a code change.
 */
export function localDashboard(definition: DashboardDefinition, names: DashboardNames, emittedLocally: ReadonlySet<string> = new Set()): LocalDashboard {
  return {
    title: definition.title,
    rangeMinutes: definition.rangeMinutes,
    defaultRangeMinutes: DEFAULT_RANGE_MINUTES,
    rangesMinutes: RANGES_MINUTES,
    widgets: definition.widgets.map((widget) => {
      const { metrics, search, ...rest } = widget;
      const metricName = search?.metricName ?? metrics?.[0]?.[1] ?? '';
      const local: LocalWidget = { ...rest, unit: METRIC_UNITS[metricName] ?? 'count' };
      if (EMPTY_NOTES[widget.id] !== undefined) local.emptyNote = EMPTY_NOTES[widget.id];
      if (search) local.search = { ...search, expression: searchExpression(search, widget.stat, widget.period) };
      if (metrics) local.metrics = metrics.map((template) => template.map((part) => fillPlaceholders(part, names)));
      const keys = metricKeys(widget);
      const notes = keys.filter((key) => !emittedLocally.has(key)).map((key) => NOT_EMITTED_LOCALLY[key]).filter((note): note is string => note !== undefined);
      if (notes.length === keys.length && notes.length > 0) local.localNote = [...new Set(notes)].join(' ');
      return local;
    }),
  };
}

/** `namespace/metricName` of every metric a widget draws. */
export function metricKeys(widget: { metrics?: ReadonlyArray<readonly string[]>; search?: MetricSearch }): string[] {
  if (widget.search) return [`${widget.search.namespace}/${widget.search.metricName}`];
  return [...new Set((widget.metrics ?? []).map(([namespace, metricName]) => `${namespace}/${metricName}`))];
}
