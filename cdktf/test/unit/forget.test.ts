/** The forget function on AWS (README "Privacy", "Forgetting a user"): bundled like the others, least privilege, one request at a time. */
import path from 'node:path';
import { ENV, functionEnvironment, resourceNames } from '@clickstream/shared';
import { locateBundles } from '../../bundles';
import { FORGET_RESERVED_CONCURRENCY } from '../../constructs/forget';
import { parsePolicy, refOf, resourceAt, synthEnv, type Json } from '../synth';

const { json } = synthEnv('dev');
const at = (type: string, constructPath: string) => resourceAt(json, type, constructPath);
const bucketArn = refOf(json, 'aws_s3_bucket', 'archive/bucket', 'arn');
const keyArn = refOf(json, 'aws_kms_key', 'encryption/key', 'arn');
const fn = at('aws_lambda_function', 'forget/function');

describe('forget function', () => {
  it('runs services/forget from dist/forget like every function: nodejs22.x on arm64, source maps, its own log group', () => {
    expect(fn).toMatchObject({
      function_name: '${var.project_name}-${var.environment}-forget',
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      architectures: ['arm64'],
      timeout: 900,
      reserved_concurrent_executions: FORGET_RESERVED_CONCURRENCY,
      logging_config: { log_group: refOf(json, 'aws_cloudwatch_log_group', 'forget/logs', 'name') },
      role: refOf(json, 'aws_iam_role', 'forget/role', 'arn'),
    });
    expect(FORGET_RESERVED_CONCURRENCY).toBe(1);
    expect(at('aws_cloudwatch_log_group', 'forget/logs')).toMatchObject({ retention_in_days: '${var.log_retention_days}', kms_key_id: keyArn });
    expect(locateBundles(path.join(__dirname, 'no-dist')).forget).toMatchObject({ built: false });
  });

  it('gets the shared environment, the compactor to re-compact with, versioned deletes and the alert history TTL', () => {
    const variables = fn.environment.variables as Record<string, string>;
    const shared = functionEnvironment({ service: 'forget', project: '${var.project_name}', environment: '${var.environment}', names: resourceNames('${var.project_name}', '${var.environment}'), logLevel: '${var.log_level}' as never });
    for (const name of [ENV.service, ENV.sessionMetricsTable, ENV.alertsTable, ENV.project]) expect(variables[name]).toBe(shared[name]);
    expect(variables[ENV.archiveBucket]).toBe(refOf(json, 'aws_s3_bucket', 'archive/bucket', 'bucket'));
    expect(variables).toMatchObject({
      [ENV.forgetCompactorFunction]: refOf(json, 'aws_lambda_function', 'lake/compactor/function', 'function_name'),
      [ENV.forgetBucketVersioned]: 'true',
      [ENV.anomalyHistoryTtlDays]: '${var.alert_history_ttl_days}',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('may touch only what forgetting needs: event zones, curated deletes, its tallies and audit, sessions, alerts, the compactor', () => {
    const statements = parsePolicy(at('aws_iam_role_policy', 'forget/policy').policy).Statement;
    const bySid = Object.fromEntries(statements.map((statement: Json) => [statement.Sid, statement]));
    const objects = (...prefixes: string[]) => prefixes.map((prefix) => `${bucketArn}/${prefix}*`);
    expect(statements.every((statement: Json) => statement.Effect === 'Allow')).toBe(true);
    expect(bySid).toEqual({
      WriteOwnLogs: expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${refOf(json, 'aws_cloudwatch_log_group', 'forget/logs', 'arn')}:*` }),
      ListZones: expect.objectContaining({
        Action: ['s3:ListBucket', 's3:ListBucketVersions'],
        Resource: bucketArn,
        Condition: { StringLike: { 's3:prefix': ['events/*', 'quarantine/*', 'curated/*', 'forgotten/*'] } },
      }),
      ReadZones: expect.objectContaining({ Action: ['s3:GetObject'], Resource: objects('events/', 'quarantine/', 'curated/', 'forgotten/') }),
      RewriteEventsWriteTalliesAndAudit: expect.objectContaining({ Action: ['s3:PutObject'], Resource: objects('events/', 'quarantine/', 'forgotten/', 'audit/forget/') }),
      DeleteSupersededCurated: expect.objectContaining({ Action: ['s3:DeleteObject'], Resource: objects('curated/') }),
      DeleteOlderVersions: expect.objectContaining({ Action: ['s3:DeleteObjectVersion'], Resource: objects('events/', 'quarantine/', 'curated/') }),
      FindAndDeleteSessions: expect.objectContaining({ Action: ['dynamodb:Scan', 'dynamodb:DeleteItem'], Resource: refOf(json, 'aws_dynamodb_table', 'tables/sessionMetrics', 'arn') }),
      FindAndDeleteAlerts: expect.objectContaining({ Action: ['dynamodb:Query', 'dynamodb:DeleteItem'], Resource: refOf(json, 'aws_dynamodb_table', 'tables/alerts', 'arn') }),
      Recompact: expect.objectContaining({ Action: ['lambda:InvokeFunction'], Resource: refOf(json, 'aws_lambda_function', 'lake/compactor/function', 'arn') }),
      UseDataKey: expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: keyArn }),
    });
    // Nothing else of the stack: no stream, no aggregate tables, no other function, no wildcard.
    const text = JSON.stringify(statements);
    for (const forbidden of ['aws_kinesis_stream', 'tables_pageMetrics', 'tables_counters', '"*"', 's3:*', 'dynamodb:*']) expect({ forbidden, found: text.includes(forbidden) }).toEqual({ forbidden, found: false });
  });

  it('is trusted by Lambda only, is not retried when invoked asynchronously, and is an output', () => {
    expect(parsePolicy(at('aws_iam_role', 'forget/role').assume_role_policy).Statement).toEqual([
      { Sid: 'LambdaAssumesRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: ['sts:AssumeRole'] },
    ]);
    expect(at('aws_lambda_function_event_invoke_config', 'forget/async').maximum_retry_attempts).toBe(0);
    expect(json.output.lambda_forget_function_name.value).toBe(refOf(json, 'aws_lambda_function', 'forget/function', 'function_name'));
  });
});
