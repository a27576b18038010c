import { cloudWatchDashboardBody, DASHBOARD, resourceNames, type DashboardDefinition } from '@clickstream/shared';
import { dashboardNames, localDashboard } from '../../dashboard/definition';

/** The local page and the CloudWatch dashboard are two renderings of one definition. */
const names = dashboardNames(resourceNames('clickstream-analytics', 'dev'));

interface CloudWatchWidget {
  type: string;
  width: number;
  height: number;
  properties: { title: string; view: string; stacked: boolean; stat: string; period: number; metrics: unknown[][] };
}

const cloudWatchWidgets = (definition: DashboardDefinition) => (JSON.parse(cloudWatchDashboardBody(definition, names, 'us-east-1')) as { widgets: CloudWatchWidget[] }).widgets;

/** What the CloudWatch body would hold for a local widget: the same shape `cloudWatchDashboardBody` writes. */
const asCloudWatchMetrics = (widget: ReturnType<typeof localDashboard>['widgets'][number]) =>
  widget.search ? [[{ expression: widget.search.expression, id: 'e1', label: '', region: 'us-east-1' }]] : widget.metrics;

describe('local dashboard and CloudWatch dashboard body', () => {
  const local = localDashboard(DASHBOARD, names);
  const cloudWatch = cloudWatchWidgets(DASHBOARD);

  it('have the same widgets in the same order', () => {
    expect(local.widgets.map((widget) => widget.title)).toEqual(cloudWatch.map((widget) => widget.properties.title));
    expect(local.widgets).toHaveLength(DASHBOARD.widgets.length);
  });

  it.each(DASHBOARD.widgets.map((widget, index) => [widget.id, index] as const))('%s: same metrics, stat, period, view, stacking and size', (_id, index) => {
    const mine = local.widgets[index]!;
    const theirs = cloudWatch[index]!;
    expect(asCloudWatchMetrics(mine)).toEqual(theirs.properties.metrics);
    expect({ view: mine.view, stacked: mine.stacked, stat: mine.stat, period: mine.period, width: mine.width, height: mine.height }).toEqual({
      view: theirs.properties.view,
      stacked: theirs.properties.stacked,
      stat: theirs.properties.stat,
      period: theirs.properties.period,
      width: theirs.width,
      height: theirs.height,
    });
  });

  it('fills every placeholder with the local resource names', () => {
    const text = JSON.stringify(local);
    expect(text).not.toContain('{{');
    expect(text).toContain(names.stream);
    for (const functionName of Object.values(names.functions)) expect(text).toContain(functionName);
  });

  it('follows the definition when it changes: a widget added there appears locally too', () => {
    const extended: DashboardDefinition = {
      ...DASHBOARD,
      widgets: [...DASHBOARD.widgets, { id: 'extra', title: 'Handler duration', view: 'timeSeries', stacked: false, stat: 'Average', period: 60, width: 12, height: 6, metrics: [['Clickstream', 'HandlerDuration', 'Service', 'archiver']] }],
    };
    expect(localDashboard(extended, names).widgets.map((widget) => widget.title)).toEqual(cloudWatchWidgets(extended).map((widget) => widget.properties.title));
  });

  it('notes widgets whose metrics nothing emits locally, until telemetry sees them', () => {
    const throttles = (seen: Set<string>) => localDashboard(DASHBOARD, names, seen).widgets.find((widget) => widget.id === 'lambda-throttles')!;
    expect(throttles(new Set()).localNote).toMatch(/never throttles/);
    expect(throttles(new Set(['AWS/Lambda/Throttles'])).localNote).toBeUndefined();
    expect(local.widgets.find((widget) => widget.id === 'kinesis-incoming')!.localNote).toBeUndefined();
    expect(local.widgets.find((widget) => widget.id === 'events-by-type')!.localNote).toBeUndefined();
  });

  it('gives every widget a unit for its subtitle, and says what an empty discard chart means', () => {
    expect(Object.fromEntries(local.widgets.map((widget) => [widget.id, widget.unit]))).toMatchObject({ 'events-by-type': 'events', 'lambda-duration': 'ms', 'lambda-iterator-age': 'ms', 'anomalies-by-rule': 'anomalies', 'discarded-records': 'records' });
    expect(local.widgets.filter((widget) => widget.unit === 'count').map((widget) => widget.id)).toEqual([]);
    expect(local.widgets.find((widget) => widget.id === 'discarded-records')!.emptyNote).toMatch(/discarded no records/);
  });
});
