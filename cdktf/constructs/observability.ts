import { Construct } from 'constructs';
import { Fn, Op, Token, type IResolvable } from 'cdktn';
import { CloudwatchDashboard } from '@cdktn/provider-aws/lib/cloudwatch-dashboard';
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmConfig, type CloudwatchMetricAlarmMetricQuery } from '@cdktn/provider-aws/lib/cloudwatch-metric-alarm';
import type { DynamodbTable } from '@cdktn/provider-aws/lib/dynamodb-table';
import type { SnsTopic } from '@cdktn/provider-aws/lib/sns-topic';
import {
  cloudWatchDashboardBody,
  DASHBOARD,
  METRICS_NAMESPACE,
  SERVICES,
  TABLES,
  type DashboardDefinition,
  type ResourceNames,
  type ServiceName,
  type TableKey,
} from '@clickstream/shared';
import { alarmDescription, FAILED_WRITES_SERVICES, type AlarmKind } from '../alarms';
import type { StreamConsumerFunction } from './stream-consumer-function';

export interface ObservabilityProps {
  names: ResourceNames;
  region: string;
  /** Every alarm notifies these on ALARM and on OK (the operations topic, an existing topic). */
  alarmActions: string[];
  consumers: Record<ServiceName, StreamConsumerFunction>;
  tables: Record<TableKey, DynamodbTable>;
  /** The DynamoDB operations the services call on each table (from their IAM grants). */
  tableOperations: Record<TableKey, readonly string[]>;
  /** Topics whose delivery failures alarm, by a short name. */
  topics: Record<string, SnsTopic>;
  enableDashboard: boolean | IResolvable;
  iteratorAgeThresholdMs: number;
  streamRetentionHours: number;
  functionTimeoutSeconds: number;
  durationTimeoutPercent: number;
  quarantineRatePercent: number;
  definition?: DashboardDefinition;
}

type AlarmSettings = Omit<CloudwatchMetricAlarmConfig, 'alarmName' | 'alarmDescription' | 'alarmActions' | 'okActions' | 'treatMissingData'>;

/** CloudWatch alarms accept at most 10 metrics in one metric math expression. */
export const MAX_ALARM_METRICS = 10;

/** Records expire at the stream's retention; the retention alarm fires at half of it. */
export const RETENTION_ALARM_SHARE = 0.5;

/**
 * The CloudWatch dashboard, rendered from the one definition in shared/src/contract/dashboard.ts, and the
 * alarms (see ../alarms.ts for the kinds and the README Runbook for what to do): per function
 * lag, lag against retention, errors, throttles, duration against the timeout, discarded and
 * dropped records; failed writes per writing service; throttles and system errors per table;
 * notification failures per topic; write throttling of the stream; the quarantine rate.
 */
export class Observability extends Construct {
  readonly dashboard: CloudwatchDashboard;
  readonly dashboardName: string;
  readonly dashboardUrl: string;
  readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { names } = props;
    this.dashboardName = `${names.prefix}-dashboard`;
    this.dashboard = new CloudwatchDashboard(this, 'dashboard', {
      count: Fn.conditional(props.enableDashboard, 1, 0),
      dashboardName: this.dashboardName,
      dashboardBody: cloudWatchDashboardBody(
        props.definition ?? DASHBOARD,
        { stream: names.stream, functions: names.functions, onFailureQueues: names.onFailureQueues },
        props.region,
      ),
    });
    this.dashboardUrl = Fn.conditional(
      props.enableDashboard,
      `https://${props.region}.console.aws.amazon.com/cloudwatch/home?region=${props.region}#dashboards:name=${this.dashboardName}`,
      '',
    );

