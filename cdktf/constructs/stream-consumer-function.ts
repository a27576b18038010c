import { Construct } from 'constructs';
import { Fn, ref, Token, type IResolvable, type TerraformAsset } from 'cdktn';
import type { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group';
import type { IamRole } from '@cdktn/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy';
import type { KinesisStream } from '@cdktn/provider-aws/lib/kinesis-stream';
import { KinesisStreamConsumer } from '@cdktn/provider-aws/lib/kinesis-stream-consumer';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { LambdaEventSourceMapping } from '@cdktn/provider-aws/lib/lambda-event-source-mapping';
import type { LambdaFunction } from '@cdktn/provider-aws/lib/lambda-function';
import type { ConsumerSettings, ServiceName } from '@clickstream/shared';
import type { Bundle } from '../bundles';
import { KINESIS_FAN_OUT_ACTIONS, KINESIS_READ_ACTIONS, KMS_USE_ACTIONS, policyDocument, XRAY_WRITE_ACTIONS, type PolicyStatement } from '../policy';
import { RECORD_AGE_LIMITS, RETRY_ATTEMPT_LIMITS } from '../variables';
import { bundledFunction } from './bundled-function';

/** The event source mapping metrics that count discarded records (MetricsConfig `EventCount`). */
export const ESM_METRICS = ['EventCount'];

/** Where a mapping sends what it discards, and what its role needs to deliver there. */
export interface OnFailureDestination {
  arn: string;
  statements: PolicyStatement[];
}

export interface StreamConsumerFunctionProps {
  service: ServiceName;
  functionName: string;
  roleName: string;
  onFailure: OnFailureDestination;
  bundle: Bundle;
  stream: KinesisStream;
  key: KmsKey;
  /** Event source mapping defaults from shared/src/contract/topology.ts CONSUMERS[service]. */
  settings: ConsumerSettings;
  /** Overrides settings.batchSize (a Terraform variable). */
  batchSize: number;
  /** Overrides settings.maximumRecordAgeInSeconds (the operator's max_record_age_seconds). */
  maximumRecordAgeInSeconds?: number;
  memorySize: number;
  timeout: number;
  /** -1: no reserved concurrency. */
  reservedConcurrency?: number;
  tracing?: boolean | IResolvable;
  /** Read through an enhanced fan-out stream consumer of its own instead of polling. */
  enhancedFanOut?: boolean | IResolvable;
  logRetentionDays: number;
  /** Built with functionEnvironment() from shared/src/contract/config.ts. */
  environment: Record<string, string>;
  /** The service's own permissions, on top of stream read, logs, on-failure delivery and key use. */
  statements: PolicyStatement[];
  /** Whether the event source mapping runs (forced off when the bundle is missing). */
  enabled?: boolean | IResolvable;
}

/** Refuses settings Lambda would refuse at apply time, naming the service. */
export function checkStreamSettings(service: ServiceName, settings: ConsumerSettings): void {
  const retries = settings.maximumRetryAttempts;
  if (!Number.isInteger(retries) || retries < RETRY_ATTEMPT_LIMITS.infinite || retries > RETRY_ATTEMPT_LIMITS.max) {
    throw new Error(`${service}: maximumRetryAttempts ${retries} must be -1 (retry until the record expires) or 0..${RETRY_ATTEMPT_LIMITS.max}`);
  }
  const age = settings.maximumRecordAgeInSeconds;
  if (!Number.isInteger(age) || (age !== RECORD_AGE_LIMITS.infinite && (age < RECORD_AGE_LIMITS.min || age > RECORD_AGE_LIMITS.max))) {
    throw new Error(`${service}: maximumRecordAgeInSeconds ${age} must be -1 (keep until retention) or ${RECORD_AGE_LIMITS.min}..${RECORD_AGE_LIMITS.max}`);
  }
}

/**
 * A Lambda function behind a Kinesis event source mapping, with the defaults every consumer of
 * the stream needs: partial batch responses (ReportBatchItemFailures), bisect on error, the
 * topology's retry settings (-1 retries a transient failure until the dependency is back), an
 * operator-chosen maximum record age, an S3 on-failure destination that keeps the discarded
 * records, mapping metrics that count discards, its own KMS-encrypted log group with retention,
 * nodejs22.x, the shared environment contract and a role of its own.
 */
export class StreamConsumerFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly policy: IamRolePolicy;
  readonly tracingPolicy: IamRolePolicy;
  readonly logGroup: CloudwatchLogGroup;
  readonly streamConsumer: KinesisStreamConsumer;
  readonly eventSourceMapping: LambdaEventSourceMapping;
  readonly asset: TerraformAsset;

  constructor(scope: Construct, id: string, props: StreamConsumerFunctionProps) {
    super(scope, id);
    const { settings } = props;
    checkStreamSettings(props.service, settings);
    const enhancedFanOut = props.enhancedFanOut ?? false;
    const tracing = props.tracing ?? false;

    // The consumer's ARN ends in a creation timestamp; its name is known, so the grant names it.
    const consumerArnPattern = `${props.stream.arn}/consumer/${props.functionName}:*`;
    const bundled = bundledFunction(this, {
      service: props.service,
      bundle: props.bundle,
      placeholder: 'with its event source mapping disabled',
      functionName: props.functionName,
      description: `clickstream ${props.service}`,
      roleName: props.roleName,
      policyName: `${props.roleName}-policy`,
      statements: [
        { Sid: 'ReadStream', Effect: 'Allow', Action: KINESIS_READ_ACTIONS, Resource: props.stream.arn },
        { Sid: 'ReadThroughOwnFanOutConsumer', Effect: 'Allow', Action: KINESIS_FAN_OUT_ACTIONS, Resource: consumerArnPattern },
        ...props.onFailure.statements,
        { Sid: 'UseDataKey', Effect: 'Allow', Action: KMS_USE_ACTIONS, Resource: props.key.arn },
        ...props.statements,
      ],
      memorySize: props.memorySize,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrency ?? -1,
      tracingConfig: { mode: Token.asString(Fn.conditional(tracing, 'Active', 'PassThrough')) },
      logRetentionDays: props.logRetentionDays,
      logKey: props.key,
      environment: props.environment,
    });
    this.function = bundled.function;
    this.role = bundled.role;
    this.policy = bundled.policy;
    this.logGroup = bundled.logGroup;
    this.asset = bundled.asset;
    this.tracingPolicy = new IamRolePolicy(this, 'tracing-policy', {
      count: Token.asNumber(Fn.conditional(tracing, 1, 0)),
      name: `${props.roleName}-xray`,
      role: this.role.id,
      // X-Ray has no resource-level permissions for writing segments: "*" is the only resource.
      policy: policyDocument([{ Sid: 'WriteTraceSegments', Effect: 'Allow', Action: XRAY_WRITE_ACTIONS, Resource: '*' }]),
    });

    // Enhanced fan-out: a registered consumer gets its own 2 MB/s per shard, pushed over HTTP/2,
    // and the mapping reads from the consumer's ARN instead of the stream's.
    this.streamConsumer = new KinesisStreamConsumer(this, 'fan-out', {
      count: Token.asNumber(Fn.conditional(enhancedFanOut, 1, 0)),
      name: props.functionName,
      streamArn: props.stream.arn,
    });

    this.eventSourceMapping = new LambdaEventSourceMapping(this, 'event-source', {
      functionName: this.function.arn,
      eventSourceArn: Token.asString(Fn.conditional(enhancedFanOut, ref(`${this.streamConsumer.fqn}[0].arn`), props.stream.arn)),
      enabled: props.bundle.built ? (props.enabled ?? true) : false,
      startingPosition: settings.startingPosition,
      batchSize: props.batchSize,
      maximumBatchingWindowInSeconds: settings.maximumBatchingWindowInSeconds,
      parallelizationFactor: settings.parallelizationFactor,
      bisectBatchOnFunctionError: settings.bisectBatchOnFunctionError,
      // -1 is Lambda's "infinite" for both, and the AWS provider passes it through as -1.
      maximumRetryAttempts: settings.maximumRetryAttempts,
      maximumRecordAgeInSeconds: props.maximumRecordAgeInSeconds ?? settings.maximumRecordAgeInSeconds,
      functionResponseTypes: settings.reportBatchItemFailures ? ['ReportBatchItemFailures'] : [],
      destinationConfig: { onFailure: { destinationArn: props.onFailure.arn } },
      metricsConfig: { metrics: ESM_METRICS },
      // Lambda checks the role's stream and destination permissions when the mapping is created.
      dependsOn: [this.policy],
    });
  }
}
