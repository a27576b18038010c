import { Construct } from 'constructs';
import { Annotations, AssetType, Fn, ref, TerraformAsset, Token, type IResolvable } from 'cdktn';
import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy';
import type { KinesisStream } from '@cdktn/provider-aws/lib/kinesis-stream';
import { KinesisStreamConsumer } from '@cdktn/provider-aws/lib/kinesis-stream-consumer';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { LambdaEventSourceMapping } from '@cdktn/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunction } from '@cdktn/provider-aws/lib/lambda-function';
import type { ConsumerSettings, ServiceName } from '@clickstream/shared';
import type { Bundle } from '../bundles';
import { KINESIS_FAN_OUT_ACTIONS, KINESIS_READ_ACTIONS, KMS_USE_ACTIONS, policyDocument, XRAY_WRITE_ACTIONS, type PolicyStatement } from '../policy';
import { RECORD_AGE_LIMITS, RETRY_ATTEMPT_LIMITS } from '../variables';

export const LAMBDA_RUNTIME = 'nodejs22.x';
export const LAMBDA_HANDLER = 'index.handler';
/**
 * The bundles ship their source maps; Node applies them to stack traces only with this flag, so
 * errors in CloudWatch Logs point at the TypeScript source instead of the minified bundle.
 */
export const NODE_OPTIONS = '--enable-source-maps';
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

    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.key.arn,
    });

    this.role = new IamRole(this, 'role', {
      name: props.roleName,
      description: `Execution role of ${props.functionName}`,
      assumeRolePolicy: policyDocument([{ Sid: 'LambdaAssumesRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: ['sts:AssumeRole'] }]),
    });

    // The consumer's ARN ends in a creation timestamp; its name is known, so the grant names it.
    const consumerArnPattern = `${props.stream.arn}/consumer/${props.functionName}:*`;
    const statements: PolicyStatement[] = [
      { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${this.logGroup.arn}:*` },
      { Sid: 'ReadStream', Effect: 'Allow', Action: KINESIS_READ_ACTIONS, Resource: props.stream.arn },
      { Sid: 'ReadThroughOwnFanOutConsumer', Effect: 'Allow', Action: KINESIS_FAN_OUT_ACTIONS, Resource: consumerArnPattern },
      ...props.onFailure.statements,
      { Sid: 'UseDataKey', Effect: 'Allow', Action: KMS_USE_ACTIONS, Resource: props.key.arn },
      ...props.statements,
    ];
    this.policy = new IamRolePolicy(this, 'policy', { name: `${props.roleName}-policy`, role: this.role.id, policy: policyDocument(statements) });
    this.tracingPolicy = new IamRolePolicy(this, 'tracing-policy', {
      count: Token.asNumber(Fn.conditional(tracing, 1, 0)),
      name: `${props.roleName}-xray`,
      role: this.role.id,
      // X-Ray has no resource-level permissions for writing segments: "*" is the only resource.
      policy: policyDocument([{ Sid: 'WriteTraceSegments', Effect: 'Allow', Action: XRAY_WRITE_ACTIONS, Resource: '*' }]),
    });

    // Zipped at synth into cdktf.out; the content hash is the source hash, so unchanged code does
    // not redeploy.
    this.asset = new TerraformAsset(this, 'bundle', { path: props.bundle.directory, type: AssetType.ARCHIVE });

    this.function = new LambdaFunction(this, 'function', {
      functionName: props.functionName,
      description: `clickstream ${props.service}`,
      role: this.role.arn,
      runtime: LAMBDA_RUNTIME,
      handler: LAMBDA_HANDLER,
      architectures: ['arm64'],
      filename: this.asset.path,
      sourceCodeHash: this.asset.assetHash,
      memorySize: props.memorySize,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrency ?? -1,
      tracingConfig: { mode: Token.asString(Fn.conditional(tracing, 'Active', 'PassThrough')) },
      environment: { variables: { ...props.environment, NODE_OPTIONS } },
      loggingConfig: { logFormat: 'Text', logGroup: this.logGroup.name },
      dependsOn: [this.logGroup, this.policy],
    });

    if (!props.bundle.built) {
      Annotations.of(this).addWarning(
        `${props.service}: dist/${props.service}/index.js does not exist; deploying a placeholder with its event source mapping disabled (run npm run build).`,
      );
    }

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