    const alarm = (constructId: string, alarmName: string, kind: AlarmKind, subject: string, settings: AlarmSettings) => {
      const metricCount = (settings.metricQuery as CloudwatchMetricAlarmMetricQuery[] | undefined)?.filter((query) => query.metric !== undefined).length ?? 0;
      if (metricCount > MAX_ALARM_METRICS) throw new Error(`alarm ${constructId} uses ${metricCount} metrics; CloudWatch allows ${MAX_ALARM_METRICS}`);
      const created = new CloudwatchMetricAlarm(this, constructId, {
        alarmName,
        alarmDescription: alarmDescription(kind, subject),
        alarmActions: props.alarmActions,
        okActions: props.alarmActions,
        treatMissingData: 'notBreaching',
        ...settings,
      });
      this.alarms.push(created);
      return created;
    };
    const anyIn5Minutes = { period: 300, evaluationPeriods: 1, comparisonOperator: 'GreaterThanOrEqualToThreshold', threshold: 1 } as const;
    const sustained = { period: 300, evaluationPeriods: 3, datapointsToAlarm: 2, comparisonOperator: 'GreaterThanOrEqualToThreshold', threshold: 1 } as const;
    const sumOf = (queries: Array<{ id: string; metric: CloudwatchMetricAlarmMetricQuery['metric'] }>, label: string): CloudwatchMetricAlarmMetricQuery[] => [
      ...queries.map(({ id: queryId, metric }) => ({ id: queryId, metric, returnData: false })),
      { id: 'total', label, expression: queries.map((query) => `FILL(${query.id}, 0)`).join(' + '), returnData: true },
    ];

    for (const service of SERVICES) {
      const functionName = names.functions[service];
      const consumer = props.consumers[service];
      const lambda = (metricName: string) => ({ namespace: 'AWS/Lambda', metricName, dimensions: { FunctionName: functionName } });
      // Event source mapping metrics (MetricsConfig EventCount) carry only the mapping's UUID.
      const mappingMetric = (metricName: string) => ({
        namespace: 'AWS/Lambda',
        metricName,
        dimensions: { EventSourceMappingUUID: consumer.eventSourceMapping.uuid },
        period: 300,
        stat: 'Sum',
      });

      alarm(`${service}-iterator-age`, `${functionName}-iterator-age`, 'iterator-age', service, {
        ...lambda('IteratorAge'),
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        threshold: props.iteratorAgeThresholdMs,
      });
      alarm(`${service}-iterator-age-retention`, `${functionName}-iterator-age-retention`, 'iterator-age-retention', service, {
        ...lambda('IteratorAge'),
        statistic: 'Maximum',
        period: 300,
        evaluationPeriods: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        threshold: Token.asNumber(Op.mul(props.streamRetentionHours, 3_600_000 * RETENTION_ALARM_SHARE)),
      });
      alarm(`${service}-errors`, `${functionName}-errors`, 'errors', service, { ...lambda('Errors'), statistic: 'Sum', ...anyIn5Minutes });
      alarm(`${service}-throttles`, `${functionName}-throttles`, 'throttles', service, { ...lambda('Throttles'), statistic: 'Sum', ...anyIn5Minutes });
      alarm(`${service}-duration`, `${functionName}-duration`, 'duration', service, {
        ...lambda('Duration'),
        statistic: 'Maximum',
        period: 300,
        evaluationPeriods: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        // timeout (s) x 1000 ms x percent / 100
        threshold: Token.asNumber(Op.mul(props.functionTimeoutSeconds, Op.mul(10, props.durationTimeoutPercent))),
      });
      alarm(`${service}-discarded-batches`, `${functionName}-discarded-batches`, 'discarded-batches', service, {
        namespace: 'AWS/Lambda',
        metricName: 'OnFailureDestinationDeliveredEventCount',
        dimensions: { EventSourceMappingUUID: consumer.eventSourceMapping.uuid },
        statistic: 'Sum',
        ...anyIn5Minutes,
      });
      alarm(`${service}-dropped-records`, `${functionName}-dropped-records`, 'dropped-records', service, {
        ...anyIn5Minutes,
        metricQuery: sumOf(
          [
            { id: 'dropped', metric: mappingMetric('DroppedEventCount') },
            { id: 'undelivered', metric: { ...lambda('DestinationDeliveryFailures'), period: 300, stat: 'Sum' } },
          ],
          'Records dropped or not delivered to the on-failure bucket',
        ),
      });
    }

