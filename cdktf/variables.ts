/**
 * The stack's Terraform variables. Defaults that describe the pipeline's shape (batch sizes,
 * memory, timeout, retry settings, project name) come from the shared topology, so the local
 * stack and AWS start from the same numbers; the environment profile supplies the sizing that
 * differs between dev, staging and prod; the rest are deployment choices. Every value is
 * validated at plan time, with a message that names the variable.
 */
import { Construct } from 'constructs';
import { TerraformVariable } from 'cdktn';
import { CONSUMERS, DEFAULT_PROJECT, SERVICES, TABLE_RETENTION_DEFAULTS } from '@clickstream/shared';
import { CURATED_EXPIRY_MARGIN_DAYS } from './constructs/archive-bucket';
import { SHARD_LEVEL_METRICS, STREAM_MODES, type EnvironmentProfile } from './environments';

export type { EnvironmentProfile } from './environments';

/** Wraps a Terraform expression as an interpolation (kept out of template literals on purpose). */
export const tf = (expression: string) => '${' + expression + '}';

/** Lambda's limits for MaximumRecordAgeInSeconds: -1 (keep until the stream drops the record) or 60..604,800. */
export const RECORD_AGE_LIMITS = { infinite: -1, min: 60, max: 604_800 } as const;
/** Lambda's limits for MaximumRetryAttempts: -1 (retry until the record expires) to 10,000. */
export const RETRY_ATTEMPT_LIMITS = { infinite: -1, max: 10_000 } as const;

/**
 * The maximum record age every consumer shares in the topology: the default of
 * max_record_age_seconds. One operator choice applies to all three mappings, so the topology
 * must agree with itself.
 */
export function topologyMaxRecordAge(): number {
  const ages = [...new Set(SERVICES.map((service) => CONSUMERS[service].maximumRecordAgeInSeconds))];
  if (ages.length !== 1) throw new Error(`CONSUMERS disagree on maximumRecordAgeInSeconds (${ages.join(', ')}); max_record_age_seconds needs one default`);
  const age = ages[0]!;
  if (age !== RECORD_AGE_LIMITS.infinite && (age < RECORD_AGE_LIMITS.min || age > RECORD_AGE_LIMITS.max)) {
    throw new Error(`CONSUMERS maximumRecordAgeInSeconds ${age} is outside what Lambda accepts (-1 or ${RECORD_AGE_LIMITS.min}..${RECORD_AGE_LIMITS.max})`);
  }
  return age;
}

/** Regular expressions in RE2 syntax without backslashes, so they survive HCL and JSON quoting unchanged. */
const EMAIL = '^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$';
const SNS_TOPIC_ARN = '^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$';
const S3_BUCKET_NAME = '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$';
const hclList = (values: readonly string[]) => `[${values.map((value) => JSON.stringify(value)).join(', ')}]`;

export class StackVariables extends Construct {
  readonly awsRegion: TerraformVariable;
  readonly environment: TerraformVariable;
  readonly projectName: TerraformVariable;
  readonly allowedAccountIds: TerraformVariable;
  readonly streamMode: TerraformVariable;
  readonly kinesisShardCount: TerraformVariable;
  readonly kinesisRetentionPeriod: TerraformVariable;
  readonly kinesisShardLevelMetrics: TerraformVariable;
  readonly enhancedFanOutConsumers: TerraformVariable;
  readonly lambdaMemorySize: TerraformVariable;
  readonly lambdaTimeout: TerraformVariable;
  readonly lambdaReservedConcurrency: TerraformVariable;
  readonly enableXrayTracing: TerraformVariable;
  readonly batchSize: TerraformVariable;
  readonly detectorBatchSize: TerraformVariable;
  readonly archiverBatchSize: TerraformVariable;
  readonly maxRecordAgeSeconds: TerraformVariable;
  readonly enableAnomalyDetection: TerraformVariable;
  readonly enableSnsAlerts: TerraformVariable;
  readonly alertEmail: TerraformVariable;
  readonly enableAlarmNotifications: TerraformVariable;
  readonly alarmEmails: TerraformVariable;
  readonly alarmHttpsEndpoints: TerraformVariable;
  readonly alarmTopicArn: TerraformVariable;
  readonly enableCloudwatchDashboard: TerraformVariable;
  readonly logRetentionDays: TerraformVariable;
  readonly logLevel: TerraformVariable;
  readonly archiveBucketName: TerraformVariable;
  readonly archiveTransitionIaDays: TerraformVariable;
  readonly archiveTransitionGlacierDays: TerraformVariable;
  readonly archiveExpirationDays: TerraformVariable;
  readonly quarantineExpirationDays: TerraformVariable;
  readonly onFailureExpirationDays: TerraformVariable;
  readonly aggregateTtlDays: TerraformVariable;
  readonly sessionTtlDays: TerraformVariable;
  readonly alertHistoryTtlDays: TerraformVariable;
  readonly alertStateTtlHours: TerraformVariable;
  readonly forgetAuditExpirationDays: TerraformVariable;
  readonly iteratorAgeAlarmThresholdMs: TerraformVariable;
  readonly durationAlarmTimeoutPercent: TerraformVariable;
  readonly quarantineRateAlarmPercent: TerraformVariable;

