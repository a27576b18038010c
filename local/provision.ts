import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, UpdateTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand, ResourceInUseException as StreamInUseException, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { keyAttributes, sleep, TABLES, type ResourceNames, type TableDefinition } from '@clickstream/shared';

/** What provisioning created (or found): the ARNs and URLs the local stack wires together. */
export interface ProvisionedResources {
  streamArn: string;
  /** Open shards of the stream: `shardCount` when it was created now, else what the data directory holds. */
  openShards: number;
  /** False when the stream already existed (a restart with a data directory). */
  streamCreated: boolean;
  alertsTopicArn: string;
  alertsQueueUrl: string;
}

export interface ProvisionClients {
  kinesis: KinesisClient;
  dynamodb: DynamoDBClient;
  s3: S3Client;
  sns: SNSClient;
  sqs: SQSClient;
}

/**
 * Creates the stream, tables, buckets (archive, and the on-failure bucket that keeps discarded
 * batches), topic and alerts queue of the topology; anything that already exists (a restart with
 * a data directory) is kept as it is.
 */
export async function provision(clients: ProvisionClients, names: ResourceNames, shardCount: number): Promise<ProvisionedResources> {
  const [stream] = await Promise.all([
    createStream(clients.kinesis, names.stream, shardCount),
    createTables(clients.dynamodb, names),
    ...[names.archiveBucket, names.onFailureBucket].map((bucket) =>
      clients.s3.send(new CreateBucketCommand({ Bucket: bucket })).catch(ignoreIf('BucketAlreadyOwnedByYou', 'BucketAlreadyExists')),
    ),
  ]);
  const { TopicArn: alertsTopicArn } = await clients.sns.send(new CreateTopicCommand({ Name: names.alertsTopic }));
  const alertsQueue = await createQueue(clients.sqs, names.alertsQueue);
  await clients.sns.send(new SubscribeCommand({ TopicArn: alertsTopicArn, Protocol: 'sqs', Endpoint: alertsQueue.arn }));
  return { streamArn: stream.arn, openShards: stream.openShards, streamCreated: stream.created, alertsTopicArn: alertsTopicArn!, alertsQueueUrl: alertsQueue.url };
}

async function createStream(kinesis: KinesisClient, streamName: string, shardCount: number): Promise<{ arn: string; openShards: number; created: boolean }> {
  let created = true;
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  } catch (error) {
    if (!(error instanceof StreamInUseException)) throw error;
    created = false;
  }
  for (let attempt = 0; attempt < 200; attempt++) {
    const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary?.StreamStatus === 'ACTIVE') return { arn: summary.StreamARN!, openShards: summary.OpenShardCount ?? shardCount, created };
    await sleep(25);
  }
  throw new Error(`stream ${streamName} did not become ACTIVE`);
}

/** Creates the topology's tables (idempotent). */
export async function createTables(dynamodb: DynamoDBClient, names: ResourceNames): Promise<void> {
  await Promise.all(Object.entries(TABLES).map(([key, definition]) => createTable(dynamodb, names.tables[key as keyof typeof TABLES], definition)));
}

async function createTable(dynamodb: DynamoDBClient, tableName: string, definition: TableDefinition): Promise<void> {
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: keyAttributes(definition).map(({ name, type }) => ({ AttributeName: name, AttributeType: type })),
        KeySchema: [
          { AttributeName: definition.hashKey.name, KeyType: 'HASH' },
          ...(definition.rangeKey ? [{ AttributeName: definition.rangeKey.name, KeyType: 'RANGE' as const }] : []),
        ],
        ...(definition.globalSecondaryIndexes.length === 0
          ? {}
          : {
              GlobalSecondaryIndexes: definition.globalSecondaryIndexes.map((index) => ({
                IndexName: index.indexName,
                KeySchema: [
                  { AttributeName: index.hashKey.name, KeyType: 'HASH' as const },
                  ...(index.rangeKey ? [{ AttributeName: index.rangeKey.name, KeyType: 'RANGE' as const }] : []),
                ],
                Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.nonKeyAttributes] },
              })),
            }),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table: table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    if (table?.TableStatus === 'ACTIVE') break;
    await sleep(25);
  }
  // dynalite has no TTL API (UnknownOperationException); DynamoDB Local and AWS do.
  await dynamodb
    .send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: definition.ttlAttribute, Enabled: true } }))
    .catch(ignoreIf('UnknownOperationException', 'ValidationException'));
}

async function createQueue(sqs: SQSClient, queueName: string): Promise<{ url: string; arn: string }> {
  const { QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
  const { Attributes: attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url: url!, arn: attributes!.QueueArn! };
}

function ignoreIf(...names: string[]) {
  return (error: unknown) => {
    if (!names.includes((error as Error).name)) throw error;
  };
}
