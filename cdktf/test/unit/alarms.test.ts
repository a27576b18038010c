import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { SERVICES, TABLES, type TableKey } from '@clickstream/shared';
import { ALARM_KINDS, FAILED_WRITES_SERVICES, type AlarmKind } from '../../alarms';
import { ANOMALY_DETECTOR_DYNAMODB_ACTIONS } from '../../constructs/anomaly-detector';
import { EVENT_PROCESSOR_DYNAMODB_ACTIONS, EVENT_PROCESSOR_TABLES } from '../../constructs/event-processor';
import { MAX_ALARM_METRICS } from '../../constructs/observability';
import { alarmAt, alarms, refOf, synthAll, type Json } from '../synth';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const KINDS = Object.keys(ALARM_KINDS) as AlarmKind[];
const kindOf = (alarm: Json) => /Runbook: README, Runbook, "([a-z0-9-]+)"\.$/.exec(alarm.alarm_description as string)?.[1];

/** The README's Runbook rows: `| \`kind\` | ... |`. */
function runbookRows(): Map<string, string> {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = /\n### Runbook\n([\s\S]*?)(\n#{2,3} |$)/.exec(readme)?.[1];
  if (section === undefined) throw new Error('README has no "### Runbook" section');
  return new Map([...section.matchAll(/^\| `([a-z0-9-]+)` \|(.+)\|$/gm)].map((match) => [match[1]!, match[2]!]));
}

/** Source files of a service (not its tests) that mention `text`. */
function serviceSourcesMentioning(service: string, text: string): string[] {
  const found: string[] = [];
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory)) {
      const full = path.join(directory, entry);
      if (statSync(full).isDirectory()) {
        if (!['test', 'tests', 'bench', 'node_modules'].includes(entry)) walk(full);
      } else if (full.endsWith('.ts') && readFileSync(full, 'utf8').includes(text)) found.push(full);
    }
  };
  walk(path.join(REPO_ROOT, 'services', service));
  return found;
}

describe('runbook', () => {
  it('has one README row per alarm kind, and no row for a kind that does not exist', () => {
    expect([...runbookRows().keys()].sort()).toEqual([...KINDS].sort());
    // Each row says what it means, what to check and what to do.
    for (const row of runbookRows().values()) expect(row.split('|').map((cell) => cell.trim()).filter(Boolean).length).toBeGreaterThanOrEqual(3);
  });
});

