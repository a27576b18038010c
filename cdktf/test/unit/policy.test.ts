import { SERVICES, type ServiceName } from '@clickstream/shared';
import { parsePolicy, refOf, resourceAt, resources, synthAll, type Json } from '../synth';

/**
 * `Resource: "*"` is allowed only where AWS offers nothing narrower. Each case, with why:
 */
const RESOURCE_WILDCARD_ALLOWED: Record<string, string> = {
  // A key policy is attached to one key; "*" there means "this key" and is the only value KMS accepts.
  AccountAdministersAndDelegatesViaIam: 'KMS key policy: "*" is the key itself',
  CloudWatchAlarmsPublishToEncryptedTopic: 'KMS key policy: "*" is the key itself',
  CloudWatchLogsEncryptFunctionLogs: 'KMS key policy: "*" is the key itself',
  // X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions.
  WriteTraceSegments: 'X-Ray has no resource types for writing segments',
};

/** Where each explained wildcard may appear: a key policy, or the X-Ray tracing policy. */
const WILDCARD_RESOURCE_DOCUMENTS: Record<string, RegExp> = {
  AccountAdministersAndDelegatesViaIam: /^aws_kms_key\./,
  CloudWatchAlarmsPublishToEncryptedTopic: /^aws_kms_key\./,
  CloudWatchLogsEncryptFunctionLogs: /^aws_kms_key\./,
  WriteTraceSegments: /^aws_iam_role_policy\.[\w-]+_consumer_tracing-policy_[0-9A-F]{8}\.policy$/,
};

/** Wildcard actions are allowed only to deny (denying more is the safe direction). */
const WILDCARD_DENY_ALLOWED: Record<string, string> = {
  DenyInsecureTransport: 'TLS-only bucket policy denies every S3 action over plain HTTP',
};

function policyDocuments(json: Json): Documents {
  const documents: Documents = [];
  const collect = (type: string, attribute: string) => {
    for (const [id, resource] of Object.entries(resources(json, type))) {
      documents.push({ where: `${type}.${id}.${attribute}`, statements: parsePolicy(resource[attribute]).Statement });
    }
  };
  collect('aws_iam_role_policy', 'policy');
  collect('aws_iam_policy', 'policy');
  collect('aws_iam_role', 'assume_role_policy');
  collect('aws_kms_key', 'policy');
  collect('aws_s3_bucket_policy', 'policy');
  collect('aws_sqs_queue_policy', 'policy');
  collect('aws_sns_topic_policy', 'policy');
  return documents;
}

const asList = (value: unknown): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [String(value)]);

type Documents = Array<{ where: string; statements: Json[] }>;

function wildcardActions(documents: Documents): string[] {
  return documents.flatMap(({ where, statements }) =>
    statements
      .filter((s) => asList(s.Action).some((action) => action.includes('*')) || s.NotAction !== undefined)
      .filter((s) => !(s.Effect === 'Deny' && s.Sid in WILDCARD_DENY_ALLOWED))
      .map((s) => `${where}: ${s.Sid} ${JSON.stringify(s.Action)}`),
  );
}

function unexplainedWildcardResources(documents: Documents): string[] {
  return documents.flatMap(({ where, statements }) =>
    statements
      .filter((s) => asList(s.Resource).includes('*') || s.NotResource !== undefined)
      .filter((s) => !(s.Sid in RESOURCE_WILDCARD_ALLOWED && WILDCARD_RESOURCE_DOCUMENTS[s.Sid]!.test(where)))
      .map((s) => `${where}: ${s.Sid}`),
  );
}

