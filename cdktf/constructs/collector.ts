import { Construct } from 'constructs';
import { Fn, TerraformVariable } from 'cdktn';
import type { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchMetricAlarm } from '@cdktn/provider-aws/lib/cloudwatch-metric-alarm';
import type { IamRole } from '@cdktn/provider-aws/lib/iam-role';
import type { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy';
import type { KinesisStream } from '@cdktn/provider-aws/lib/kinesis-stream';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import type { LambdaFunction } from '@cdktn/provider-aws/lib/lambda-function';
import { LambdaFunctionUrl } from '@cdktn/provider-aws/lib/lambda-function-url';
import { LambdaPermission } from '@cdktn/provider-aws/lib/lambda-permission';
import { COLLECTOR, ENV, functionEnvironment, type LogLevel, type ResourceNames } from '@clickstream/shared';
import { alarmDescription, type AlarmKind } from '../alarms';
import type { Bundle } from '../bundles';
import { roleName } from './consumer-inputs';
import { bundledFunction } from './bundled-function';

/** The collector's deployment choices, as Terraform variables (README "Deploying the collector"). */
export class CollectorVariables extends Construct {
  readonly allowedOrigins: TerraformVariable;
  readonly writeKeys: TerraformVariable;
  readonly rateLimitPerSecond: TerraformVariable;
  readonly reservedConcurrency: TerraformVariable;
  readonly errorRateAlarmPercent: TerraformVariable;
  readonly p99LatencyAlarmMs: TerraformVariable;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const v = (name: string, config: ConstructorParameters<typeof TerraformVariable>[2]) => {
      const variable = new TerraformVariable(scope, name, config);
      variable.overrideLogicalId(name);
      return variable;
    };
    this.allowedOrigins = v('collector_allowed_origins', { type: 'list(string)', default: [], description: 'Origins whose pages may send events (https://shop.example.com); none by default.' });
    this.writeKeys = v('collector_write_keys', {
      type: 'list(string)',
      default: [],
      sensitive: true,
      description: 'Public write keys, each optionally bound to origins ("wk_shop_1234=https://shop.example.com"); a request needs one. None by default: configure at least one.',
    });
    this.rateLimitPerSecond = v('collector_rate_limit_per_second', { type: 'number', default: 10, description: 'Requests per second per client address, per function instance (0: off).' });
    this.reservedConcurrency = v('collector_reserved_concurrency', {
      type: 'number',
      default: -1,
      description: 'Caps the collector (a function URL serves at most 10 requests/s per unit of reserved concurrency); -1: unreserved.',
    });
    this.errorRateAlarmPercent = v('collector_5xx_alarm_percent', { type: 'number', default: 1, description: 'Alarm when more than this share of requests answer 5xx over 5 minutes.' });
    this.p99LatencyAlarmMs = v('collector_p99_latency_alarm_ms', { type: 'number', default: 1000, description: 'Alarm when the p99 request latency exceeds this over 5 minutes.' });
  }
}

export interface CollectorProps {
  project: string;
  environment: string;
  names: ResourceNames;
  bundle: Bundle;
  stream: KinesisStream;
  key: KmsKey;
  /** Where alarms go (the operations topic). */
  alarmActions: string[];
  logRetentionDays: number;
  logLevel: string;
  variables: CollectorVariables;
  /** The privacy settings (README "Privacy"), applied before anything reaches the stream. */
  privacyEnvironment: Record<string, string>;
}

/**
 * The front door on AWS: the collector's Lambda (nodejs22.x, arm64) behind a Lambda function URL
 * (public, BUFFERED; CORS is answered by the handler itself, the same code as locally), a role
 * that may only `kinesis:PutRecords` to the stream and `kms:GenerateDataKey` with its key, its
 * log group (the handler writes one access-log line per request), and alarms on 5xx rate,
 * throttles and p99 latency that notify the operations topic. Why a function URL and not API Gateway: README "Deploying the
 * collector".
 */
