import type { Construct } from 'constructs';
import { Annotations, AssetType, TerraformAsset } from 'cdktn';
import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { LambdaFunction, type LambdaFunctionConfig } from '@cdktn/provider-aws/lib/lambda-function';
import type { LambdaFunctionName } from '@clickstream/shared';
import type { Bundle } from '../bundles';
import { policyDocument, type PolicyStatement } from '../policy';

export const LAMBDA_RUNTIME = 'nodejs22.x';
export const LAMBDA_HANDLER = 'index.handler';
/**
 * The bundles ship their source maps; Node applies them to stack traces only with this flag, so
 * errors in CloudWatch Logs point at the TypeScript source instead of the minified bundle.
 */
export const NODE_OPTIONS = '--enable-source-maps';

export interface BundledFunctionProps
  extends Pick<LambdaFunctionConfig, 'functionName' | 'ephemeralStorage' | 'tracingConfig'>,
    Required<Pick<LambdaFunctionConfig, 'description' | 'memorySize' | 'timeout' | 'reservedConcurrentExecutions'>> {
  /** The bundle's name under dist/, used in the placeholder warning. */
  service: LambdaFunctionName;
  bundle: Bundle;
  /** What the placeholder deployment does, completing "deploying a placeholder …" in the warning. */
  placeholder: string;
  roleName: string;
  policyName: string;
  /** The function's own permissions; writing to its own log group comes first and is added here. */
  statements: PolicyStatement[];
  logRetentionDays: number;
  /** Encrypts the log group with this key (every function's logs are encrypted with the stack's key). */
  logKey: KmsKey;
  /** NODE_OPTIONS is added last, so stack traces go through the bundle's source maps. */
  environment: Record<string, string>;
}

/** What bundledFunction() created, for the caller's outputs, alarms and grants. */
export interface BundledFunction {
  function: LambdaFunction;
  role: IamRole;
  policy: IamRolePolicy;
  logGroup: CloudwatchLogGroup;
  asset: TerraformAsset;
}

/**
 * A Lambda function deployed from an esbuild bundle (cdktf/bundles.ts): nodejs22.x on arm64, its
 * own log group with retention, and a role of its own whose inline policy starts with writing to
 * that log group. When the bundle does not exist yet it deploys the placeholder and warns at
 * synth; the caller disables whatever would invoke it.
 *
 * A function, not a construct: the resources are created directly in `scope` with the ids
 * `logs`, `role`, `policy`, `bundle` and `function`, so their construct paths, and with them
 * the Terraform logical ids (state addresses) and asset directories, are those of the caller.
 */
export function bundledFunction(scope: Construct, props: BundledFunctionProps): BundledFunction {
  const { functionName } = props;
  const logGroup = new CloudwatchLogGroup(scope, 'logs', { name: `/aws/lambda/${functionName}`, retentionInDays: props.logRetentionDays, kmsKeyId: props.logKey.arn });

  const role = new IamRole(scope, 'role', {
    name: props.roleName,
    description: `Execution role of ${functionName}`,
    assumeRolePolicy: policyDocument([{ Sid: 'LambdaAssumesRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: ['sts:AssumeRole'] }]),
  });
  const statements: PolicyStatement[] = [
    { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroup.arn}:*` },
    ...props.statements,
  ];
  const policy = new IamRolePolicy(scope, 'policy', { name: props.policyName, role: role.id, policy: policyDocument(statements) });

  // Zipped at synth into cdktf.out; the content hash is the source hash, so unchanged code does
  // not redeploy.
  const asset = new TerraformAsset(scope, 'bundle', { path: props.bundle.directory, type: AssetType.ARCHIVE });
  if (!props.bundle.built) {
    Annotations.of(scope).addWarning(`${props.service}: dist/${props.service}/index.js does not exist; deploying a placeholder ${props.placeholder} (run npm run build).`);
  }

  const fn = new LambdaFunction(scope, 'function', {
    functionName,
    description: props.description,
    role: role.arn,
    runtime: LAMBDA_RUNTIME,
    handler: LAMBDA_HANDLER,
    architectures: ['arm64'],
    filename: asset.path,
    sourceCodeHash: asset.assetHash,
    memorySize: props.memorySize,
    timeout: props.timeout,
    ephemeralStorage: props.ephemeralStorage,
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    tracingConfig: props.tracingConfig,
    environment: { variables: { ...props.environment, NODE_OPTIONS } },
    loggingConfig: { logFormat: 'Text', logGroup: logGroup.name },
    dependsOn: [logGroup, policy],
  });
  return { function: fn, role, policy, logGroup, asset };
}
