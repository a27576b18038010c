import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktn/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktn/provider-aws/lib/data-aws-partition';
import { KmsAlias } from '@cdktn/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { policyDocument } from '../policy';

/**
 * One customer-managed KMS key per stack encrypts the stream, tables, buckets, topics and the
 * functions' log groups. A customer-managed key (not the AWS-managed `alias/aws/sns`) is required
 * so CloudWatch alarms can publish to the encrypted topics and CloudWatch Logs can encrypt the
 * log groups; one key keeps the cost at $1/month.
 */
export class EncryptionKey extends Construct {
  readonly key: KmsKey;
  readonly accountId: string;
  readonly partition: string;

  constructor(scope: Construct, id: string, props: { prefix: string; region: string }) {
    super(scope, id);
    const identity = new DataAwsCallerIdentity(this, 'caller');
    const partition = new DataAwsPartition(this, 'partition');
    this.accountId = identity.accountId;
    this.partition = partition.partition;
    this.key = new KmsKey(this, 'key', {
      description: `${props.prefix} data key (stream, tables, buckets, topics, function logs)`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument([
        {
          // The account keeps full control and IAM policies decide who uses the key (the standard
          // delegation). Actions are listed instead of kms:*.
          // Resource "*" in a key policy means "this key": the only value a key policy accepts.
          Sid: 'AccountAdministersAndDelegatesViaIam',
          Effect: 'Allow',
          Principal: { AWS: `arn:${this.partition}:iam::${this.accountId}:root` },
          Action: [
            'kms:CancelKeyDeletion',
            'kms:CreateAlias',
            'kms:CreateGrant',
            'kms:Decrypt',
            'kms:DeleteAlias',
            'kms:DescribeKey',
            'kms:DisableKey',
            'kms:DisableKeyRotation',
            'kms:EnableKey',
            'kms:EnableKeyRotation',
            'kms:Encrypt',
            'kms:GenerateDataKey',
            'kms:GenerateDataKeyWithoutPlaintext',
            'kms:GetKeyPolicy',
            'kms:GetKeyRotationStatus',
            'kms:ListGrants',
            'kms:ListKeyPolicies',
            'kms:ListKeyRotations',
            'kms:ListResourceTags',
            'kms:PutKeyPolicy',
            'kms:ReEncryptFrom',
            'kms:ReEncryptTo',
            'kms:RetireGrant',
            'kms:RevokeGrant',
            'kms:RotateKeyOnDemand',
            'kms:ScheduleKeyDeletion',
            'kms:TagResource',
            'kms:UntagResource',
            'kms:UpdateAlias',
            'kms:UpdateKeyDescription',
          ],
          Resource: '*',
        },
        {
          // CloudWatch alarms publish to the encrypted alerts topic. Resource "*" = this key.
          Sid: 'CloudWatchAlarmsPublishToEncryptedTopic',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceAccount': this.accountId } },
        },
        {
          // CloudWatch Logs encrypts the functions' log groups, and only those: the encryption
          // context names the log group. Resource "*" = this key.
          // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
          Sid: 'CloudWatchLogsEncryptFunctionLogs',
          Effect: 'Allow',
          Principal: { Service: `logs.${props.region}.amazonaws.com` },
          Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
          Resource: '*',
          Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${props.region}:${this.accountId}:log-group:/aws/lambda/${props.prefix}-*` } },
        },
      ]),
    });
    new KmsAlias(this, 'alias', { name: `alias/${props.prefix}`, targetKeyId: this.key.keyId });
  }
}
