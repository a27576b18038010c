import { Construct } from 'constructs';
import { Annotations, AssetType, TerraformAsset, type IResolvable } from 'cdktn';
import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy';
import type { KinesisStream } from '@cdktn/provider-aws/lib/kinesis-stream';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { LambdaEventSourceMapping } from '@cdktn/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunction } from '@cdktn/provider-aws/lib/lambda-function';
import { SqsQueue } from '@cdktn/provider-aws/lib/sqs-queue';
import type { ConsumerSettings, ServiceName } from '@clickstream/shared';
import type { Bundle } from '../bundles';
import { KINESIS_READ_ACTIONS, KMS_USE_ACTIONS, policyDocument, type PolicyStatement } from '../policy';

export const LAMBDA_RUNTIME = 'nodejs22.x';
export const LAMBDA_HANDLER = 'index.handler';
/** SQS's maximum: on-failure records point at stream positions, keep them as long as possible. */
export const ON_FAILURE_RETENTION_SECONDS = 1_209_600;

export interface StreamConsumerFunctionProps {
  service: ServiceName;
  functionName: string;
  roleName: string;
  onFailureQueueName: string;
  bundle: Bundle;
  stream: KinesisStream;
  key: KmsKey;
  /** Event source mapping defaults from shared/src/contract/topology.ts CONSUMERS[service]. */
  settings: ConsumerSettings;
  /** Overrides settings.batchSize (a Terraform variable). */
  batchSize: number;
  memorySize: number;
  timeout: number;
  logRetentionDays: number;
  /** Built with functionEnvironment() from shared/src/contract/config.ts. */
  environment: Record<string, string>;
  /** The service's own permissions, on top of stream read, logs, on-failure queue and key use. */
  statements: PolicyStatement[];
  /** Whether the event source mapping runs (forced off when the bundle is missing). */
  enabled?: boolean | IResolvable;
}

/**
 * A Lambda function behind a Kinesis event source mapping, with the defaults every consumer of
 * the stream needs: partial batch responses (ReportBatchItemFailures), bisect on error, bounded
 * retries, a maximum record age, an encrypted SQS on-failure destination, its own log group with
 * retention, nodejs22.x, the shared environment contract and a role of its own.
 */
export class StreamConsumerFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly policy: IamRolePolicy;
  readonly logGroup: CloudwatchLogGroup;
  readonly onFailureQueue: SqsQueue;
  readonly eventSourceMapping: LambdaEventSourceMapping;
  readonly asset: TerraformAsset;

  constructor(scope: Construct, id: string, props: StreamConsumerFunctionProps) {
    super(scope, id);
    const { settings } = props;

    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
    });

    this.onFailureQueue = new SqsQueue(this, 'on-failure', {
      name: props.onFailureQueueName,
      kmsMasterKeyId: props.key.arn,
      kmsDataKeyReusePeriodSeconds: 300,
      messageRetentionSeconds: ON_FAILURE_RETENTION_SECONDS,
    });

    this.role = new IamRole(this, 'role', {
      name: props.roleName,
      description: `Execution role of ${props.functionName}`,
      assumeRolePolicy: policyDocument([{ Sid: 'LambdaAssumesRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: ['sts:AssumeRole'] }]),
    });

    const statements: PolicyStatement[] = [
      { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${this.logGroup.arn}:*` },
      { Sid: 'ReadStream', Effect: 'Allow', Action: KINESIS_READ_ACTIONS, Resource: props.stream.arn },
      { Sid: 'SendToOnFailureQueue', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: this.onFailureQueue.arn },
      { Sid: 'UseDataKey', Effect: 'Allow', Action: KMS_USE_ACTIONS, Resource: props.key.arn },
      ...props.statements,
    ];
    this.policy = new IamRolePolicy(this, 'policy', { name: `${props.roleName}-policy`, role: this.role.id, policy: policyDocument(statements) });

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
      environment: { variables: props.environment },
      loggingConfig: { logFormat: 'Text', logGroup: this.logGroup.name },
      dependsOn: [this.logGroup, this.policy],
    });

    if (!props.bundle.built) {
      Annotations.of(this).addWarning(
        `${props.service}: dist/${props.service}/index.js does not exist; deploying a placeholder with its event source mapping disabled (run npm run build).`,
      );
    }

    this.eventSourceMapping = new LambdaEventSourceMapping(this, 'event-source', {
      functionName: this.function.arn,
      eventSourceArn: props.stream.arn,
      enabled: props.bundle.built ? (props.enabled ?? true) : false,
      startingPosition: settings.startingPosition,
      batchSize: props.batchSize,
      maximumBatchingWindowInSeconds: settings.maximumBatchingWindowInSeconds,
      parallelizationFactor: settings.parallelizationFactor,
      bisectBatchOnFunctionError: settings.bisectBatchOnFunctionError,
      maximumRetryAttempts: settings.maximumRetryAttempts,
      maximumRecordAgeInSeconds: settings.maximumRecordAgeInSeconds,
      functionResponseTypes: settings.reportBatchItemFailures ? ['ReportBatchItemFailures'] : [],
      destinationConfig: { onFailure: { destinationArn: this.onFailureQueue.arn } },
      // Lambda checks the role's stream and queue permissions when the mapping is created.
      dependsOn: [this.policy],
    });
  }
}