describe.each(synthAll().map(({ stack, json }) => [stack.node.id, json] as const))('%s alarms', (_id, json) => {
  const all = Object.values(alarms(json));
  const operationsTopic = refOf(json, 'aws_sns_topic', 'operations/topic', 'arn');
  const actions = `\${concat([${operationsTopic.slice(2, -1)}], (var.alarm_topic_arn == "") ? [] : [var.alarm_topic_arn])}`;

  it('notify the operations topic (and alarm_topic_arn when set) on ALARM and OK, never the anomaly alerts topic', () => {
    // … the compactor's four (errors, count mismatch, freshness, malformed lines) and the collector's three (5xx rate, throttles, p99 latency).
    expect(all).toHaveLength(SERVICES.length * 7 + FAILED_WRITES_SERVICES.length + Object.keys(TABLES).length * 2 + 2 + 1 + 1 + 4 + 3);
    for (const alarm of all) {
      expect(alarm.alarm_actions).toBe(actions);
      expect(alarm.ok_actions).toBe(actions);
      expect(alarm.treat_missing_data).toBe('notBreaching');
    }
    expect(JSON.stringify(all)).not.toContain(refOf(json, 'aws_sns_topic', 'alerts/topic', 'arn'));
    expect(new Set(all.map((alarm) => alarm.alarm_name)).size).toBe(all.length);
  });

  it('each name a runbook kind, and every kind is used', () => {
    const used = new Set(all.map(kindOf));
    expect([...used].sort()).toEqual([...KINDS].sort());
  });

  it('keep metric math within what CloudWatch alarms accept', () => {
    for (const alarm of all) {
      const metrics = ((alarm.metric_query ?? []) as Json[]).filter((query) => query.metric);
      expect(metrics.length).toBeLessThanOrEqual(MAX_ALARM_METRICS);
      if (alarm.metric_query) expect((alarm.metric_query as Json[]).filter((query) => query.return_data)).toHaveLength(1);
    }
  });

  describe.each(SERVICES)('%s', (service) => {
    const functionDimension = { FunctionName: `\${var.project_name}-\${var.environment}-${service}` };
    it('alarms on lag, lag against retention, errors, throttles and duration against the timeout', () => {
      expect(alarmAt(json, `${service}-iterator-age`)).toMatchObject({ metric_name: 'IteratorAge', statistic: 'Maximum', dimensions: functionDimension, threshold: '${var.iterator_age_alarm_threshold_ms}' });
      // Half of the retention, in ms: records older than the retention are gone.
      expect(alarmAt(json, `${service}-iterator-age-retention`)).toMatchObject({ metric_name: 'IteratorAge', statistic: 'Maximum', threshold: '${(var.kinesis_retention_period * 1800000)}' });
      expect(alarmAt(json, `${service}-errors`)).toMatchObject({ metric_name: 'Errors', statistic: 'Sum', dimensions: functionDimension, threshold: 1 });
      expect(alarmAt(json, `${service}-throttles`)).toMatchObject({ metric_name: 'Throttles', statistic: 'Sum', dimensions: functionDimension, threshold: 1 });
      // timeout (s) x 1000 x percent / 100.
      expect(alarmAt(json, `${service}-duration`)).toMatchObject({ metric_name: 'Duration', statistic: 'Maximum', dimensions: functionDimension, threshold: '${(var.lambda_timeout * (10 * var.duration_alarm_timeout_percent))}' });
    });
  });

  it.each(FAILED_WRITES_SERVICES)('alarms on sustained FailedWrites of %s, a metric the service publishes', (service) => {
    expect(alarmAt(json, `${service}-failed-writes`)).toMatchObject({
      namespace: 'Clickstream',
      metric_name: 'FailedWrites',
      dimensions: { Service: service },
      statistic: 'Sum',
      evaluation_periods: 3,
      datapoints_to_alarm: 2,
      threshold: 1,
    });
    expect(serviceSourcesMentioning(service, "'FailedWrites'")).not.toEqual([]);
  });

  it.each(Object.keys(TABLES) as TableKey[])('alarms on throttles (table and indexes) and on system errors of every operation the services call on %s', (tableKey) => {
    const tableName = refOf(json, 'aws_dynamodb_table', `tables/${tableKey}`, 'name');
    const throttles = (alarmAt(json, `${tableKey}-throttles`).metric_query as Json[]).filter((q) => q.metric).map((q) => q.metric);
    const indexes = TABLES[tableKey].globalSecondaryIndexes.map((index) => index.indexName);
    expect(throttles.map((m) => [m.metric_name, m.dimensions])).toEqual([
      ['ReadThrottleEvents', { TableName: tableName }],
      ['WriteThrottleEvents', { TableName: tableName }],
      ...indexes.flatMap((index) => [
        ['ReadThrottleEvents', { TableName: tableName, GlobalSecondaryIndexName: index }],
        ['WriteThrottleEvents', { TableName: tableName, GlobalSecondaryIndexName: index }],
      ]),
    ]);
    const granted = ((EVENT_PROCESSOR_TABLES as readonly string[]).includes(tableKey) ? EVENT_PROCESSOR_DYNAMODB_ACTIONS : ANOMALY_DETECTOR_DYNAMODB_ACTIONS).map((a) => a.replace('dynamodb:', ''));
    const errors = (alarmAt(json, `${tableKey}-system-errors`).metric_query as Json[]).filter((q) => q.metric).map((q) => q.metric);
    expect(errors.map((m) => m.metric_name)).toEqual(granted.map(() => 'SystemErrors'));
    expect(errors.map((m) => m.dimensions)).toEqual(granted.map((operation) => ({ TableName: tableName, Operation: operation })));
  });

  it('alarms on failed notifications of both topics and on throttled writes to the stream', () => {
    for (const topic of ['alerts', 'operations']) {
      expect(alarmAt(json, `${topic}-delivery-failures`)).toMatchObject({
        namespace: 'AWS/SNS',
        metric_name: 'NumberOfNotificationsFailed',
        dimensions: { TopicName: refOf(json, 'aws_sns_topic', `${topic}/topic`, 'name') },
        threshold: 1,
      });
    }
    expect(alarmAt(json, 'stream-write-throttled')).toMatchObject({
      namespace: 'AWS/Kinesis',
      metric_name: 'WriteProvisionedThroughputExceeded',
      dimensions: { StreamName: '${var.project_name}-${var.environment}-events' },
      statistic: 'Sum',
    });
  });

  it('alarm on the quarantine rate as metric math over accepted and rejected events', () => {
    const rate = alarmAt(json, 'quarantine-rate');
    expect(rate.threshold).toBe('${var.quarantine_rate_alarm_percent}');
    expect((rate.metric_query as Json[]).map((q) => q.metric?.metric_name ?? q.expression)).toEqual([
      'EventsAccepted',
      'EventsRejected',
      expect.stringContaining('100 * FILL(rejected, 0)'),
    ]);
  });
});