    for (const service of FAILED_WRITES_SERVICES) {
      alarm(`${service}-failed-writes`, `${names.functions[service]}-failed-writes`, 'failed-writes', service, {
        namespace: METRICS_NAMESPACE,
        metricName: 'FailedWrites',
        dimensions: { Service: service },
        statistic: 'Sum',
        ...sustained,
      });
    }

    for (const tableKey of Object.keys(TABLES) as TableKey[]) {
      const tableName = names.tables[tableKey];
      const dynamodb = (metricName: string, dimensions: Record<string, string>) => ({
        namespace: 'AWS/DynamoDB',
        metricName,
        dimensions: { TableName: props.tables[tableKey].name, ...dimensions },
        period: 300,
        stat: 'Sum',
      });
      const indexes = TABLES[tableKey].globalSecondaryIndexes.map((index) => index.indexName);
      alarm(`${tableKey}-throttles`, `${tableName}-throttles`, 'dynamodb-throttles', tableName, {
        ...sustained,
        metricQuery: sumOf(
          [
            { id: 'reads', metric: dynamodb('ReadThrottleEvents', {}) },
            { id: 'writes', metric: dynamodb('WriteThrottleEvents', {}) },
            ...indexes.flatMap((index, i) => [
              { id: `indexreads${i}`, metric: dynamodb('ReadThrottleEvents', { GlobalSecondaryIndexName: index }) },
              { id: `indexwrites${i}`, metric: dynamodb('WriteThrottleEvents', { GlobalSecondaryIndexName: index }) },
            ]),
          ],
          'Throttled reads and writes',
        ),
      });
      alarm(`${tableKey}-system-errors`, `${tableName}-system-errors`, 'dynamodb-system-errors', tableName, {
        ...anyIn5Minutes,
        metricQuery: sumOf(
          props.tableOperations[tableKey].map((operation) => ({ id: operation.toLowerCase(), metric: dynamodb('SystemErrors', { Operation: operation }) })),
          'DynamoDB system errors',
        ),
      });
    }

    for (const [topicId, topic] of Object.entries(props.topics)) {
      alarm(`${topicId}-delivery-failures`, `${topic.name}-delivery-failures`, 'sns-delivery-failures', topic.name, {
        namespace: 'AWS/SNS',
        metricName: 'NumberOfNotificationsFailed',
        dimensions: { TopicName: topic.name },
        statistic: 'Sum',
        ...anyIn5Minutes,
      });
    }

    alarm('stream-write-throttled', `${names.stream}-write-throttled`, 'kinesis-write-throttled', names.stream, {
      namespace: 'AWS/Kinesis',
      metricName: 'WriteProvisionedThroughputExceeded',
      dimensions: { StreamName: names.stream },
      statistic: 'Sum',
      ...sustained,
    });

    // Rejected records are the ones the archiver quarantines. event-processor publishes
    // EventsAccepted and EventsRejected with the Service dimension only, so the rate is one metric
    // math expression (QuarantinedRecords/InvalidRecords carry an open-ended Reason dimension,
    // which alarms cannot SEARCH over).
    const quarantineService: ServiceName = 'event-processor';
    const clickstream = (metricName: string) => ({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensions: { Service: quarantineService },
      period: 300,
      stat: 'Sum',
    });
    alarm('quarantine-rate', `${names.prefix}-quarantine-rate`, 'quarantine-rate', names.prefix, {
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: props.quarantineRatePercent,
      metricQuery: [
        { id: 'accepted', metric: clickstream('EventsAccepted'), returnData: false },
        { id: 'rejected', metric: clickstream('EventsRejected'), returnData: false },
        {
          id: 'rate',
          label: 'Quarantine rate (%)',
          expression: 'IF((FILL(accepted, 0) + FILL(rejected, 0)) > 0, 100 * FILL(rejected, 0) / (FILL(accepted, 0) + FILL(rejected, 0)), 0)',
          returnData: true,
        },
      ],
    });
  }
}
