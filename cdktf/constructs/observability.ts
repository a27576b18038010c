import { Construct } from 'constructs';
import { Fn, type IResolvable } from 'cdktn';
import { CloudwatchDashboard } from '@cdktn/provider-aws/lib/cloudwatch-dashboard';
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmConfig } from '@cdktn/provider-aws/lib/cloudwatch-metric-alarm';
import type { SnsTopic } from '@cdktn/provider-aws/lib/sns-topic';
import { cloudWatchDashboardBody, DASHBOARD, METRICS_NAMESPACE, SERVICES, type DashboardDefinition, type ResourceNames, type ServiceName } from '@clickstream/shared';

export interface ObservabilityProps {
  names: ResourceNames;
  region: string;
  topic: SnsTopic;
  enableDashboard: boolean | IResolvable;
  iteratorAgeThresholdMs: number;
  quarantineRatePercent: number;
  definition?: DashboardDefinition;
}

type AlarmSettings = Omit<CloudwatchMetricAlarmConfig, 'alarmName' | 'alarmActions' | 'okActions' | 'treatMissingData'>;

/**
 * The CloudWatch dashboard, rendered from the one definition in shared/src/contract/dashboard.ts, and the
 * alarms: iterator age, errors and throttles per function, on-failure queue depth per function,
 * and the quarantine rate. Every alarm notifies the alerts topic on ALARM and on OK.
 */
export class Observability extends Construct {
  readonly dashboard: CloudwatchDashboard;
  readonly dashboardName: string;
  readonly dashboardUrl: string;
  readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { names, topic } = props;
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

    const alarm = (id: string, alarmName: string, settings: AlarmSettings) => {
      const created = new CloudwatchMetricAlarm(this, id, {
        alarmName,
        alarmActions: [topic.arn],
        okActions: [topic.arn],
        treatMissingData: 'notBreaching',
        ...settings,
      });
      this.alarms.push(created);
      return created;
    };

    for (const service of SERVICES) {
      const functionName = names.functions[service];
      const lambda = (metricName: string) => ({ namespace: 'AWS/Lambda', metricName, dimensions: { FunctionName: functionName } });
      alarm(`${service}-iterator-age`, `${functionName}-iterator-age`, {
        alarmDescription: `${service} is falling behind the stream (oldest record age).`,
        ...lambda('IteratorAge'),
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        threshold: props.iteratorAgeThresholdMs,
      });
      alarm(`${service}-errors`, `${functionName}-errors`, {
        alarmDescription: `${service} invocations failed (the batch is retried or bisected).`,
        ...lambda('Errors'),
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        threshold: 1,
      });
      alarm(`${service}-throttles`, `${functionName}-throttles`, {
        alarmDescription: `${service} invocations were throttled.`,
        ...lambda('Throttles'),
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        threshold: 1,
      });
      alarm(`${service}-on-failure-depth`, `${names.onFailureQueues[service]}-depth`, {
        alarmDescription: `${service} gave up on records (retries or record age exhausted); the queue holds their stream positions.`,
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: names.onFailureQueues[service] },
        statistic: 'Maximum',
        period: 300,
        evaluationPeriods: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        threshold: 1,
      });
    }

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
    alarm('quarantine-rate', `${names.prefix}-quarantine-rate`, {
      alarmDescription: 'Share (%) of records rejected as invalid and quarantined.',
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
