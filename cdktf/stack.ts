import { Construct } from 'constructs';
import { Annotations, Fn, Op, TerraformOutput, TerraformStack } from 'cdktn';
import { AwsProvider } from '@cdktn/provider-aws/lib/provider';
import { resourceNames, type ResourceNames, type ServiceName, type TableKey } from '@clickstream/shared';
import { applyBackend, type BackendConfig } from './backend';
import type { Bundles } from './bundles';
import type { EnvironmentProfile } from './environments';
import { Alerts } from './constructs/alerts';
import { ANOMALY_DETECTOR_DYNAMODB_ACTIONS, AnomalyDetector } from './constructs/anomaly-detector';
import { ArchiveBucket } from './constructs/archive-bucket';
import { Archiver } from './constructs/archiver';
import { Collector, CollectorVariables } from './constructs/collector';
import type { ConsumerInputs } from './constructs/consumer-inputs';
import { EncryptionKey } from './constructs/encryption-key';
import { Forget } from './constructs/forget';
import { EVENT_PROCESSOR_DYNAMODB_ACTIONS, EVENT_PROCESSOR_TABLES, EventProcessor } from './constructs/event-processor';
import { Lake } from './constructs/lake';
import { Observability } from './constructs/observability';
import { OnFailureBucket } from './constructs/on-failure-bucket';
import { Operations } from './constructs/operations';
import { Privacy } from './constructs/privacy';
import { Producers } from './constructs/producers';
import { EventStream } from './constructs/stream';
import type { StreamConsumerFunction } from './constructs/stream-consumer-function';
import { Tables } from './constructs/tables';
import { StackVariables } from './variables';

export interface ClickstreamStackProps {
  profile: EnvironmentProfile;
  bundles: Bundles;
  /** Remote state per environment; this stack's environment keeps local state when it is not named. */
  backends: BackendConfig;
}

/** `dynamodb:Query` -> `Query`: the Operation dimension of DynamoDB's metrics. */
const operationsOf = (actions: readonly string[]) => actions.map((action) => action.replace(/^dynamodb:/, ''));

/**
 * One environment of the pipeline. Every name comes from resourceNames() in the shared topology,
 * called with the Terraform variables project_name and environment, so the deployed names follow
 * the same `<project>-<environment>-<suffix>` rule the handlers and the local stack use.
 */
export class ClickstreamStack extends TerraformStack {
  readonly profile: EnvironmentProfile;
  readonly variables: StackVariables;
  readonly names: ResourceNames;
  readonly consumers: Record<ServiceName, StreamConsumerFunction>;
  /** Set when the state stays in a local file where it should not (staging, prod). */
  readonly backendWarning: string | undefined;

