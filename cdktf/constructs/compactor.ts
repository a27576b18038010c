import { Construct } from 'constructs';
import type { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmConfig } from '@cdktn/provider-aws/lib/cloudwatch-metric-alarm';
import type { DynamodbTable } from '@cdktn/provider-aws/lib/dynamodb-table';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import type { LambdaFunction } from '@cdktn/provider-aws/lib/lambda-function';
import { LambdaFunctionEventInvokeConfig } from '@cdktn/provider-aws/lib/lambda-function-event-invoke-config';
import type { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket';
import { SchedulerSchedule } from '@cdktn/provider-aws/lib/scheduler-schedule';
import { SchedulerScheduleGroup } from '@cdktn/provider-aws/lib/scheduler-schedule-group';
import { ARCHIVE_PREFIXES, ENV, functionEnvironment, LAKE_PREFIXES, METRICS_NAMESPACE, type LakeNames, type ResourceNames } from '@clickstream/shared';
import { alarmDescription } from '../alarms';
import type { Bundle } from '../bundles';
import { KMS_USE_ACTIONS, policyDocument } from '../policy';
import { bundledFunction } from './bundled-function';

export interface CompactorProps {
  project: string;
  environment: string;
  names: ResourceNames;
  lakeNames: LakeNames;
  bundle: Bundle;
  bucket: S3Bucket;
  countersTable: DynamodbTable;
  key: KmsKey;
  logRetentionDays: number;
  logLevel: string;
  alarmActions: string[];
  /** Alarm when the p99 of arrival minus event time of an hour exceeds this (seconds). */
  freshnessP99ThresholdSeconds: number;
}

/** 1,024 MB holds one dedup partition of 200,000 rows with room to spare (docs/BENCHMARKS.md). */
export const COMPACTOR_MEMORY_MB = 1024;
/** Lambda's maximum: a 3.6-million-event hour compacts well within it. */
export const COMPACTOR_TIMEOUT_SECONDS = 900;
/** /tmp for the partition spill files: an hour's raw lines uncompressed. */
export const COMPACTOR_EPHEMERAL_STORAGE_MB = 4096;
/** The frequent run: recent closed hours (default lookback 3 h). */
export const COMPACTOR_FREQUENT_SCHEDULE = 'rate(5 minutes)';
/** The daily sweep: every hour an accepted event can still land in (7 days of stale limit, plus a margin). */
export const COMPACTOR_DAILY_SCHEDULE = 'cron(17 3 * * ? *)';
export const COMPACTOR_DAILY_LOOKBACK_HOURS = 170;

/**
 * The compactor: a Lambda function (nodejs22.x, arm64) run by EventBridge Scheduler, with a role
 * of its own that can read the raw archive and the quarantine, write and delete only under
 * `curated/`, and read only the counters table; the schedules' own role may invoke only this
 * function. Reserved concurrency 1: two runs never compact the same hour at once. Alarms on
 * errors, on curated rows that disagree with the accepted events, and on late freshness.
 */
export class Compactor extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly schedulerRole: IamRole;
  readonly schedules: SchedulerSchedule[];
  readonly alarms: CloudwatchMetricAlarm[] = [];
  readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: CompactorProps) {
    super(scope, id);
    const functionName = props.lakeNames.compactorFunction;
    const bucketArn = props.bucket.arn;
    const readablePrefixes = [ARCHIVE_PREFIXES.events, ARCHIVE_PREFIXES.quarantine, 'curated/'];
    const bundled = bundledFunction(this, {
      service: 'compactor',
      bundle: props.bundle,
      placeholder: 'with its schedules disabled',
      functionName,
      description: 'clickstream compactor: raw archive -> curated Parquet',
      roleName: `${props.lakeNames.compactorRole}-role`,
      policyName: `${props.lakeNames.compactorRole}-policy`,
      statements: [
        { Sid: 'ListLakePrefixes', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: bucketArn, Condition: { StringLike: { 's3:prefix': readablePrefixes.map((prefix) => `${prefix}*`) } } },
        { Sid: 'ReadRawAndCurated', Effect: 'Allow', Action: ['s3:GetObject'], Resource: readablePrefixes.map((prefix) => `${bucketArn}/${prefix}*`) },
        { Sid: 'WriteCurated', Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: [`${bucketArn}/${LAKE_PREFIXES.curatedEvents}*`, `${bucketArn}/${LAKE_PREFIXES.curatedSymlinks}*`] },
        { Sid: 'ReadCounters', Effect: 'Allow', Action: ['dynamodb:Query'], Resource: props.countersTable.arn },
        { Sid: 'UseDataKey', Effect: 'Allow', Action: KMS_USE_ACTIONS, Resource: props.key.arn },
      ],
      memorySize: COMPACTOR_MEMORY_MB,
      timeout: COMPACTOR_TIMEOUT_SECONDS,
      ephemeralStorage: { size: COMPACTOR_EPHEMERAL_STORAGE_MB },
      reservedConcurrentExecutions: 1,
      logRetentionDays: props.logRetentionDays,
      logKey: props.key,
      environment: {
        ...functionEnvironment({ service: 'compactor', project: props.project, environment: props.environment, names: props.names, logLevel: props.logLevel as never }),
        [ENV.compactorSpillDir]: '/tmp',
        [ENV.compactorFreshnessP99Seconds]: String(props.freshnessP99ThresholdSeconds),
      },
    });
    this.function = bundled.function;
    this.role = bundled.role;
    this.logGroup = bundled.logGroup;
    // A failed run is not retried by Lambda: the next scheduled run compacts the hour again.
    new LambdaFunctionEventInvokeConfig(this, 'async', { functionName: this.function.functionName, maximumRetryAttempts: 0 });

    this.schedulerRole = new IamRole(this, 'scheduler-role', {
      name: `${props.lakeNames.compactorRole}-scheduler`,
      description: `EventBridge Scheduler invoking ${functionName}`,
      assumeRolePolicy: policyDocument([{ Sid: 'SchedulerAssumesRole', Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: ['sts:AssumeRole'] }]),
    });
    new IamRolePolicy(this, 'scheduler-policy', {
      name: `${props.lakeNames.compactorRole}-scheduler-policy`,
      role: this.schedulerRole.id,
      policy: policyDocument([{ Sid: 'InvokeCompactor', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: this.function.arn }]),
    });
    const group = new SchedulerScheduleGroup(this, 'schedule-group', { name: props.lakeNames.scheduleGroup });
    const schedule = (scheduleId: string, expression: string, input: Record<string, unknown>, description: string) =>
      new SchedulerSchedule(this, scheduleId, {
        name: `${functionName}-${scheduleId}`,
        groupName: group.name,
        description,
        scheduleExpression: expression,
        scheduleExpressionTimezone: 'UTC',
        state: props.bundle.built ? 'ENABLED' : 'DISABLED',
        flexibleTimeWindow: { mode: 'OFF' },
        target: { arn: this.function.arn, roleArn: this.schedulerRole.arn, input: JSON.stringify(input), retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 300 } },
      });
    this.schedules = [
      schedule('frequent', COMPACTOR_FREQUENT_SCHEDULE, {}, 'Compact the recent closed hours whose raw objects changed'),
      schedule('daily', COMPACTOR_DAILY_SCHEDULE, { lookbackHours: COMPACTOR_DAILY_LOOKBACK_HOURS }, 'Re-compact any hour of the last week that received a late object'),
    ];

    const alarm = (alarmId: string, settings: Omit<CloudwatchMetricAlarmConfig, 'alarmName' | 'alarmActions' | 'okActions' | 'treatMissingData'>) => {
      this.alarms.push(new CloudwatchMetricAlarm(this, alarmId, { alarmName: `${functionName}-${alarmId}`, alarmActions: props.alarmActions, okActions: props.alarmActions, treatMissingData: 'notBreaching', ...settings }));
    };
    const own = (metricName: string) => ({ namespace: METRICS_NAMESPACE, metricName, dimensions: { Service: 'compactor' } });
    alarm('errors', {
      alarmDescription: alarmDescription('compaction-errors', functionName),
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: { FunctionName: functionName },
      statistic: 'Sum',
      period: 900,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
    });
    alarm('count-mismatch', {
      alarmDescription: alarmDescription('lake-count-mismatch', functionName),
      ...own('CountMismatch'),
      statistic: 'Maximum',
      period: 3600,
      evaluationPeriods: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
    });
    alarm('freshness', {
      alarmDescription: alarmDescription('lake-freshness', functionName),
      ...own('FreshnessBreached'),
      statistic: 'Maximum',
      period: 3600,
      evaluationPeriods: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
    });
    alarm('malformed-lines', {
      alarmDescription: alarmDescription('lake-malformed-lines', functionName),
      ...own('MalformedRawLines'),
      statistic: 'Sum',
      period: 3600,
      evaluationPeriods: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
    });
  }
}
