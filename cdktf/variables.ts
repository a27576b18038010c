/**
 * The stack's Terraform variables. Defaults that describe the pipeline's shape (shard count,
 * retention, batch sizes, memory, timeout, project name) come from the shared topology, so the
 * local stack and AWS start from the same numbers; the rest are deployment choices.
 */
import { Construct } from 'constructs';
import { TerraformVariable } from 'cdktn';
import { CONSUMERS, DEFAULT_PROJECT, STREAM_DEFAULTS } from '@clickstream/shared';

export interface EnvironmentProfile {
  /** Stack environment: dev, staging or prod. Default of the `environment` variable. */
  environment: string;
  /** Lets `cdktn destroy` delete a bucket that still holds objects (dev only). */
  bucketForceDestroy: boolean;
  /** DynamoDB deletion protection (prod). */
  deletionProtection: boolean;
}

export class StackVariables extends Construct {
  readonly awsRegion: TerraformVariable;
  readonly environment: TerraformVariable;
  readonly projectName: TerraformVariable;
  readonly kinesisShardCount: TerraformVariable;
  readonly kinesisRetentionPeriod: TerraformVariable;
  readonly lambdaMemorySize: TerraformVariable;
  readonly lambdaTimeout: TerraformVariable;
  readonly batchSize: TerraformVariable;
  readonly archiverBatchSize: TerraformVariable;
  readonly enableAnomalyDetection: TerraformVariable;
  readonly enableSnsAlerts: TerraformVariable;
  readonly alertEmail: TerraformVariable;
  readonly enableCloudwatchDashboard: TerraformVariable;
  readonly logRetentionDays: TerraformVariable;
  readonly logLevel: TerraformVariable;
  readonly archiveBucketName: TerraformVariable;
  readonly archiveTransitionIaDays: TerraformVariable;
  readonly archiveTransitionGlacierDays: TerraformVariable;
  readonly archiveExpirationDays: TerraformVariable;
  readonly quarantineExpirationDays: TerraformVariable;
  readonly iteratorAgeAlarmThresholdMs: TerraformVariable;
  readonly quarantineRateAlarmPercent: TerraformVariable;

  constructor(scope: Construct, id: string, profile: EnvironmentProfile) {
    super(scope, id);
    const consumer = CONSUMERS['event-processor'];
    const v = (name: string, config: ConstructorParameters<typeof TerraformVariable>[2]) => {
      const variable = new TerraformVariable(scope, name, config);
      variable.overrideLogicalId(name);
      return variable;
    };
    const between = (name: string, min: number, max: number) => [
      { condition: `\${var.${name} >= ${min} && var.${name} <= ${max}}`, errorMessage: `${name} must be between ${min} and ${max}.` },
    ];

    this.awsRegion = v('aws_region', { type: 'string', default: 'us-east-1', description: 'AWS region to deploy to.' });
    this.environment = v('environment', {
      type: 'string',
      default: profile.environment,
      description: 'Environment name; the middle part of every resource name (<project>-<environment>-<name>).',
      validation: [{ condition: '${can(regex("^[a-z0-9-]{1,16}$", var.environment))}', errorMessage: 'environment must be 1-16 characters of a-z, 0-9 and -.' }],
    });
    this.projectName = v('project_name', {
      type: 'string',
      default: DEFAULT_PROJECT,
      description: 'Project name; the first part of every resource name.',
      validation: [{ condition: '${can(regex("^[a-z0-9-]{1,24}$", var.project_name))}', errorMessage: 'project_name must be 1-24 characters of a-z, 0-9 and -.' }],
    });
    this.kinesisShardCount = v('kinesis_shard_count', {
      type: 'number',
      default: STREAM_DEFAULTS.shardCount,
      description: 'Provisioned shards: each takes 1,000 records/s or 1 MB/s in, 2 MB/s out.',
      validation: between('kinesis_shard_count', 1, 500),
    });
    this.kinesisRetentionPeriod = v('kinesis_retention_period', {
      type: 'number',
      default: STREAM_DEFAULTS.retentionHours,
      description: 'Stream retention in hours (24 to 8760; above 24 is billed extra).',
      validation: between('kinesis_retention_period', 24, 8760),
    });
    this.lambdaMemorySize = v('lambda_memory_size', { type: 'number', default: consumer.memorySizeMb, description: 'Memory (MB) of every function.', validation: between('lambda_memory_size', 128, 10240) });
    this.lambdaTimeout = v('lambda_timeout', { type: 'number', default: consumer.timeoutSeconds, description: 'Timeout (s) of every function.', validation: between('lambda_timeout', 1, 900) });
    this.batchSize = v('batch_size', {
      type: 'number',
      default: consumer.batchSize,
      description: 'Kinesis batch size of event-processor and anomaly-detector.',
      validation: between('batch_size', 1, 10000),
    });
    this.archiverBatchSize = v('archiver_batch_size', {
      type: 'number',
      default: CONSUMERS.archiver.batchSize,
      description: 'Kinesis batch size of the archiver (larger batches write fewer, larger S3 objects).',
      validation: between('archiver_batch_size', 1, 10000),
    });
    this.enableAnomalyDetection = v('enable_anomaly_detection', { type: 'bool', default: true, description: "Enable the anomaly-detector's event source mapping." });
    this.enableSnsAlerts = v('enable_sns_alerts', { type: 'bool', default: false, description: 'Subscribe alert_email to the alerts topic.' });
    this.alertEmail = v('alert_email', { type: 'string', default: '', description: 'Email address for alerts and alarms (confirm the subscription email AWS sends).' });
    this.enableCloudwatchDashboard = v('enable_cloudwatch_dashboard', { type: 'bool', default: true, description: 'Create the CloudWatch dashboard.' });
    this.logRetentionDays = v('log_retention_days', {
      type: 'number',
      default: 14,
      description: 'CloudWatch Logs retention of every function log group.',
      validation: [
        {
          condition: '${contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)}',
          errorMessage: 'log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ...).',
        },
      ],
    });
    this.logLevel = v('log_level', {
      type: 'string',
      default: 'info',
      description: 'pino log level of every function.',
      validation: [{ condition: '${contains(["fatal", "error", "warn", "info", "debug", "trace", "silent"], var.log_level)}', errorMessage: 'log_level must be a pino level.' }],
    });
    this.archiveBucketName = v('archive_bucket_name', {
      type: 'string',
      default: '',
      description: 'Archive bucket name; empty means <project>-<environment>-archive. S3 names are global: set this if that name is taken.',
    });
    this.archiveTransitionIaDays = v('archive_transition_ia_days', { type: 'number', default: 30, description: 'Days before archived events move to STANDARD_IA.' });
    this.archiveTransitionGlacierDays = v('archive_transition_glacier_days', { type: 'number', default: 90, description: 'Days before archived events move to GLACIER_IR.' });
    this.archiveExpirationDays = v('archive_expiration_days', { type: 'number', default: 365, description: 'Days before archived events expire.' });
    this.quarantineExpirationDays = v('quarantine_expiration_days', { type: 'number', default: 90, description: 'Days before quarantined records expire.' });
    this.iteratorAgeAlarmThresholdMs = v('iterator_age_alarm_threshold_ms', {
      type: 'number',
      default: 60000,
      description: 'Alarm when a function falls this far (ms) behind the stream.',
    });
    this.quarantineRateAlarmPercent = v('quarantine_rate_alarm_percent', {
      type: 'number',
      default: 5,
      description: 'Alarm when more than this percentage of records is rejected and quarantined.',
    });
  }
}
