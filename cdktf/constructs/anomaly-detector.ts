import { ENV } from '@clickstream/shared';
import { Construct } from 'constructs';
import type { IResolvable } from 'cdktn';
import type { DynamodbTable } from '@cdktn/provider-aws/lib/dynamodb-table';
import type { SnsTopic } from '@cdktn/provider-aws/lib/sns-topic';
import { TABLES, type TableDefinition } from '@clickstream/shared';
import { consumerProps, type ConsumerInputs } from './consumer-inputs';
import { StreamConsumerFunction } from './stream-consumer-function';

export const ANOMALY_DETECTOR_DYNAMODB_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];

/** anomaly-detector: stream -> alert history/cooldowns in the alerts table, alerts on SNS. */
export class AnomalyDetector extends Construct {
  readonly consumer: StreamConsumerFunction;

  constructor(
    scope: Construct,
    id: string,
    props: {
      inputs: ConsumerInputs;
      alertsTable: DynamodbTable;
      topic: SnsTopic;
      batchSize: number;
      enabled: boolean | IResolvable;
      publishAlerts: string;
      retention: { alertHistoryTtlDays: string; alertStateTtlHours: string };
    },
  ) {
    super(scope, id);
    const tableArn = props.alertsTable.arn;
    this.consumer = new StreamConsumerFunction(this, 'consumer', {
      ...consumerProps('anomaly-detector', props.inputs, {
        batchSize: props.batchSize,
        alertsTopicArn: props.topic.arn,
        // enable_sns_alerts switches anomaly alerts to SNS (and the e-mail subscription); off, they go to history only.
        environment: {
          [ENV.enableSnsAlerts]: props.publishAlerts,
          [ENV.anomalyHistoryTtlDays]: props.retention.alertHistoryTtlDays,
          [ENV.anomalyStateTtlHours]: props.retention.alertStateTtlHours,
        },
      }),
      enabled: props.enabled,
      statements: [
        {
          Sid: 'AlertsTable',
          Effect: 'Allow',
          Action: ANOMALY_DETECTOR_DYNAMODB_ACTIONS,
          Resource: [tableArn, ...(TABLES.alerts.globalSecondaryIndexes as TableDefinition['globalSecondaryIndexes']).map((index) => `${tableArn}/index/${index.indexName}`)],
        },
        { Sid: 'PublishAlerts', Effect: 'Allow', Action: ['sns:Publish'], Resource: props.topic.arn },
      ],
    });
  }
}
