/**
 * The failure model on AWS: transient failures are retried until the dependency is back (the topology's
 * -1 settings reach the mappings as -1), what is still discarded keeps its records (an S3
 * on-failure destination), and every discard raises an alarm.
 */
import { Testing, TerraformStack } from 'cdktn';
import { AwsProvider } from '@cdktn/provider-aws/lib/provider';
import { KinesisStream } from '@cdktn/provider-aws/lib/kinesis-stream';
import { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { CONSUMERS, resourceNames, SERVICES, type ConsumerSettings } from '@clickstream/shared';
import { uniformBundles } from '../../bundles';
import { LAMBDA_ON_FAILURE_PREFIX } from '../../constructs/on-failure-bucket';
import { checkStreamSettings, StreamConsumerFunction } from '../../constructs/stream-consumer-function';
import { topologyMaxRecordAge } from '../../variables';
import { alarmAt, FIXTURE_BUNDLE, parsePolicy, refOf, resolveWithDefaults, resourceAt, synthAll, synthEnv, type Json } from '../synth';

const { json } = synthEnv('dev');
const at = (type: string, path: string) => resourceAt(json, type, path);
const bucketArn = refOf(json, 'aws_s3_bucket', 'on-failure/bucket', 'arn');
const bucketId = refOf(json, 'aws_s3_bucket', 'on-failure/bucket', 'id');
const kmsKeyArn = refOf(json, 'aws_kms_key', 'encryption/key', 'arn');

/** A consumer alone in a stack, with the given settings, synthesized. */
function mappingWith(settings: Partial<ConsumerSettings>): Json {
  const stack = new TerraformStack(Testing.app(), 'isolated');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  const key = new KmsKey(stack, 'key', {});
  const stream = new KinesisStream(stack, 'stream', { name: 's', shardCount: 1 });
  const consumer = new StreamConsumerFunction(stack, 'consumer', {
    service: 'event-processor',
    functionName: 'f',
    roleName: 'r',
    onFailure: { arn: 'arn:aws:s3:::on-failure', statements: [] },
    bundle: uniformBundles(FIXTURE_BUNDLE)['event-processor'],
    stream,
    key,
    settings: { ...CONSUMERS['event-processor'], ...settings },
    batchSize: 100,
    memorySize: 256,
    timeout: 60,
    logRetentionDays: 14,
    environment: {},
    statements: [],
  });
  const synthesized = JSON.parse(Testing.synth(stack)) as Json;
  return synthesized.resource.aws_lambda_event_source_mapping[consumer.eventSourceMapping.friendlyUniqueId] as Json;
}

describe('retries', () => {
  it('passes -1 ("until the record expires" / "until retention") to the mapping as -1', () => {
    const mapping = mappingWith({ maximumRetryAttempts: -1, maximumRecordAgeInSeconds: -1 });
    expect(mapping.maximum_retry_attempts).toBe(-1);
    expect(mapping.maximum_record_age_in_seconds).toBe(-1);
  });

  it('passes a bounded retry count and record age through unchanged', () => {
    const mapping = mappingWith({ maximumRetryAttempts: 0, maximumRecordAgeInSeconds: 60 });
    expect(mapping.maximum_retry_attempts).toBe(0);
    expect(mapping.maximum_record_age_in_seconds).toBe(60);
  });

  it.each([
    [{ maximumRetryAttempts: -2 }, /maximumRetryAttempts -2/],
    [{ maximumRetryAttempts: 10_001 }, /maximumRetryAttempts 10001/],
    [{ maximumRetryAttempts: 1.5 }, /maximumRetryAttempts 1.5/],
    [{ maximumRecordAgeInSeconds: 0 }, /maximumRecordAgeInSeconds 0/],
    [{ maximumRecordAgeInSeconds: 59 }, /maximumRecordAgeInSeconds 59/],
    [{ maximumRecordAgeInSeconds: 604_801 }, /maximumRecordAgeInSeconds 604801/],
  ])('refuses %j at synth, as Lambda would at apply', (settings, message) => {
    expect(() => checkStreamSettings('archiver', { ...CONSUMERS.archiver, ...settings })).toThrow(message);
  });

  it('takes every mapping’s retry count from the topology and its record age from max_record_age_seconds', () => {
    for (const service of SERVICES) {
      const mapping = at('aws_lambda_event_source_mapping', `${service}/consumer/event-source`);
      expect(mapping.maximum_retry_attempts).toBe(CONSUMERS[service].maximumRetryAttempts);
      expect(mapping.maximum_record_age_in_seconds).toBe('${var.max_record_age_seconds}');
      // Bisect isolates a poison record the handler could not quarantine; it does not use up retries.
      expect(mapping.bisect_batch_on_function_error).toBe(true);
    }
  });

  it('defaults max_record_age_seconds to the topology’s value and validates it against Lambda’s range', () => {
    const variable = json.variable.max_record_age_seconds;
    expect(variable.default).toBe(topologyMaxRecordAge());
    expect(variable.default).toBe(CONSUMERS['event-processor'].maximumRecordAgeInSeconds);
    expect(variable.validation[0].condition).toBe(
      '${var.max_record_age_seconds == -1 || (var.max_record_age_seconds >= 60 && var.max_record_age_seconds <= 604800 && var.max_record_age_seconds == floor(var.max_record_age_seconds))}',
    );
  });
});

describe('on-failure bucket', () => {
  it('is named by the topology, in every environment', () => {
    for (const { json: stackJson } of synthAll()) {
      const environment = stackJson.variable.environment.default as string;
      expect(resolveWithDefaults(stackJson, resourceAt(stackJson, 'aws_s3_bucket', 'on-failure/bucket').bucket)).toBe(resourceNames(undefined, environment).onFailureBucket);
    }
  });

  it('is every mapping’s on-failure destination, and the mappings publish the metrics that count discards', () => {
    for (const service of SERVICES) {
      const mapping = at('aws_lambda_event_source_mapping', `${service}/consumer/event-source`);
      expect(mapping.destination_config).toEqual({ on_failure: { destination_arn: bucketArn } });
      expect(mapping.metrics_config).toEqual({ metrics: ['EventCount'] });
    }
  });

  it('is encrypted with the stack key, versioned, TLS-only and not public', () => {
    expect(at('aws_s3_bucket_server_side_encryption_configuration', 'on-failure/encryption').rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: kmsKeyArn }, bucket_key_enabled: true },
    ]);
    expect(at('aws_s3_bucket_versioning', 'on-failure/versioning').versioning_configuration).toEqual({ status: 'Enabled' });
    expect(at('aws_s3_bucket_public_access_block', 'on-failure/public-access')).toMatchObject({
      bucket: bucketId,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(at('aws_s3_bucket_ownership_controls', 'on-failure/ownership').rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    expect(parsePolicy(at('aws_s3_bucket_policy', 'on-failure/policy').policy).Statement).toEqual([
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: ['s3:*'],
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
  });

  it('expires discarded batches after on_failure_expiration_days', () => {
    expect(at('aws_s3_bucket_lifecycle_configuration', 'on-failure/lifecycle').rule).toEqual([
      {
        id: 'discarded-batches-expiry',
        status: 'Enabled',
        filter: [{ prefix: LAMBDA_ON_FAILURE_PREFIX }],
        expiration: [{ days: '${var.on_failure_expiration_days}' }],
        noncurrent_version_expiration: [{ noncurrent_days: 30 }],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
      },
    ]);
    expect(LAMBDA_ON_FAILURE_PREFIX).toBe('aws/lambda/');
    expect(synthEnv('prod').json.variable.on_failure_expiration_days.default).toBe(90);
  });

  it('lets each role write only under aws/lambda/ and find the bucket, with a data key from the stack key', () => {
    for (const service of SERVICES) {
      const statements = parsePolicy(at('aws_iam_role_policy', `${service}/consumer/policy`).policy).Statement;
      expect(statements.filter((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).some((r: string) => r.startsWith(bucketArn)))).toEqual([
        { Sid: 'DeliverDiscardedBatches', Effect: 'Allow', Action: ['s3:PutObject'], Resource: `${bucketArn}/aws/lambda/*` },
        { Sid: 'FindOnFailureBucket', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: bucketArn },
      ]);
      expect(statements.find((s) => s.Sid === 'UseDataKey')).toMatchObject({ Action: expect.arrayContaining(['kms:GenerateDataKey']), Resource: kmsKeyArn });
    }
  });
});

describe('discard alarms', () => {
  it.each(SERVICES)('%s: alarms on any record sent to the on-failure bucket', (service) => {
    const mappingUuid = refOf(json, 'aws_lambda_event_source_mapping', `${service}/consumer/event-source`, 'uuid');
    expect(alarmAt(json, `${service}-discarded-batches`)).toMatchObject({
      namespace: 'AWS/Lambda',
      metric_name: 'OnFailureDestinationDeliveredEventCount',
      dimensions: { EventSourceMappingUUID: mappingUuid },
      statistic: 'Sum',
      comparison_operator: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
    });
  });

  it.each(SERVICES)('%s: alarms on records dropped or not delivered to the bucket', (service) => {
    const mappingUuid = refOf(json, 'aws_lambda_event_source_mapping', `${service}/consumer/event-source`, 'uuid');
    const alarm = alarmAt(json, `${service}-dropped-records`);
    const queries = alarm.metric_query as Json[];
    expect(queries.filter((q) => q.metric).map((q) => [q.metric.metric_name, q.metric.dimensions])).toEqual([
      ['DroppedEventCount', { EventSourceMappingUUID: mappingUuid }],
      ['DestinationDeliveryFailures', { FunctionName: `\${var.project_name}-\${var.environment}-${service}` }],
    ]);
    expect(queries.find((q) => q.return_data)?.expression).toBe('FILL(dropped, 0) + FILL(undelivered, 0)');
    expect(alarm).toMatchObject({ comparison_operator: 'GreaterThanOrEqualToThreshold', threshold: 1 });
  });
});
