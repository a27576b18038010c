import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktn/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktn/provider-aws/lib/data-aws-partition';
import { KmsAlias } from '@cdktn/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { policyDocument } from '../policy';

/**
 * One customer-managed KMS key per stack encrypts the stream, tables, bucket, topic and queues.
 * A customer-managed key (not the AWS-managed `alias/aws/sns`) is required so CloudWatch alarms
 * can publish to the encrypted alerts topic; one key keeps the cost at $1/month.
 */
export class EncryptionKey extends Construct {
  readonly key: KmsKey;
  readonly accountId: string;
  readonly partition: string;

  constructor(scope: Construct, id: string, props: { prefix: string }) {
    super(scope, id);
    const identity = new DataAwsCallerIdentity(this, 'caller');
    const partition = new DataAwsPartition(this, 'partition');
    this.accountId = identity.accountId;
    this.partition = partition.partition;
    this.key = new KmsKey(this, 'key', {
      description: `${props.prefix} data key (stream, tables, archive, alerts, on-failure queues)`,
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
      ]),
    });
    new KmsAlias(this, 'alias', { name: `alias/${props.prefix}`, targetKeyId: this.key.keyId });
  }
}
