import { Construct } from 'constructs';
import type { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group';
import type { DynamodbTable } from '@cdktn/provider-aws/lib/dynamodb-table';
import type { IamRole } from '@cdktn/provider-aws/lib/iam-role';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import type { LambdaFunction } from '@cdktn/provider-aws/lib/lambda-function';
import { LambdaFunctionEventInvokeConfig } from '@cdktn/provider-aws/lib/lambda-function-event-invoke-config';
import type { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket';
import { ARCHIVE_PREFIXES, ENV, FORGET_AUDIT_PREFIX, FORGET_SERVICE, FORGOTTEN_PREFIX, functionEnvironment, type LogLevel, type ResourceNames } from '@clickstream/shared';
import type { Bundle } from '../bundles';
import { KMS_USE_ACTIONS } from '../policy';
import { CURATED_PREFIX } from './archive-bucket';
import { bundledFunction } from './bundled-function';

export interface ForgetProps {
  project: string;
  environment: string;
  names: ResourceNames;
  bundle: Bundle;
  bucket: S3Bucket;
  sessionTable: DynamodbTable;
  alertsTable: DynamodbTable;
  /** The compactor, which re-compacts the hours forget rewrote. */
  compactor: LambdaFunction;
  key: KmsKey;
  logRetentionDays: number;
  logLevel: string;
  /** How far back the alert history is searched: its TTL (alert_history_ttl_days). */
  alertHistoryTtlDays: string;
}

/** Reads the whole archive when no hours are given: Lambda's maximum (narrow a request with from/to). */
export const FORGET_TIMEOUT_SECONDS = 900;
export const FORGET_MEMORY_MB = 1024;
/** Forget read-modify-writes raw objects: two requests at once could each write back the other's user. */
export const FORGET_RESERVED_CONCURRENCY = 1;

/**
 * The forget function: `aws lambda invoke --payload '{"user_id":"…"}'` runs the same processor as
 * `npm run forget` (services/forget) and answers its report. Its own role may read and rewrite
 * only the zones that hold events (`events/`, `quarantine/`), delete only curated objects and
 * older versions of what it rewrites, write only its tallies and audit records, scan and delete
 * session items, query and delete alert items, and invoke only the compactor. Reserved
 * concurrency 1: requests run one at a time.
 */
export class Forget extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: ForgetProps) {
    super(scope, id);
    const functionName = props.names.forgetFunction;
    const bucketArn = props.bucket.arn;
    const objects = (prefixes: readonly string[]) => prefixes.map((prefix) => `${bucketArn}/${prefix}*`);
    const eventZones = [ARCHIVE_PREFIXES.events, ARCHIVE_PREFIXES.quarantine];
    const listed = [...eventZones, CURATED_PREFIX, FORGOTTEN_PREFIX];
    const bundled = bundledFunction(this, {
      service: FORGET_SERVICE,
      bundle: props.bundle,
      placeholder: 'that refuses every request',
      functionName,
      description: 'clickstream forget: removes one user\'s data on request',
      roleName: `${functionName}-role`,
      policyName: `${functionName}-policy`,
      statements: [
        // Listing also lets a read of a missing tally or manifest answer NoSuchKey instead of AccessDenied.
        { Sid: 'ListZones', Effect: 'Allow', Action: ['s3:ListBucket', 's3:ListBucketVersions'], Resource: bucketArn, Condition: { StringLike: { 's3:prefix': listed.map((prefix) => `${prefix}*`) } } },
        { Sid: 'ReadZones', Effect: 'Allow', Action: ['s3:GetObject'], Resource: objects(listed) },
        { Sid: 'RewriteEventsWriteTalliesAndAudit', Effect: 'Allow', Action: ['s3:PutObject'], Resource: objects([...eventZones, FORGOTTEN_PREFIX, FORGET_AUDIT_PREFIX]) },
        { Sid: 'DeleteSupersededCurated', Effect: 'Allow', Action: ['s3:DeleteObject'], Resource: objects([CURATED_PREFIX]) },
        { Sid: 'DeleteOlderVersions', Effect: 'Allow', Action: ['s3:DeleteObjectVersion'], Resource: objects([...eventZones, CURATED_PREFIX]) },
        { Sid: 'FindAndDeleteSessions', Effect: 'Allow', Action: ['dynamodb:Scan', 'dynamodb:DeleteItem'], Resource: props.sessionTable.arn },
        { Sid: 'FindAndDeleteAlerts', Effect: 'Allow', Action: ['dynamodb:Query', 'dynamodb:DeleteItem'], Resource: props.alertsTable.arn },
        { Sid: 'Recompact', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: props.compactor.arn },
        { Sid: 'UseDataKey', Effect: 'Allow', Action: KMS_USE_ACTIONS, Resource: props.key.arn },
      ],
      memorySize: FORGET_MEMORY_MB,
      timeout: FORGET_TIMEOUT_SECONDS,
      reservedConcurrentExecutions: FORGET_RESERVED_CONCURRENCY,
      logRetentionDays: props.logRetentionDays,
      logKey: props.key,
      environment: {
        ...functionEnvironment({ service: FORGET_SERVICE, project: props.project, environment: props.environment, names: props.names, logLevel: props.logLevel as LogLevel }),
        [ENV.forgetCompactorFunction]: props.compactor.functionName,
        // The archive bucket is versioned (secureBucket): what a rewrite replaced is deleted too.
        [ENV.forgetBucketVersioned]: 'true',
        [ENV.anomalyHistoryTtlDays]: props.alertHistoryTtlDays,
      },
    });
    this.function = bundled.function;
    this.role = bundled.role;
    this.logGroup = bundled.logGroup;
    // An asynchronous invocation that fails is not retried: the caller sees the error and runs it again (it is idempotent).
    new LambdaFunctionEventInvokeConfig(this, 'async', { functionName: this.function.functionName, maximumRetryAttempts: 0 });
  }
}
