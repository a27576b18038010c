import type { EmfDatapoint } from '@clickstream/shared';
import type { LocalWidget } from '../../dashboard/definition';
import { periodFor, reduce, widgetData } from '../../dashboard/series';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const range = { fromMs: T0, toMs: T0 + 59_000, periodSeconds: 30 };

const point = (name: string, value: number, dimensions: Record<string, string>, offsetMs = 0, namespace = 'Clickstream'): EmfDatapoint => ({
  namespace,
  name,
  unit: 'Count',
  value,
  dimensions,
  timestampMs: T0 + offsetMs,
});

const widget = (overrides: Partial<LocalWidget>): LocalWidget => ({ id: 'w', title: 'w', view: 'timeSeries', stacked: false, stat: 'Sum', period: 60, width: 12, height: 6, unit: 'count', ...overrides });

describe('widgetData with a search', () => {
  const byType = widget({
    stacked: true,
    search: { namespace: 'Clickstream', metricName: 'EventsProcessed', dimensions: ['Service', 'EventType'], match: { Service: 'event-processor' }, expression: '' },
  });

  it('draws one line per value of the free dimensions, summed per period', () => {
    const data = widgetData(
      byType,
      [
        point('EventsProcessed', 3, { Service: 'event-processor', EventType: 'page_view' }, 1_000),
        point('EventsProcessed', 2, { Service: 'event-processor', EventType: 'page_view' }, 20_000),
        point('EventsProcessed', 5, { Service: 'event-processor', EventType: 'click' }, 40_000),
      ],
      range,
    );
    expect(data.timestamps).toEqual([T0 / 1000, T0 / 1000 + 30]);
    expect(data.series).toEqual([
      { label: 'click', values: [null, 5] },
      { label: 'page_view', values: [5, null] },
    ]);
  });

  it('ignores datapoints with other dimension sets, other services, other metrics and points outside the range', () => {
    const data = widgetData(
      byType,
      [
        point('EventsProcessed', 1, { Service: 'event-processor' }),
        point('EventsProcessed', 1, { Service: 'event-processor', EventType: 'click', Extra: 'x' }),
        point('EventsProcessed', 1, { Service: 'archiver', EventType: 'click' }),
        point('EventsAccepted', 1, { Service: 'event-processor', EventType: 'click' }),
        point('EventsProcessed', 1, { Service: 'event-processor', EventType: 'click' }, -31_000),
        point('EventsProcessed', 1, { Service: 'event-processor', EventType: 'click' }, 0, 'Other'),
      ],
      range,
    );
    expect(data.series).toEqual([]);
  });
});

describe('widgetData with metric templates', () => {
  const duration = widget({
    stat: 'Maximum',
    metrics: [
      ['AWS/Lambda', 'Duration', 'FunctionName', 'app-event-processor'],
      ['AWS/Lambda', 'Duration', 'FunctionName', 'app-archiver'],
    ],
  });

  it('keeps a line per template, labelled by the dimension value that tells them apart, even without data', () => {
    const data = widgetData(duration, [point('Duration', 7, { FunctionName: 'app-archiver' }, 0, 'AWS/Lambda'), point('Duration', 9, { FunctionName: 'app-archiver' }, 5_000, 'AWS/Lambda')], range);
    expect(data.series).toEqual([
      { label: 'app-event-processor', values: [null, null] },
      { label: 'app-archiver', values: [9, null] },
    ]);
  });

  it('labels a single template by its metric name', () => {
    const incoming = widget({ metrics: [['AWS/Kinesis', 'IncomingRecords', 'StreamName', 'app-events']] });
    expect(widgetData(incoming, [point('IncomingRecords', 4, { StreamName: 'app-events' }, 0, 'AWS/Kinesis')], range).series).toEqual([{ label: 'IncomingRecords', values: [4, null] }]);
  });
});

describe('reduce', () => {
  it.each([
    ['Sum', 10],
    ['Average', 2.5],
    ['Maximum', 4],
    ['Minimum', 1],
    ['SampleCount', 4],
    ['p50', 2],
    ['p99', 4],
  ] as const)('%s of 1..4 is %d', (stat, expected) => {
    expect(reduce([3, 1, 4, 2], stat)).toBe(expected);
  });

  it('is null for an empty bucket (a gap, as CloudWatch draws it)', () => {
    expect(reduce([], 'Sum')).toBeNull();
  });
});

it('picks a period that keeps about 30 to 60 points per range', () => {
  expect([5, 15, 60].map(periodFor)).toEqual([10, 30, 60]);
});