export class Collector extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly policy: IamRolePolicy;
  readonly logGroup: CloudwatchLogGroup;
  readonly url: LambdaFunctionUrl;
  /** The base URL without the trailing slash (`collector_url`). */
  readonly collectorUrl: string;
  readonly alarms: CloudwatchMetricAlarm[];

  constructor(scope: Construct, id: string, props: CollectorProps) {
    super(scope, id);
    const functionName = props.names.collectorFunction;
    const vars = props.variables;

    const bundled = bundledFunction(this, {
      service: COLLECTOR.service,
      bundle: props.bundle,
      placeholder: 'that answers every request with an error',
      functionName,
      description: 'clickstream collector (HTTP front door)',
      roleName: roleName(functionName),
      policyName: `${roleName(functionName)}-policy`,
      statements: [
        { Sid: 'PutRecords', Effect: 'Allow', Action: ['kinesis:PutRecords'], Resource: props.stream.arn },
        // Writing to a KMS-encrypted stream needs a data key, never Decrypt.
        { Sid: 'EncryptRecords', Effect: 'Allow', Action: ['kms:GenerateDataKey'], Resource: props.key.arn },
      ],
      memorySize: COLLECTOR.memorySizeMb,
      timeout: COLLECTOR.timeoutSeconds,
      reservedConcurrentExecutions: vars.reservedConcurrency.numberValue,
      logRetentionDays: props.logRetentionDays,
      logKey: props.key,
      environment: functionEnvironment({
        service: COLLECTOR.service,
        project: props.project,
        environment: props.environment,
        names: props.names,
        logLevel: props.logLevel as LogLevel,
        extra: {
          ...props.privacyEnvironment,
          [ENV.collectorAllowedOrigins]: Fn.join(',', vars.allowedOrigins.listValue),
          [ENV.collectorWriteKeys]: Fn.join(',', vars.writeKeys.listValue),
          [ENV.collectorRequireWriteKey]: 'true',
          [ENV.collectorRateLimitPerSecond]: vars.rateLimitPerSecond.stringValue,
        },
      }),
    });
    this.function = bundled.function;
    this.role = bundled.role;
    this.policy = bundled.policy;
    this.logGroup = bundled.logGroup;

    this.url = new LambdaFunctionUrl(this, 'url', { functionName: this.function.functionName, authorizationType: 'NONE', invokeMode: 'BUFFERED' });
    // A public function URL needs both grants (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html).
    new LambdaPermission(this, 'public-url', { statementId: 'PublicFunctionUrl', action: 'lambda:InvokeFunctionUrl', functionName: this.function.functionName, principal: '*', functionUrlAuthType: 'NONE' });
    new LambdaPermission(this, 'public-invoke', { statementId: 'PublicInvokeViaFunctionUrl', action: 'lambda:InvokeFunction', functionName: this.function.functionName, principal: '*', invokedViaFunctionUrl: true });
    this.collectorUrl = Fn.trimsuffix(this.url.functionUrl, '/');

    const dimensions = { FunctionName: functionName };
    // Names end in their runbook kind (README, Runbook): <prefix>-collector-5xx-rate, …
    const alarm = (kind: AlarmKind & `collector-${string}`, config: Omit<ConstructorParameters<typeof CloudwatchMetricAlarm>[2], 'alarmName' | 'alarmActions' | 'okActions' | 'alarmDescription'>) =>
      new CloudwatchMetricAlarm(this, kind.slice('collector-'.length), {
        alarmName: `${props.names.prefix}-${kind}`,
        alarmDescription: alarmDescription(kind, functionName),
        alarmActions: props.alarmActions,
        okActions: props.alarmActions,
        ...config,
      });
    this.alarms = [
      alarm('collector-5xx-rate', {
        comparisonOperator: 'GreaterThanThreshold',
        threshold: vars.errorRateAlarmPercent.numberValue,
        evaluationPeriods: 1,
        treatMissingData: 'notBreaching',
        metricQuery: [
          { id: 'errors', returnData: false, metric: { namespace: 'AWS/Lambda', metricName: 'Url5xxCount', dimensions, period: 300, stat: 'Sum' } },
          { id: 'requests', returnData: false, metric: { namespace: 'AWS/Lambda', metricName: 'UrlRequestCount', dimensions, period: 300, stat: 'Sum' } },
          { id: 'rate', expression: 'IF(requests > 0, 100 * errors / requests, 0)', label: '5xx %', returnData: true },
        ],
      }),
      alarm('collector-throttles', {
        namespace: 'AWS/Lambda',
        metricName: 'Throttles',
        dimensions,
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      }),
      alarm('collector-p99-latency', {
        namespace: 'AWS/Lambda',
        metricName: 'UrlRequestLatency',
        dimensions,
        extendedStatistic: 'p99',
        period: 300,
        evaluationPeriods: 2,
        threshold: vars.p99LatencyAlarmMs.numberValue,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      }),
    ];
  }
}
