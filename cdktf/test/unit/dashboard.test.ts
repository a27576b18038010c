import { cloudWatchDashboardBody, DASHBOARD, fillPlaceholders, resourceNames, searchExpression, SERVICES } from '@clickstream/shared';

const names = resourceNames('clickstream-analytics', 'dev');
const dashboardNames = { stream: names.stream, functions: names.functions, onFailureQueues: names.onFailureQueues };
const body = JSON.parse(cloudWatchDashboardBody(DASHBOARD, dashboardNames, 'eu-west-1'));
type Widget = { type: string; x: number; y: number; width: number; height: number; properties: { title: string; region: string; metrics: unknown[][] } };
const widgets = body.widgets as Widget[];
const allMetrics = JSON.stringify(widgets.map((w) => w.properties.metrics));

describe('dashboard definition', () => {
  it('is plain data with unique widget ids', () => {
    expect(JSON.parse(JSON.stringify(DASHBOARD))).toEqual(DASHBOARD);
    expect(new Set(DASHBOARD.widgets.map((w) => w.id)).size).toBe(DASHBOARD.widgets.length);
    for (const w of DASHBOARD.widgets) expect(Boolean(w.metrics) !== Boolean(w.search)).toBe(true);
  });

  it('covers the application metrics with searches on their dimensions', () => {
    const searches = DASHBOARD.widgets.flatMap((w) => (w.search ? [w.search] : []));
    expect(searches).toEqual(
      expect.arrayContaining([
        { namespace: 'Clickstream', metricName: 'EventsProcessed', dimensions: ['Service', 'EventType'], match: { Service: 'event-processor' } },
        { namespace: 'Clickstream', metricName: 'InvalidRecords', dimensions: ['Service', 'Reason'], match: { Service: 'event-processor' } },
        { namespace: 'Clickstream', metricName: 'QuarantinedRecords', dimensions: ['Service', 'Reason'], match: { Service: 'archiver' } },
        { namespace: 'Clickstream', metricName: 'AnomaliesDetected', dimensions: ['Service', 'Rule'], match: { Service: 'anomaly-detector' } },
      ]),
    );
  });

  it('shows the records discarded to the on-failure bucket (the mappings carry only their UUID) and no SQS queue', () => {
    expect(DASHBOARD.widgets.find((w) => w.id === 'discarded-records')?.search).toEqual({
      namespace: 'AWS/Lambda',
      metricName: 'OnFailureDestinationDeliveredEventCount',
      dimensions: ['EventSourceMappingUUID'],
      match: {},
    });
    expect(allMetrics).toContain(`SEARCH('{AWS/Lambda,EventSourceMappingUUID} MetricName=\\"OnFailureDestinationDeliveredEventCount\\"', 'Sum', 60)`);
    expect(allMetrics).not.toContain('AWS/SQS');
  });
});

describe('cloudWatchDashboardBody', () => {
  it('fills every placeholder', () => {
    expect(allMetrics).not.toContain('{{');
    for (const service of SERVICES) {
      for (const metric of ['Duration', 'Errors', 'Throttles', 'IteratorAge']) {
        expect(allMetrics).toContain(JSON.stringify(['AWS/Lambda', metric, 'FunctionName', names.functions[service]]));
      }
    }
    for (const metric of ['IncomingRecords', 'GetRecords.IteratorAgeMilliseconds', 'WriteProvisionedThroughputExceeded', 'ReadProvisionedThroughputExceeded']) {
      expect(allMetrics).toContain(JSON.stringify(['AWS/Kinesis', metric, 'StreamName', names.stream]));
    }
  });

  it('renders searches as SEARCH expressions', () => {
    expect(searchExpression({ namespace: 'Clickstream', metricName: 'EventsProcessed', dimensions: ['Service', 'EventType'], match: { Service: 'event-processor' } }, 'Sum', 60)).toBe(
      `SEARCH('{Clickstream,Service,EventType} MetricName="EventsProcessed" Service="event-processor"', 'Sum', 60)`,
    );
    expect(allMetrics).toContain('SEARCH(');
  });

  it('lays widgets out on the 24-column grid without overlap, in the given region', () => {
    const cells = new Set<string>();
    for (const w of widgets) {
      expect(w.type).toBe('metric');
      expect(w.properties.region).toBe('eu-west-1');
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++) {
        for (let y = w.y; y < w.y + w.height; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('rejects a placeholder that names no service', () => {
    expect(() => fillPlaceholders('{{function:nope}}', dashboardNames)).toThrow(/no known service/);
    expect(fillPlaceholders('{{stream}}', dashboardNames)).toBe(names.stream);
  });

  it('emits no Terraform interpolation syntax of its own', () => {
    expect(cloudWatchDashboardBody(DASHBOARD, dashboardNames, 'us-east-1')).not.toMatch(/\$\{|%\{/);
  });
});