  constructor(scope: Construct, id: string, props: ClickstreamStackProps) {
    super(scope, id);
    this.profile = props.profile;
    this.backendWarning = applyBackend(this, props.profile.environment, props.backends);
    if (this.backendWarning !== undefined) Annotations.of(this).addWarning(this.backendWarning);
    const vars = new StackVariables(this, 'variables', props.profile);
    this.variables = vars;
    const project = vars.projectName.stringValue;
    const environment = vars.environment.stringValue;
    const topologyNames = resourceNames(project, environment);

    new AwsProvider(this, 'aws', {
      region: vars.awsRegion.stringValue,
      allowedAccountIds: vars.allowedAccountIds.listValue,
      defaultTags: [{ tags: { Project: project, Environment: environment, ManagedBy: 'cdktn' } }],
    });

    const encryption = new EncryptionKey(this, 'encryption', { prefix: topologyNames.prefix, region: vars.awsRegion.stringValue });
    const { key } = encryption;
    const stream = new EventStream(this, 'stream', {
      name: topologyNames.stream,
      streamMode: vars.streamMode.stringValue,
      shardCount: vars.kinesisShardCount.numberValue,
      retentionHours: vars.kinesisRetentionPeriod.numberValue,
      shardLevelMetrics: vars.kinesisShardLevelMetrics.listValue,
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
      forgetAuditExpirationDays: vars.forgetAuditExpirationDays.numberValue,
    }).bucket;
    const onFailure = new OnFailureBucket(this, 'on-failure', {
      name: topologyNames.onFailureBucket,
      key,
      forceDestroy: props.profile.bucketForceDestroy,
      expirationDays: vars.onFailureExpirationDays.numberValue,
    });
    const topic = new Alerts(this, 'alerts', {
      name: topologyNames.alertsTopic,
      key,
      enableEmail: vars.enableSnsAlerts.booleanValue,
      email: vars.alertEmail.stringValue,
    }).topic;
    const operations = new Operations(this, 'operations', {
      name: `${topologyNames.prefix}-operations`,
      key,
      enabled: vars.enableAlarmNotifications.booleanValue,
      emails: vars.alarmEmails.listValue,
      httpsEndpoints: vars.alarmHttpsEndpoints.listValue,
      existingTopicArn: vars.alarmTopicArn.stringValue,
      warnWithoutSubscriber: props.profile.warnWithoutAlarmSubscriber,
    });
    const producers = new Producers(this, 'producers', { prefix: topologyNames.prefix, stream, key, accountId: encryption.accountId, partition: encryption.partition });

    const privacy = new Privacy(this, 'privacy', { region: vars.awsRegion.stringValue, accountId: encryption.accountId, partition: encryption.partition });

    // The bucket name may be overridden (S3 names are global), so functions get the real one.
    this.names = { ...topologyNames, archiveBucket: bucket.bucket };
    const inputs: ConsumerInputs = {
      project,
      environment,
      names: this.names,
      bundles: props.bundles,
      stream,
      key,
      onFailure: { arn: onFailure.bucket.arn, statements: onFailure.deliveryStatements() },
      memorySize: vars.lambdaMemorySize.numberValue,
      timeout: vars.lambdaTimeout.numberValue,
      reservedConcurrency: vars.lambdaReservedConcurrency.numberValue,
      tracing: vars.enableXrayTracing.booleanValue,
      enhancedFanOutConsumers: vars.enhancedFanOutConsumers.listValue,
      maximumRecordAgeInSeconds: vars.maxRecordAgeSeconds.numberValue,
      logRetentionDays: vars.logRetentionDays.numberValue,
      logLevel: vars.logLevel.stringValue,
      privacyEnvironment: privacy.environment,
    };
    this.consumers = {
      'event-processor': new EventProcessor(this, 'event-processor', {
        inputs,
        tables,
        batchSize: vars.batchSize.numberValue,
        retention: { aggregateTtlDays: vars.aggregateTtlDays.stringValue, sessionTtlDays: vars.sessionTtlDays.stringValue },
      }).consumer,
      'anomaly-detector': new AnomalyDetector(this, 'anomaly-detector', {
        inputs,
        alertsTable: tables.alerts,
        topic,
        batchSize: vars.detectorBatchSize.numberValue,
        enabled: vars.enableAnomalyDetection.booleanValue,
        publishAlerts: vars.enableSnsAlerts.stringValue,
        retention: { alertHistoryTtlDays: vars.alertHistoryTtlDays.stringValue, alertStateTtlHours: vars.alertStateTtlHours.stringValue },
      }).consumer,
      archiver: new Archiver(this, 'archiver', { inputs, bucket, batchSize: vars.archiverBatchSize.numberValue }).consumer,
    };

    const tableOperations = Object.fromEntries(
      (Object.keys(tables) as TableKey[]).map((tableKey) => [
        tableKey,
        operationsOf((EVENT_PROCESSOR_TABLES as readonly TableKey[]).includes(tableKey) ? EVENT_PROCESSOR_DYNAMODB_ACTIONS : ANOMALY_DETECTOR_DYNAMODB_ACTIONS),
      ]),
    ) as Record<TableKey, string[]>;
    const observability = new Observability(this, 'observability', {
      names: this.names,
      region: vars.awsRegion.stringValue,
      alarmActions: operations.alarmActions,
      consumers: this.consumers,
      tables,
      tableOperations,
      topics: { alerts: topic, operations: operations.topic },
      enableDashboard: vars.enableCloudwatchDashboard.booleanValue,
      iteratorAgeThresholdMs: vars.iteratorAgeAlarmThresholdMs.numberValue,
      streamRetentionHours: vars.kinesisRetentionPeriod.numberValue,
      functionTimeoutSeconds: vars.lambdaTimeout.numberValue,
      durationTimeoutPercent: vars.durationAlarmTimeoutPercent.numberValue,
      quarantineRatePercent: vars.quarantineRateAlarmPercent.numberValue,
    });

    const lake = new Lake(this, 'lake', {
      project,
      environment,
      names: this.names,
      bundle: props.bundles.compactor,
      bucket,
      countersTable: tables.counters,
      key,
      logRetentionDays: vars.logRetentionDays.numberValue,
      logLevel: vars.logLevel.stringValue,
      alarmActions: operations.alarmActions,
      forceDestroy: props.profile.bucketForceDestroy,
    });

    const forget = new Forget(this, 'forget', {
      project,
      environment,
      names: this.names,
      bundle: props.bundles.forget,
      bucket,
      sessionTable: tables.sessionMetrics,
      alertsTable: tables.alerts,
      compactor: lake.compactor.function,
      key,
      logRetentionDays: vars.logRetentionDays.numberValue,
      logLevel: vars.logLevel.stringValue,
      alertHistoryTtlDays: vars.alertHistoryTtlDays.stringValue,
    });

    const collector = new Collector(this, 'collector', {
      project,
      environment,
      names: this.names,
      bundle: props.bundles.collector,
      stream,
      key,
      alarmActions: operations.alarmActions,
      logRetentionDays: vars.logRetentionDays.numberValue,
      logLevel: vars.logLevel.stringValue,
      variables: new CollectorVariables(this, 'collector-variables'),
      privacyEnvironment: privacy.environment,
    });
    privacy.grantSecretRead(collector.role, 'collector-address-key', collector.role.name);
    for (const [service, consumer] of Object.entries(this.consumers)) privacy.grantSecretRead(consumer.role, `${service}-address-key`, consumer.role.name);

    const output = (name: string, value: string, description: string) => {
      new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
    };
    output('kinesis_stream_name', stream.name, 'Send events here (partition key = session_id).');
    output('kinesis_stream_arn', stream.arn, 'Stream ARN.');
    output('s3_bucket_name', bucket.bucket, 'Archive bucket (events/ and quarantine/).');
    output('s3_on_failure_bucket_name', onFailure.bucket.bucket, 'Discarded batches, records included (aws/lambda/<mapping>/<shard>/...): replay them from here.');
    output('dynamodb_page_metrics_table_name', tables.pageMetrics.name, 'Page metrics per minute.');
    output('dynamodb_session_metrics_table_name', tables.sessionMetrics.name, 'Session metrics.');
    output('dynamodb_counters_table_name', tables.counters.name, 'Real-time counters per minute.');
    output('dynamodb_alerts_table_name', tables.alerts.name, 'Alert history and cooldowns.');
    output('sns_topic_arn', topic.arn, 'Alerts topic (anomalies).');
    output('sns_operations_topic_arn', operations.topic.arn, 'Operations topic (every CloudWatch alarm).');
    output('kms_key_arn', key.arn, 'Key encrypting the stream, tables, buckets, topics and function logs.');
    output('producer_policy_arn', producers.policy.arn, 'Attach to a principal that sends events (PutRecord/PutRecords and kms:GenerateDataKey).');
    output('producer_role_arn', producers.role.arn, 'Role with the producer policy; principals of this account may assume it when their IAM policies allow.');
    output('cloudwatch_dashboard_url', observability.dashboardUrl, 'CloudWatch dashboard (empty when disabled).');
    output('glue_database_name', lake.catalog.database.name, 'Glue database of the lake (tables raw_events, events, quarantine).');
    output('athena_workgroup_name', lake.catalog.workgroup.name, 'Athena workgroup for the lake (named queries, enforced limits).');
    output('lambda_compactor_function_name', lake.compactor.function.functionName, 'compactor function (invoke with {"hour":"YYYY-MM-DDTHH"} to compact an hour now).');
    output('collector_url', collector.collectorUrl, 'The collector (POST <collector_url>/v1/events; the tracker at <collector_url>/tracker.js).');
    output('lambda_forget_function_name', forget.function.functionName, 'forget function (invoke with {"user_id":"…"} to remove one user\'s data; README "Privacy").');
    output('lambda_collector_function_name', collector.function.functionName, 'collector function.');
    for (const [service, consumer] of Object.entries(this.consumers)) {
      const snake = service.replace(/-/g, '_');
      output(`lambda_${snake}_function_name`, consumer.function.functionName, `${service} function.`);
      output(`iam_role_${snake}_name`, consumer.role.name, `${service} execution role.`);
      output(`lambda_${snake}_event_source_mapping_uuid`, consumer.eventSourceMapping.uuid, `${service} event source mapping (the on-failure objects' aws/lambda/<uuid>/ prefix).`);
    }
  }
}