describe('policy checks', () => {
  it('flag wildcard actions and unexplained wildcard resources', () => {
    const documents: Documents = [
      {
        where: 'aws_iam_role_policy.x.policy',
        statements: [
          { Sid: 'A', Effect: 'Allow', Action: ['dynamodb:*'], Resource: 'arn:aws:dynamodb:::table/t' },
          { Sid: 'B', Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' },
          { Sid: 'AccountAdministersAndDelegatesViaIam', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: '*' },
          { Sid: 'DenyInsecureTransport', Effect: 'Allow', Action: ['s3:*'], Resource: 'arn:aws:s3:::b' },
        ],
      },
    ];
    expect(wildcardActions(documents).map((v) => v.split(': ')[1]!.split(' ')[0])).toEqual(['A', 'DenyInsecureTransport']);
    expect(unexplainedWildcardResources(documents).map((v) => v.split(': ')[1])).toEqual(['B', 'AccountAdministersAndDelegatesViaIam']);
  });
});

describe.each(synthAll().map(({ stack, json }) => [stack.node.id, json] as const))('%s policies', (_id, json) => {
  const documents = policyDocuments(json);

  it('finds the policies to check', () => {
    // Each consumer's policy and its (count-gated) tracing policy, the compactor's and its scheduler's, the collector's and forget's,
    // and the (count-gated) address-key policy of the collector and each consumer.
    expect(documents.filter((d) => d.where.startsWith('aws_iam_role_policy'))).toHaveLength(SERVICES.length * 2 + 2 + 1 + 1 + SERVICES.length + 1);
    expect(documents.filter((d) => d.where.startsWith('aws_iam_policy.'))).toHaveLength(1);
    // Roles (consumers + compactor + its scheduler + collector + forget + producer), key, two bucket policies, the collector's and forget's policies.
    expect(documents.length).toBeGreaterThanOrEqual(SERVICES.length * 3 + 2 * 2 + 1 + 1 + 2 + 2 + 2);
  });

  it('never allows a wildcard action', () => {
    expect(wildcardActions(documents)).toEqual([]);
  });

  it('uses resource "*" only in the explained cases', () => {
    expect(unexplainedWildcardResources(documents)).toEqual([]);
  });

  it('gives each function a role of its own, assumable by Lambda only; the compactor schedules one assumable by the scheduler only', () => {
    const functionRoles = [...SERVICES.map((service) => `${service}/consumer/role`), 'lake/compactor/role', 'collector/role', 'forget/role'].map((constructPath) => resourceAt(json, 'aws_iam_role', constructPath));
    expect(new Set(functionRoles.map((r) => r.name)).size).toBe(SERVICES.length + 3);
    // The consumers, the compactor, the compactor's scheduler, the collector, forget and the producer role.
    expect(Object.keys(resources(json, 'aws_iam_role'))).toHaveLength(SERVICES.length + 5);
    expect(parsePolicy(resourceAt(json, 'aws_iam_role', 'lake/compactor/scheduler-role').assume_role_policy).Statement).toEqual([
      { Sid: 'SchedulerAssumesRole', Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: ['sts:AssumeRole'] },
    ]);
    for (const role of functionRoles) {
      expect(parsePolicy(role.assume_role_policy).Statement).toEqual([
        { Sid: 'LambdaAssumesRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: ['sts:AssumeRole'] },
      ]);
    }
  });

  it('limits the tracing policy to X-Ray segment writes, created only with enable_xray_tracing', () => {
    for (const service of SERVICES) {
      const tracing = resourceAt(json, 'aws_iam_role_policy', `${service}/consumer/tracing-policy`);
      expect(tracing.count).toBe('${var.enable_xray_tracing ? 1 : 0}');
      expect(tracing.role).toBe(refOf(json, 'aws_iam_role', `${service}/consumer/role`, 'id'));
      expect(parsePolicy(tracing.policy).Statement).toEqual([
        { Sid: 'WriteTraceSegments', Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' },
      ]);
    }
  });

  const key = refOf(json, 'aws_kms_key', 'encryption/key', 'arn');
  const stream = refOf(json, 'aws_kinesis_stream', 'stream/stream', 'arn');
  const table = (name: string) => refOf(json, 'aws_dynamodb_table', `tables/${name}`, 'arn');
  const bucket = refOf(json, 'aws_s3_bucket', 'archive/bucket', 'arn');
  const onFailureBucket = refOf(json, 'aws_s3_bucket', 'on-failure/bucket', 'arn');
  const functionName = (service: ServiceName) => `\${var.project_name}-\${var.environment}-${service}`;
  const topic = refOf(json, 'aws_sns_topic', 'alerts/topic', 'arn');
  const kinesisRead = ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'];
  const dynamodbActions = ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'];

  const common = (service: ServiceName) => [
    {
      Sid: 'WriteOwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: `${refOf(json, 'aws_cloudwatch_log_group', `${service}/consumer/logs`, 'arn')}:*`,
    },
    { Sid: 'ReadStream', Effect: 'Allow', Action: kinesisRead, Resource: stream },
    {
      Sid: 'ReadThroughOwnFanOutConsumer',
      Effect: 'Allow',
      Action: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'],
      Resource: `${stream}/consumer/${functionName(service)}:*`,
    },
    { Sid: 'DeliverDiscardedBatches', Effect: 'Allow', Action: ['s3:PutObject'], Resource: `${onFailureBucket}/aws/lambda/*` },
    { Sid: 'FindOnFailureBucket', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: onFailureBucket },
    // kms:GenerateDataKey also covers delivery to the SSE-KMS on-failure bucket.
    { Sid: 'UseDataKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: key },
  ];
  const expected: Record<ServiceName, Json[]> = {
    'event-processor': [
      ...common('event-processor'),
      {
        Sid: 'AggregateTables',
        Effect: 'Allow',
        Action: dynamodbActions,
        Resource: [table('pageMetrics'), table('sessionMetrics'), table('counters')],
      },
    ],
    'anomaly-detector': [
      ...common('anomaly-detector'),
      { Sid: 'AlertsTable', Effect: 'Allow', Action: dynamodbActions, Resource: [table('alerts')] },
      { Sid: 'PublishAlerts', Effect: 'Allow', Action: ['sns:Publish'], Resource: topic },
    ],
    archiver: [
      ...common('archiver'),
      { Sid: 'WriteArchiveObjects', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`${bucket}/events/*`, `${bucket}/quarantine/*`] },
      {
        Sid: 'ListArchivePrefixes',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: bucket,
        Condition: { StringLike: { 's3:prefix': ['events/*', 'quarantine/*'] } },
      },
    ],
  };

  it('lets producers put records on the stream with a data key, nothing more', () => {
    const policy = resourceAt(json, 'aws_iam_policy', 'producers/policy');
    expect(parsePolicy(policy.policy).Statement).toEqual([
      { Sid: 'PutRecords', Effect: 'Allow', Action: ['kinesis:DescribeStreamSummary', 'kinesis:ListShards', 'kinesis:PutRecord', 'kinesis:PutRecords'], Resource: stream },
      { Sid: 'EncryptRecords', Effect: 'Allow', Action: ['kms:GenerateDataKey'], Resource: key },
    ]);
    const role = resourceAt(json, 'aws_iam_role', 'producers/role');
    expect(parsePolicy(role.assume_role_policy).Statement).toEqual([
      { Sid: 'AccountPrincipalsAssumeRole', Effect: 'Allow', Principal: { AWS: expect.stringMatching(/^arn:\$\{data\.aws_partition\.[\w]+\.partition\}:iam::\$\{data\.aws_caller_identity\.[\w]+\.account_id\}:root$/) }, Action: ['sts:AssumeRole'] },
    ]);
    expect(resourceAt(json, 'aws_iam_role_policy_attachment', 'producers/attachment')).toEqual({
      role: refOf(json, 'aws_iam_role', 'producers/role', 'name'),
      policy_arn: refOf(json, 'aws_iam_policy', 'producers/policy', 'arn'),
    });
  });

  it.each(SERVICES)('grants %s exactly what it uses', (service) => {
    const policy = resourceAt(json, 'aws_iam_role_policy', `${service}/consumer/policy`);
    expect(policy.role).toBe(refOf(json, 'aws_iam_role', `${service}/consumer/role`, 'id'));
    expect(parsePolicy(policy.policy).Statement).toEqual(expected[service]);
  });
});