  constructor(scope: Construct, id: string, profile: EnvironmentProfile) {
    super(scope, id);
    const consumer = CONSUMERS['event-processor'];
    const { defaults } = profile;
    const env = profile.environment;
    const v = (name: string, config: ConstructorParameters<typeof TerraformVariable>[2]) => {
      const variable = new TerraformVariable(scope, name, config);
      variable.overrideLogicalId(name);
      return variable;
    };
    const rule = (condition: string, errorMessage: string) => ({ condition: tf(condition), errorMessage });
    const between = (name: string, min: number, max: number) => [rule(`var.${name} >= ${min} && var.${name} <= ${max}`, `${name} must be between ${min} and ${max}.`)];
    const wholeBetween = (name: string, min: number, max: number) => [
      rule(`var.${name} == floor(var.${name}) && var.${name} >= ${min} && var.${name} <= ${max}`, `${name} must be a whole number between ${min} and ${max}.`),
    ];
    const eachMatches = (name: string, regex: string, what: string) => [rule(`alltrue([for item in var.${name} : can(regex("${regex}", item))])`, `every entry of ${name} must be ${what}.`)];

    this.awsRegion = v('aws_region', {
      type: 'string',
      default: 'us-east-1',
      description: 'AWS region to deploy to.',
      validation: [rule('can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))', 'aws_region must be a region code such as us-east-1 or eu-west-1.')],
    });
    this.environment = v('environment', {
      type: 'string',
      default: env,
      description: `Environment name, the middle part of every resource name (<project>-<environment>-<name>). Fixed to "${env}" on this stack, so a var file of another environment is refused.`,
      validation: [
        rule(`var.environment == "${env}"`, `This is the ${env} stack: environment must be "${env}". Pass cdktf/environments/${env}.tfvars, not another environment's file.`),
      ],
    });
    this.projectName = v('project_name', {
      type: 'string',
      default: DEFAULT_PROJECT,
      description: 'Project name; the first part of every resource name.',
      validation: [rule('can(regex("^[a-z0-9-]{1,24}$", var.project_name))', 'project_name must be 1-24 characters of a-z, 0-9 and -.')],
    });
    this.allowedAccountIds = v('allowed_account_ids', {
      type: 'list(string)',
      default: [],
      description: 'AWS account IDs this stack may be applied to (the provider refuses any other account). Empty means any account.',
      validation: [
        rule('alltrue([for id in var.allowed_account_ids : can(regex("^[0-9]{12}$", id))])', 'allowed_account_ids must be 12-digit AWS account IDs.'),
        ...(profile.requireAllowedAccountIds
          ? [rule('length(var.allowed_account_ids) > 0', `The ${env} stack needs allowed_account_ids: set the account ${env} lives in (cdktf/environments/${env}.tfvars).`)]
          : []),
      ],
    });
    this.streamMode = v('stream_mode', {
      type: 'string',
      default: defaults.streamMode,
      description: 'Kinesis capacity mode: PROVISIONED (kinesis_shard_count shards) or ON_DEMAND (Kinesis scales the shards; billed per GB).',
      validation: [rule(`contains(${hclList(STREAM_MODES)}, var.stream_mode)`, `stream_mode must be one of ${STREAM_MODES.join(', ')}.`)],
    });
    this.kinesisShardCount = v('kinesis_shard_count', {
      type: 'number',
      default: defaults.kinesisShardCount,
      description: 'Shards when stream_mode is PROVISIONED: each takes 1,000 records/s or 1 MB/s in and serves 2 MB/s out, shared by every standard consumer.',
      validation: wholeBetween('kinesis_shard_count', 1, 500),
    });
    this.kinesisRetentionPeriod = v('kinesis_retention_period', {
      type: 'number',
      default: defaults.kinesisRetentionHours,
      description: 'Stream retention in hours (24 to 8760; above 24 is billed extra). An outage shorter than this loses nothing.',
      validation: wholeBetween('kinesis_retention_period', 24, 8760),
    });
    this.kinesisShardLevelMetrics = v('kinesis_shard_level_metrics', {
      type: 'list(string)',
      default: [...defaults.shardLevelMetrics],
      description: 'Shard-level (enhanced) CloudWatch metrics; each is billed as a custom metric per shard.',
      validation: [
        rule(`alltrue([for metric in var.kinesis_shard_level_metrics : contains(${hclList(['ALL', ...SHARD_LEVEL_METRICS])}, metric)])`, `kinesis_shard_level_metrics may hold ALL or ${SHARD_LEVEL_METRICS.join(', ')}.`),
      ],
    });
    this.enhancedFanOutConsumers = v('enhanced_fan_out_consumers', {
      type: 'list(string)',
      default: [],
      description: 'Consumers that read through an enhanced fan-out stream consumer (their own 2 MB/s per shard, about 70 ms propagation) instead of polling. Changing the list replaces that mapping.',
      validation: [rule(`alltrue([for service in var.enhanced_fan_out_consumers : contains(${hclList(SERVICES)}, service)])`, `enhanced_fan_out_consumers may hold ${SERVICES.join(', ')}.`)],
    });
    this.lambdaMemorySize = v('lambda_memory_size', { type: 'number', default: consumer.memorySizeMb, description: 'Memory (MB) of every function.', validation: wholeBetween('lambda_memory_size', 128, 10240) });
    this.lambdaTimeout = v('lambda_timeout', { type: 'number', default: consumer.timeoutSeconds, description: 'Timeout (s) of every function.', validation: wholeBetween('lambda_timeout', 1, 900) });
    this.lambdaReservedConcurrency = v('lambda_reserved_concurrency', {
      type: 'number',
      default: -1,
      description: 'Concurrency reserved for each function (-1: none, share the account pool). A stream consumer needs up to shards x parallelization factor.',
      validation: [
        rule('var.lambda_reserved_concurrency == -1 || (var.lambda_reserved_concurrency >= 1 && var.lambda_reserved_concurrency == floor(var.lambda_reserved_concurrency))', 'lambda_reserved_concurrency must be -1 or a whole number of at least 1 (0 would stop the consumers).'),
      ],
    });
    this.enableXrayTracing = v('enable_xray_tracing', { type: 'bool', default: false, description: 'Active X-Ray tracing of every function (sampled invocation segments; billed per trace).' });
    this.batchSize = v('batch_size', {
      type: 'number',
      default: consumer.batchSize,
      description: 'Kinesis batch size of the event-processor.',
      validation: wholeBetween('batch_size', 1, 10000),
    });
    this.detectorBatchSize = v('detector_batch_size', {
      type: 'number',
      default: CONSUMERS['anomaly-detector'].batchSize,
      description: 'Kinesis batch size of the anomaly-detector (its alerts can wait for fuller batches: fewer state writes per event).',
      validation: wholeBetween('detector_batch_size', 1, 10000),
    });
    this.archiverBatchSize = v('archiver_batch_size', {
      type: 'number',
      default: CONSUMERS.archiver.batchSize,
      description: 'Kinesis batch size of the archiver (larger batches write fewer, larger S3 objects).',
      validation: wholeBetween('archiver_batch_size', 1, 10000),
    });
    this.maxRecordAgeSeconds = v('max_record_age_seconds', {
      type: 'number',
      default: topologyMaxRecordAge(),
      description:
        'Age (s) after which a mapping stops retrying a failing batch and sends it, records included, to the on-failure bucket. -1 keeps retrying until the stream retention drops the records.',
      validation: [
        rule(
          `var.max_record_age_seconds == ${RECORD_AGE_LIMITS.infinite} || (var.max_record_age_seconds >= ${RECORD_AGE_LIMITS.min} && var.max_record_age_seconds <= ${RECORD_AGE_LIMITS.max} && var.max_record_age_seconds == floor(var.max_record_age_seconds))`,
          `max_record_age_seconds must be -1 or a whole number between ${RECORD_AGE_LIMITS.min} and ${RECORD_AGE_LIMITS.max}.`,
        ),
      ],
    });
    this.enableAnomalyDetection = v('enable_anomaly_detection', { type: 'bool', default: true, description: "Enable the anomaly-detector's event source mapping." });
    this.enableSnsAlerts = v('enable_sns_alerts', { type: 'bool', default: false, description: 'Publish anomaly alerts to the alerts topic (and subscribe alert_email). Operational alarms go to the operations topic instead.' });
    this.alertEmail = v('alert_email', {
      type: 'string',
      default: '',
      description: 'E-mail address for anomaly alerts (confirm the subscription e-mail AWS sends).',
      validation: [rule(`var.alert_email == "" || can(regex("${EMAIL}", var.alert_email))`, 'alert_email must be empty or an e-mail address.')],
    });
    this.enableAlarmNotifications = v('enable_alarm_notifications', {
      type: 'bool',
      default: defaults.alarmNotifications,
      description: 'Subscribe alarm_emails and alarm_https_endpoints to the operations topic.',
    });
    this.alarmEmails = v('alarm_emails', {
      type: 'list(string)',
      default: [],
      description: 'E-mail addresses subscribed to the operations topic (each confirms the e-mail AWS sends).',
      validation: eachMatches('alarm_emails', EMAIL, 'an e-mail address'),
    });
    this.alarmHttpsEndpoints = v('alarm_https_endpoints', {
      type: 'list(string)',
      default: [],
      description: 'HTTPS endpoints subscribed to the operations topic (a paging service; it must confirm the subscription).',
      validation: eachMatches('alarm_https_endpoints', '^https://[^[:space:]]+$', 'an https:// URL'),
    });
    this.alarmTopicArn = v('alarm_topic_arn', {
      type: 'string',
      default: '',
      description: 'An existing SNS topic every alarm also notifies (for example a shared on-call topic).',
      validation: [rule(`var.alarm_topic_arn == "" || can(regex("${SNS_TOPIC_ARN}", var.alarm_topic_arn))`, 'alarm_topic_arn must be empty or an SNS topic ARN.')],
    });
    this.enableCloudwatchDashboard = v('enable_cloudwatch_dashboard', { type: 'bool', default: true, description: 'Create the CloudWatch dashboard.' });
    this.logRetentionDays = v('log_retention_days', {
      type: 'number',
      default: defaults.logRetentionDays,
      description: 'CloudWatch Logs retention of every function log group.',
      validation: [
        rule(
          'contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)',
          'log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ...).',
        ),
      ],
    });
    this.logLevel = v('log_level', {
      type: 'string',
      default: 'info',
      description: 'pino log level of every function.',
      validation: [rule('contains(["fatal", "error", "warn", "info", "debug", "trace", "silent"], var.log_level)', 'log_level must be a pino level.')],
    });
    this.archiveBucketName = v('archive_bucket_name', {
      type: 'string',
      default: '',
      description: `Archive bucket name; empty means <project>-${env}-archive. S3 names are global: set this if that name is taken. It must contain "${env}" as a word.`,
      validation: [
        rule(
          `var.archive_bucket_name == "" || (can(regex("${S3_BUCKET_NAME}", var.archive_bucket_name)) && can(regex("(^|[.-])${env}([.-]|$)", var.archive_bucket_name)))`,
          `archive_bucket_name must be empty or a valid S3 bucket name containing "${env}" as a word (this is the ${env} stack).`,
        ),
      ],
    });
    this.archiveTransitionIaDays = v('archive_transition_ia_days', {
      type: 'number',
      default: 30,
      description: 'Days before archived events move to STANDARD_IA (S3 requires at least 30).',
      validation: wholeBetween('archive_transition_ia_days', 30, 36500),
    });
    this.archiveTransitionGlacierDays = v('archive_transition_glacier_days', {
      type: 'number',
      default: 90,
      description: 'Days before archived events move to GLACIER_IR (at least 30 days after the STANDARD_IA transition).',
      validation: wholeBetween('archive_transition_glacier_days', 60, 36500),
    });
    this.archiveExpirationDays = v('archive_expiration_days', {
      type: 'number',
      default: 365,
      description: `Days before archived raw events expire (after the GLACIER_IR transition); the curated zone built from them expires ${CURATED_EXPIRY_MARGIN_DAYS} days earlier.`,
      validation: wholeBetween('archive_expiration_days', 61, 36500),
    });
    this.quarantineExpirationDays = v('quarantine_expiration_days', {
      type: 'number',
      default: 90,
      description: 'Days before quarantined records expire.',
      validation: wholeBetween('quarantine_expiration_days', 1, 36500),
    });
    this.onFailureExpirationDays = v('on_failure_expiration_days', {
      type: 'number',
      default: defaults.onFailureExpirationDays,
      description: 'Days before discarded batches in the on-failure bucket expire: the time you have to replay them.',
      validation: wholeBetween('on_failure_expiration_days', 1, 36500),
    });
    // Retention of the tables (DynamoDB TTL, set by the functions that write the items) and of the
    // forget audit records; the archive's, the quarantine's, the on-failure bucket's and the logs'
    // are above. README "Privacy", "Retention" lists every store.
    this.aggregateTtlDays = v('aggregate_ttl_days', {
      type: 'number',
      default: TABLE_RETENTION_DEFAULTS.aggregateTtlDays,
      description: 'Days page metrics and counters per minute are kept (DynamoDB TTL after their minute). They hold no personal data.',
      validation: wholeBetween('aggregate_ttl_days', 1, 36500),
    });
    this.sessionTtlDays = v('session_ttl_days', {
      type: 'number',
      default: TABLE_RETENTION_DEFAULTS.sessionTtlDays,
      description: "Days a session item (session id, user id, pages, funnel) is kept after the session's last event (DynamoDB TTL).",
      validation: wholeBetween('session_ttl_days', 1, 36500),
    });
    this.alertHistoryTtlDays = v('alert_history_ttl_days', {
      type: 'number',
      default: TABLE_RETENTION_DEFAULTS.alertHistoryTtlDays,
      description: 'Days the alert history (which may name a session or a user) is kept after the incident (DynamoDB TTL); forget searches this far back.',
      validation: wholeBetween('alert_history_ttl_days', 1, 36500),
    });
    this.alertStateTtlHours = v('alert_state_ttl_hours', {
      type: 'number',
      default: TABLE_RETENTION_DEFAULTS.alertStateTtlHours,
      description: "Hours the anomaly-detector's working state and cooldowns (per session, user and minute) are kept after their last event (DynamoDB TTL).",
      validation: wholeBetween('alert_state_ttl_hours', 1, 8760),
    });
    this.forgetAuditExpirationDays = v('forget_audit_expiration_days', {
      type: 'number',
      default: 1095,
      description: 'Days the audit record of each forget request (audit/forget/ in the archive bucket; the user only as a SHA-256 digest) is kept.',
      validation: wholeBetween('forget_audit_expiration_days', 1, 36500),
    });
    this.iteratorAgeAlarmThresholdMs = v('iterator_age_alarm_threshold_ms', {
      type: 'number',
      default: 60000,
      description: 'Alarm when a function falls this far (ms) behind the stream.',
      validation: between('iterator_age_alarm_threshold_ms', 1000, 31_536_000_000),
    });
    this.durationAlarmTimeoutPercent = v('duration_alarm_timeout_percent', {
      type: 'number',
      default: 80,
      description: 'Alarm when an invocation runs longer than this share (%) of lambda_timeout.',
      validation: between('duration_alarm_timeout_percent', 1, 100),
    });
    this.quarantineRateAlarmPercent = v('quarantine_rate_alarm_percent', {
      type: 'number',
      default: 5,
      description: 'Alarm when more than this percentage of records is rejected and quarantined.',
      validation: between('quarantine_rate_alarm_percent', 0, 100),
    });
  }
}
