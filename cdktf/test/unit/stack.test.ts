import { CONSUMERS, SERVICES, TABLES } from '@clickstream/shared';
import { ENVIRONMENT_PROFILES, stackId } from '../../app';
import { LAMBDA_HANDLER, LAMBDA_RUNTIME, NODE_OPTIONS } from '../../constructs/bundled-function';
import { logicalId, parsePolicy, refOf, resourceAt, resources, synthAll, synthEnv, type Json } from '../synth';

const { json } = synthEnv('dev');
const kmsKeyArn = refOf(json, 'aws_kms_key', 'encryption/key', 'arn');
const topicArn = refOf(json, 'aws_sns_topic', 'alerts/topic', 'arn');
const at = (type: string, pathSuffix: string) => resourceAt(json, type, pathSuffix);

describe('app', () => {
  it('has one stack per environment, each with its own state file', () => {
    const all = synthAll();
    expect(all.map(({ stack }) => stack.node.id)).toEqual(ENVIRONMENT_PROFILES.map((p) => stackId(p.environment)));
    expect(all.map(({ stack }) => stack.node.id)).toEqual(['clickstream-dev', 'clickstream-staging', 'clickstream-prod']);
    for (const { stack, json: stackJson } of all) {
      expect(stackJson.terraform.backend.local.path).toBe(`../../../terraform.${stack.node.id}.tfstate`);
      expect(stackJson.variable.environment.default).toBe(stack.node.id.replace('clickstream-', ''));
    }
  });

  it('protects prod data and lets dev be destroyed', () => {
    const dev = synthEnv('dev').json;
    const prod = synthEnv('prod').json;
    expect(Object.values(resources(dev, 'aws_dynamodb_table')).every((t) => t.deletion_protection_enabled === false)).toBe(true);
    expect(Object.values(resources(prod, 'aws_dynamodb_table')).every((t) => t.deletion_protection_enabled === true)).toBe(true);
    expect(resourceAt(dev, 'aws_s3_bucket', 'archive/bucket').force_destroy).toBe(true);
    expect(resourceAt(prod, 'aws_s3_bucket', 'archive/bucket').force_destroy).toBe(false);
  });
});

describe('variables', () => {
  it('declares the documented variables with their defaults', () => {
    const defaults = Object.fromEntries(Object.entries(json.variable as Record<string, Json>).map(([k, v]) => [k, v.default]));
    expect(defaults).toMatchObject({
      aws_region: 'us-east-1',
      environment: 'dev',
      project_name: 'clickstream-analytics',
      kinesis_shard_count: 2,
      kinesis_retention_period: 24,
      lambda_memory_size: 256,
      lambda_timeout: 60,
      batch_size: 500,
      detector_batch_size: 2000,
      archiver_batch_size: 1000,
      enable_anomaly_detection: true,
      enable_sns_alerts: false,
      alert_email: '',
      enable_alarm_notifications: false,
      alarm_emails: [],
      alarm_https_endpoints: [],
      alarm_topic_arn: '',
      allowed_account_ids: [],
      stream_mode: 'PROVISIONED',
      kinesis_shard_level_metrics: [],
      enhanced_fan_out_consumers: [],
      lambda_reserved_concurrency: -1,
      enable_xray_tracing: false,
      on_failure_expiration_days: 30,
      duration_alarm_timeout_percent: 80,
      enable_cloudwatch_dashboard: true,
      log_retention_days: 14,
      log_level: 'info',
      archive_bucket_name: '',
    });
    expect(json.variable.enable_anomaly_detection.type).toBe('bool');
    expect(json.variable.kinesis_shard_count.validation[0].condition).toContain('var.kinesis_shard_count >= 1');
  });
});

describe('stream', () => {
  it('takes its mode, shards, retention and shard-level metrics from variables and is KMS-encrypted', () => {
    const stream = at('aws_kinesis_stream', 'stream/stream');
    expect(stream).toMatchObject({
      // Kinesis owns the shard count of an ON_DEMAND stream: the provider must not set it.
      shard_count: '${(var.stream_mode == "PROVISIONED") ? var.kinesis_shard_count : null}',
      retention_period: '${var.kinesis_retention_period}',
      shard_level_metrics: '${var.kinesis_shard_level_metrics}',
      encryption_type: 'KMS',
      kms_key_id: kmsKeyArn,
      stream_mode_details: { stream_mode: '${var.stream_mode}' },
    });
  });

  it('uses a customer-managed key with rotation', () => {
    expect(at('aws_kms_key', 'encryption/key')).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
  });
});

