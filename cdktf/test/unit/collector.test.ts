import { ENV, loadConfig, resourceNames } from '@clickstream/shared';
import { parsePolicy, refOf, resourceAt, resources, synthEnv, type Json } from '../synth';

/** The collector on AWS: a function URL in front of the collector's Lambda, least privilege, alarms. */
const { json } = synthEnv('prod');
const fn = resourceAt(json, 'aws_lambda_function', 'collector/function');
const stream = refOf(json, 'aws_kinesis_stream', 'stream/stream', 'arn');
const key = refOf(json, 'aws_kms_key', 'encryption/key', 'arn');

describe('collector (AWS)', () => {
  it('runs the collector bundle on nodejs22.x arm64 with the shared environment contract', () => {
    expect(fn).toMatchObject({ runtime: 'nodejs22.x', architectures: ['arm64'], handler: 'index.handler', timeout: 10, memory_size: 256, reserved_concurrent_executions: '${var.collector_reserved_concurrency}' });
    const variables = fn.environment.variables as Record<string, string>;
    expect(variables).toMatchObject({
      [ENV.service]: 'collector',
      [ENV.streamName]: '${var.project_name}-${var.environment}-events',
      [ENV.collectorAllowedOrigins]: '${join(",", var.collector_allowed_origins)}',
      [ENV.collectorWriteKeys]: '${join(",", var.collector_write_keys)}',
      [ENV.collectorRequireWriteKey]: 'true',
      [ENV.collectorRateLimitPerSecond]: '${var.collector_rate_limit_per_second}',
    });
    // The handler reads the same names back: the stream name it would derive matches.
    expect(loadConfig({ [ENV.project]: 'p', [ENV.environment]: 'e' }).streamName).toBe(resourceNames('p', 'e').stream);
  });

  it('may only PutRecords to the stream, encrypt with its key and write its own logs', () => {
    const policy = resourceAt(json, 'aws_iam_role_policy', 'collector/policy');
    expect(parsePolicy(policy.policy).Statement).toEqual([
      { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${refOf(json, 'aws_cloudwatch_log_group', 'collector/logs', 'arn')}:*` },
      { Sid: 'PutRecords', Effect: 'Allow', Action: ['kinesis:PutRecords'], Resource: stream },
      { Sid: 'EncryptRecords', Effect: 'Allow', Action: ['kms:GenerateDataKey'], Resource: key },
    ]);
  });

  it('is served by a public, buffered function URL with both grants it needs; CORS is the handler’s', () => {
    const url = resourceAt(json, 'aws_lambda_function_url', 'collector/url');
    expect(url).toMatchObject({ authorization_type: 'NONE', invoke_mode: 'BUFFERED' });
    expect(url.cors).toBeUndefined();
    const permissions = Object.values(resources(json, 'aws_lambda_permission')).map((permission: Json) => [permission.action, permission.principal, permission.function_url_auth_type ?? permission.invoked_via_function_url]);
    expect(permissions).toEqual(expect.arrayContaining([['lambda:InvokeFunctionUrl', '*', 'NONE'], ['lambda:InvokeFunction', '*', true]]));
  });

  it('outputs collector_url without the trailing slash', () => {
    expect(json.output.collector_url.value).toMatch(/^\$\{trimsuffix\(aws_lambda_function_url\.collector_url_[0-9A-F]{8}\.function_url, "\/"\)\}$/);
  });

  it('alarms on 5xx rate, throttles and p99 latency, notifying the operations topic', () => {
    const alarms = Object.values(resources(json, 'aws_cloudwatch_metric_alarm')).filter((alarm: Json) => String(alarm.alarm_name).includes('-collector-'));
    const operations = refOf(json, 'aws_sns_topic', 'operations/topic', 'arn');
    expect(alarms.map((alarm: Json) => alarm.metric_name ?? alarm.metric_query.map((query: Json) => query.metric?.metric_name ?? query.expression).join('|')).sort()).toEqual([
      'Throttles',
      'Url5xxCount|UrlRequestCount|IF(requests > 0, 100 * errors / requests, 0)',
      'UrlRequestLatency',
    ]);
    expect(alarms.find((alarm: Json) => alarm.metric_name === 'UrlRequestLatency')).toMatchObject({ extended_statistic: 'p99', threshold: '${var.collector_p99_latency_alarm_ms}' });
    for (const alarm of alarms) expect(JSON.stringify(alarm.alarm_actions)).toContain(operations.slice(2, -1));
  });
});
