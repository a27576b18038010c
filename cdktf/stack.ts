import { Construct } from 'constructs';
import { Fn, LocalBackend, Op, TerraformOutput, TerraformStack } from 'cdktn';
import { AwsProvider } from '@cdktn/provider-aws/lib/provider';
import { resourceNames, type ResourceNames, type ServiceName } from '@clickstream/shared';
import type { Bundles } from './bundles';
import { Alerts } from './constructs/alerts';
import { AnomalyDetector } from './constructs/anomaly-detector';
import { ArchiveBucket } from './constructs/archive-bucket';
import { Archiver } from './constructs/archiver';
import type { ConsumerInputs } from './constructs/consumer-inputs';
import { EncryptionKey } from './constructs/encryption-key';
import { EventProcessor } from './constructs/event-processor';
import { Observability } from './constructs/observability';
import { EventStream } from './constructs/stream';
import type { StreamConsumerFunction } from './constructs/stream-consumer-function';
import { Tables } from './constructs/tables';
import { StackVariables, type EnvironmentProfile } from './variables';

export interface ClickstreamStackProps {
  profile: EnvironmentProfile;
  bundles: Bundles;
}

/**
 * One environment of the pipeline. Every name comes from resourceNames() in the shared topology,
 * called with the Terraform variables project_name and environment, so the deployed names follow
 * the same `<project>-<environment>-<suffix>` rule the handlers and the local stack use.
 */
export class ClickstreamStack extends TerraformStack {
  readonly variables: StackVariables;
  readonly names: ResourceNames;
  readonly consumers: Record<ServiceName, StreamConsumerFunction>;

  constructor(scope: Construct, id: string, props: ClickstreamStackProps) {
    super(scope, id);
    // State next to cdktf.json (terraform runs in cdktf.out/stacks/<id>/). Relative, so the
    // synthesized JSON names no machine path. Use a remote backend for shared environments.
    new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });
    const vars = new StackVariables(this, 'variables', props.profile);
    this.variables = vars;
    const project = vars.projectName.stringValue;
    const environment = vars.environment.stringValue;
    const topologyNames = resourceNames(project, environment);

    new AwsProvider(this, 'aws', {
      region: vars.awsRegion.stringValue,
      defaultTags: [{ tags: { Project: project, Environment: environment, ManagedBy: 'cdktn' } }],
    });

    const key = new EncryptionKey(this, 'encryption', { prefix: topologyNames.prefix }).key;
    const stream = new EventStream(this, 'stream', {
      name: topologyNames.stream,
      shardCount: vars.kinesisShardCount.numberValue,
      retentionHours: vars.kinesisRetentionPeriod.numberValue,
      key,
    }).stream;
    const tables = new Tables(this, 'tables', { names: topologyNames.tables, key, deletionProtection: props.profile.deletionProtection }).tables;
    const bucket = new ArchiveBucket(this, 'archive', {
      name: Fn.conditional(Op.eq(vars.archiveBucketName.stringValue, ''), topologyNames.archiveBucket, vars.archiveBucketName.stringValue),
      key,
      forceDestroy: props.profile.bucketForceDestroy,
      transitionIaDays: vars.archiveTransitionIaDays.numberValue,
      transitionGlacierDays: vars.archiveTransitionGlacierDays.numberValue,
      expirationDays: vars.archiveExpirationDays.numberValue,
      quarantineExpirationDays: vars.quarantineExpirationDays.numberValue,
    }).bucket;
    const topic = new Alerts(this, 'alerts', {
      name: topologyNames.alertsTopic,
      key,
      enableEmail: vars.enableSnsAlerts.booleanValue,
      email: vars.alertEmail.stringValue,
    }).topic;

    // The bucket name may be overridden (S3 names are global), so functions get the real one.
    this.names = { ...topologyNames, archiveBucket: bucket.bucket };
    const inputs: ConsumerInputs = {
      project,
      environment,
      names: this.names,
      bundles: props.bundles,
      stream,
      key,
      memorySize: vars.lambdaMemorySize.numberValue,
      timeout: vars.lambdaTimeout.numberValue,
      logRetentionDays: vars.logRetentionDays.numberValue,
      logLevel: vars.logLevel.stringValue,
    };
    this.consumers = {
      'event-processor': new EventProcessor(this, 'event-processor', { inputs, tables, batchSize: vars.batchSize.numberValue }).consumer,
      'anomaly-detector': new AnomalyDetector(this, 'anomaly-detector', {
        inputs,
        alertsTable: tables.alerts,
        topic,
        batchSize: vars.batchSize.numberValue,
        enabled: vars.enableAnomalyDetection.booleanValue,
        publishAlerts: vars.enableSnsAlerts.stringValue,
      }).consumer,
      archiver: new Archiver(this, 'archiver', { inputs, bucket, batchSize: vars.archiverBatchSize.numberValue }).consumer,
    };

    const observability = new Observability(this, 'observability', {
      names: this.names,
      region: vars.awsRegion.stringValue,
      topic,
      enableDashboard: vars.enableCloudwatchDashboard.booleanValue,
      iteratorAgeThresholdMs: vars.iteratorAgeAlarmThresholdMs.numberValue,
      quarantineRatePercent: vars.quarantineRateAlarmPercent.numberValue,
    });

    const output = (name: string, value: string, description: string) => {
      new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
    };
    output('kinesis_stream_name', stream.name, 'Send events here (partition key = session_id).');
    output('kinesis_stream_arn', stream.arn, 'Stream ARN.');
    output('s3_bucket_name', bucket.bucket, 'Archive bucket (events/ and quarantine/).');
    output('dynamodb_page_metrics_table_name', tables.pageMetrics.name, 'Page metrics per minute.');
    output('dynamodb_session_metrics_table_name', tables.sessionMetrics.name, 'Session metrics.');
    output('dynamodb_counters_table_name', tables.counters.name, 'Real-time counters per minute.');
    output('dynamodb_alerts_table_name', tables.alerts.name, 'Alert history and cooldowns.');
    output('sns_topic_arn', topic.arn, 'Alerts topic (anomalies and alarms).');
    output('kms_key_arn', key.arn, 'Key encrypting the stream, tables, bucket, topic and queues (producers need kms:GenerateDataKey on it).');
    output('cloudwatch_dashboard_url', observability.dashboardUrl, 'CloudWatch dashboard (empty when disabled).');
    for (const [service, consumer] of Object.entries(this.consumers)) {
      const snake = service.replace(/-/g, '_');
      output(`lambda_${snake}_function_name`, consumer.function.functionName, `${service} function.`);
      output(`iam_role_${snake}_name`, consumer.role.name, `${service} execution role.`);
      output(`sqs_${snake}_on_failure_queue_url`, consumer.onFailureQueue.url, `${service} on-failure destination.`);
    }
  }
}
