import { Construct } from 'constructs';
import type { DynamodbTable } from '@cdktn/provider-aws/lib/dynamodb-table';
import { ENV, TABLES, type TableKey } from '@clickstream/shared';
import { consumerProps, type ConsumerInputs } from './consumer-inputs';
import { StreamConsumerFunction } from './stream-consumer-function';

export const EVENT_PROCESSOR_TABLES = ['pageMetrics', 'sessionMetrics', 'counters'] as const satisfies readonly TableKey[];
export const EVENT_PROCESSOR_DYNAMODB_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];

/** event-processor: stream -> page metrics, session metrics and counters, each item with its TTL (aggregate_ttl_days, session_ttl_days). */
export class EventProcessor extends Construct {
  readonly consumer: StreamConsumerFunction;

  constructor(scope: Construct, id: string, props: { inputs: ConsumerInputs; tables: Record<TableKey, DynamodbTable>; batchSize: number; retention: { aggregateTtlDays: string; sessionTtlDays: string } }) {
    super(scope, id);
    const resources = EVENT_PROCESSOR_TABLES.flatMap((tableKey) => [
      props.tables[tableKey].arn,
      ...TABLES[tableKey].globalSecondaryIndexes.map((index) => `${props.tables[tableKey].arn}/index/${index.indexName}`),
    ]);
    this.consumer = new StreamConsumerFunction(this, 'consumer', {
      ...consumerProps('event-processor', props.inputs, {
        batchSize: props.batchSize,
        environment: { [ENV.aggregateTtlDays]: props.retention.aggregateTtlDays, [ENV.sessionTtlDays]: props.retention.sessionTtlDays },
      }),
      statements: [{ Sid: 'AggregateTables', Effect: 'Allow', Action: EVENT_PROCESSOR_DYNAMODB_ACTIONS, Resource: resources }],
    });
  }
}