describe('tables', () => {
  const tables = resources(json, 'aws_dynamodb_table');

  it('creates exactly the tables of the topology', () => {
    expect(Object.keys(tables)).toHaveLength(Object.keys(TABLES).length);
  });

  it.each(Object.keys(TABLES))('%s is on-demand, with TTL on ttl, point-in-time recovery and KMS encryption', (tableKey) => {
    const table = at('aws_dynamodb_table', `tables/${tableKey}`);
    expect(table).toMatchObject({
      billing_mode: 'PAY_PER_REQUEST',
      ttl: { attribute_name: 'ttl', enabled: true },
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true, kms_key_arn: kmsKeyArn },
    });
  });

  it('gives page-metrics no index (top pages read the rollup items: no write is doubled)', () => {
    expect(at('aws_dynamodb_table', 'tables/pageMetrics').global_secondary_index ?? []).toEqual([]);
  });
});

describe('archive bucket', () => {
  const bucketId = refOf(json, 'aws_s3_bucket', 'archive/bucket', 'id');
  const bucketArn = refOf(json, 'aws_s3_bucket', 'archive/bucket', 'arn');

  it('blocks all public access and enforces bucket-owner ownership', () => {
    expect(at('aws_s3_bucket_public_access_block', 'archive/public-access')).toMatchObject({
      bucket: bucketId,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(at('aws_s3_bucket_ownership_controls', 'archive/ownership').rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
  });

  it('is versioned and SSE-KMS encrypted with a bucket key', () => {
    expect(at('aws_s3_bucket_versioning', 'archive/versioning').versioning_configuration).toEqual({ status: 'Enabled' });
    expect(at('aws_s3_bucket_server_side_encryption_configuration', 'archive/encryption').rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: kmsKeyArn }, bucket_key_enabled: true },
    ]);
  });

  it('denies every request that is not over TLS', () => {
    const policy = at('aws_s3_bucket_policy', 'archive/policy');
    expect(policy.bucket).toBe(bucketId);
    expect(parsePolicy(policy.policy).Statement).toEqual([
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

  it('moves events to cheaper storage and expires them, and expires quarantine', () => {
    const rules = at('aws_s3_bucket_lifecycle_configuration', 'archive/lifecycle').rule as Json[];
    const events = rules.find((r) => r.filter[0].prefix === 'events/')!;
    expect(events.status).toBe('Enabled');
    expect(events.transition).toEqual([
      { days: '${var.archive_transition_ia_days}', storage_class: 'STANDARD_IA' },
      { days: '${var.archive_transition_glacier_days}', storage_class: 'GLACIER_IR' },
    ]);
    expect(events.expiration).toEqual([{ days: '${var.archive_expiration_days}' }]);
    const quarantine = rules.find((r) => r.filter[0].prefix === 'quarantine/')!;
    expect(quarantine.expiration).toEqual([{ days: '${var.quarantine_expiration_days}' }]);
    for (const rule of rules) expect(rule.abort_incomplete_multipart_upload).toEqual([{ days_after_initiation: 7 }]);
  });
});

describe('alerts topic', () => {
  it('is for anomalies only, encrypted with the stack key', () => {
    expect(at('aws_sns_topic', 'alerts/topic').display_name).toBe('Clickstream alerts');
    expect(at('aws_sns_topic', 'alerts/topic').kms_master_key_id).toBe(kmsKeyArn);
  });

  it('subscribes alert_email only when enable_sns_alerts is set and the email is not empty', () => {
    expect(at('aws_sns_topic_subscription', 'alerts/email')).toMatchObject({
      count: '${(var.enable_sns_alerts && (var.alert_email != "")) ? 1 : 0}',
      protocol: 'email',
      endpoint: '${var.alert_email}',
      topic_arn: topicArn,
    });
  });

  it('lets CloudWatch alarms use the key of the encrypted topic', () => {
    const statements = parsePolicy(at('aws_kms_key', 'encryption/key').policy).Statement;
    expect(statements.find((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com')?.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });
});

describe.each(SERVICES)('%s', (service) => {
  const settings = CONSUMERS[service];
  const fn = at('aws_lambda_function', `${service}/consumer/function`);
  const mapping = at('aws_lambda_event_source_mapping', `${service}/consumer/event-source`);

  it('maps the stream with partial batch responses, bisect, retries until the dependency is back, the operator record age and an S3 on-failure destination', () => {
    expect(mapping).toMatchObject({
      event_source_arn: `\${contains(var.enhanced_fan_out_consumers, "${service}") ? ${refOf(json, 'aws_kinesis_stream_consumer', `${service}/consumer/fan-out`, 'arn').slice(2, -5)}[0].arn : ${refOf(json, 'aws_kinesis_stream', 'stream/stream', 'arn').slice(2, -1)}}`,
      function_name: refOf(json, 'aws_lambda_function', `${service}/consumer/function`, 'arn'),
      starting_position: 'TRIM_HORIZON',
      function_response_types: ['ReportBatchItemFailures'],
      bisect_batch_on_function_error: true,
      maximum_retry_attempts: settings.maximumRetryAttempts,
      maximum_record_age_in_seconds: '${var.max_record_age_seconds}',
      maximum_batching_window_in_seconds: settings.maximumBatchingWindowInSeconds,
      parallelization_factor: settings.parallelizationFactor,
      destination_config: { on_failure: { destination_arn: refOf(json, 'aws_s3_bucket', 'on-failure/bucket', 'arn') } },
      metrics_config: { metrics: ['EventCount'] },
    });
    // Only transient failures fail an invocation: retried until the record expires with the stream,
    // unless the operator chooses a discard age.
    expect(mapping.maximum_retry_attempts).toBe(-1);
    expect(json.variable.max_record_age_seconds.default).toBe(-1);
    expect(mapping.batch_size).toBe({ archiver: '${var.archiver_batch_size}', 'anomaly-detector': '${var.detector_batch_size}', 'event-processor': '${var.batch_size}' }[service]);
    expect(mapping.enabled).toBe(service === 'anomaly-detector' ? '${var.enable_anomaly_detection}' : true);
  });

  it('runs nodejs22.x from the zipped bundle, its source hash being the asset hash', () => {
    expect(fn).toMatchObject({
      runtime: LAMBDA_RUNTIME,
      handler: LAMBDA_HANDLER,
      architectures: ['arm64'],
      memory_size: '${var.lambda_memory_size}',
      timeout: '${var.lambda_timeout}',
      reserved_concurrent_executions: '${var.lambda_reserved_concurrency}',
      tracing_config: { mode: '${var.enable_xray_tracing ? "Active" : "PassThrough"}' },
      role: refOf(json, 'aws_iam_role', `${service}/consumer/role`, 'arn'),
    });
    expect(fn.filename).toMatch(new RegExp(`^assets/${service}_consumer_bundle_[0-9A-F]+/([0-9A-F]+)/archive\\.zip$`));
    expect(fn.filename).toContain(`/${fn.source_code_hash}/`);
  });

  it('logs to its own log group, encrypted with the stack key, with the retention variable (created before the function)', () => {
    const logs = at('aws_cloudwatch_log_group', `${service}/consumer/logs`);
    expect(logs.name).toBe(`/aws/lambda/${'${var.project_name}-${var.environment}'}-${service}`);
    expect(logs.retention_in_days).toBe('${var.log_retention_days}');
    expect(logs.kms_key_id).toBe(kmsKeyArn);
    expect(fn.logging_config.log_group).toBe(refOf(json, 'aws_cloudwatch_log_group', `${service}/consumer/logs`, 'name'));
    expect(fn.depends_on).toContain(`aws_cloudwatch_log_group.${logicalId(json, 'aws_cloudwatch_log_group', `${service}/consumer/logs`)}`);
  });

  it('has a fan-out stream consumer of its own only when enhanced_fan_out_consumers names it', () => {
    expect(at('aws_kinesis_stream_consumer', `${service}/consumer/fan-out`)).toEqual({
      count: `\${contains(var.enhanced_fan_out_consumers, "${service}") ? 1 : 0}`,
      name: `\${var.project_name}-\${var.environment}-${service}`,
      stream_arn: refOf(json, 'aws_kinesis_stream', 'stream/stream', 'arn'),
    });
  });

  it('receives the shared environment contract', () => {
    const env = fn.environment.variables as Record<string, string>;
    expect(env.SERVICE_NAME).toBe(service);
    expect(env.KINESIS_STREAM_NAME).toBe('${var.project_name}-${var.environment}-events');
    expect(env.ARCHIVE_BUCKET).toBe(refOf(json, 'aws_s3_bucket', 'archive/bucket', 'bucket'));
    expect(env.LOG_LEVEL).toBe('${var.log_level}');
    if (service === 'anomaly-detector') expect(env.ALERTS_TOPIC_ARN).toBe(topicArn);
    else expect(env.ALERTS_TOPIC_ARN).toBeUndefined();
    expect(Object.keys(env).filter((k) => k.startsWith('AWS_'))).toEqual([]);
    // Stack traces through the bundled source maps.
    expect(env.NODE_OPTIONS).toBe(NODE_OPTIONS);
    expect(NODE_OPTIONS).toBe('--enable-source-maps');
  });
});

describe('every function', () => {
  it('logs to a log group encrypted with the stack key, and maps stack traces through its bundle', () => {
    const groups = Object.values(resources(json, 'aws_cloudwatch_log_group'));
    const functions = Object.values(resources(json, 'aws_lambda_function'));
    // Three consumers, the compactor, forget and the collector.
    expect(functions).toHaveLength(6);
    expect(groups.length).toBeGreaterThanOrEqual(functions.length);
    expect(groups.filter((group) => group.kms_key_id !== kmsKeyArn).map((group) => group.name)).toEqual([]);
    expect(functions.filter((fn) => (fn.environment.variables as Record<string, string>).NODE_OPTIONS !== NODE_OPTIONS).map((fn) => fn.function_name)).toEqual([]);
  });
});

describe('dashboard', () => {
  it('is created only when enabled, from the shared definition', () => {
    const dashboard = at('aws_cloudwatch_dashboard', 'observability/dashboard');
    expect(dashboard.count).toBe('${var.enable_cloudwatch_dashboard ? 1 : 0}');
    const body = JSON.parse(dashboard.dashboard_body);
    expect(body.widgets.length).toBeGreaterThan(5);
    expect(dashboard.dashboard_body).not.toContain('{{');
    expect(dashboard.dashboard_body).not.toContain('AWS/SQS');
  });
});

describe('outputs', () => {
  it('exposes the documented outputs', () => {
    const outputs = json.output as Record<string, Json>;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'kinesis_stream_name',
        'kinesis_stream_arn',
        's3_bucket_name',
        'lambda_event_processor_function_name',
        'lambda_anomaly_detector_function_name',
        'lambda_archiver_function_name',
        'dynamodb_page_metrics_table_name',
        'dynamodb_session_metrics_table_name',
        'dynamodb_counters_table_name',
        'cloudwatch_dashboard_url',
        'sns_topic_arn',
        'sns_operations_topic_arn',
        's3_on_failure_bucket_name',
        'producer_policy_arn',
        'producer_role_arn',
        'lambda_archiver_event_source_mapping_uuid',
        'iam_role_event_processor_name',
        'iam_role_anomaly_detector_name',
        'iam_role_archiver_name',
      ]),
    );
    expect(outputs.kinesis_stream_name!.value).toBe(refOf(json, 'aws_kinesis_stream', 'stream/stream', 'name'));
    expect(outputs.sns_topic_arn!.value).toBe(topicArn);
    expect(outputs.iam_role_archiver_name!.value).toBe(refOf(json, 'aws_iam_role', 'archiver/consumer/role', 'name'));
    expect(outputs.sns_operations_topic_arn!.value).toBe(refOf(json, 'aws_sns_topic', 'operations/topic', 'arn'));
    expect(outputs.s3_on_failure_bucket_name!.value).toBe(refOf(json, 'aws_s3_bucket', 'on-failure/bucket', 'bucket'));
    expect(outputs.producer_policy_arn!.value).toBe(refOf(json, 'aws_iam_policy', 'producers/policy', 'arn'));
    expect(outputs.producer_role_arn!.value).toBe(refOf(json, 'aws_iam_role', 'producers/role', 'arn'));
    expect(outputs.lambda_archiver_event_source_mapping_uuid!.value).toBe(refOf(json, 'aws_lambda_event_source_mapping', 'archiver/consumer/event-source', 'uuid'));
    // The SQS on-failure queues are gone with the S3 destination.
    expect(Object.keys(outputs).filter((name) => name.startsWith('sqs_'))).toEqual([]);
    expect(resources(json, 'aws_sqs_queue')).toEqual({});
    expect(outputs.cloudwatch_dashboard_url!.value).toBe(
      '${var.enable_cloudwatch_dashboard ? "https://${var.aws_region}.console.aws.amazon.com/cloudwatch/home?region=${var.aws_region}#dashboards:name=${var.project_name}-${var.environment}-dashboard" : ""}',
    );
  });
});
