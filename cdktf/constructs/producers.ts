import { Construct } from 'constructs';
import { IamPolicy } from '@cdktn/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktn/provider-aws/lib/iam-role-policy-attachment';
import type { KinesisStream } from '@cdktn/provider-aws/lib/kinesis-stream';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { KINESIS_WRITE_ACTIONS, KMS_PRODUCE_ACTIONS, policyDocument } from '../policy';

export interface ProducersProps {
  prefix: string;
  stream: KinesisStream;
  key: KmsKey;
  accountId: string;
  partition: string;
}

/**
 * What a sender needs to put events on the encrypted stream: a managed policy (attach it to a
 * collector's role, a CI user or any existing principal) and a role with that policy. The role
 * trusts the account, so the account's IAM policies decide who may assume it: grant
 * `sts:AssumeRole` on it to the senders (`aws sts assume-role`, or a CLI profile's role_arn).
 */
export class Producers extends Construct {
  readonly policy: IamPolicy;
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: ProducersProps) {
    super(scope, id);
    this.policy = new IamPolicy(this, 'policy', {
      name: `${props.prefix}-producer`,
      description: `Put records on ${props.prefix}-events (KMS-encrypted)`,
      policy: policyDocument([
        { Sid: 'PutRecords', Effect: 'Allow', Action: KINESIS_WRITE_ACTIONS, Resource: props.stream.arn },
        { Sid: 'EncryptRecords', Effect: 'Allow', Action: KMS_PRODUCE_ACTIONS, Resource: props.key.arn },
      ]),
    });
    const accountRoot = `arn:${props.partition}:iam::${props.accountId}:root`;
    this.role = new IamRole(this, 'role', {
      name: `${props.prefix}-producer`,
      description: `Assumed by senders of ${props.prefix}-events`,
      assumeRolePolicy: policyDocument([
        {
          Sid: 'AccountPrincipalsAssumeRole',
          Effect: 'Allow',
          Principal: { AWS: accountRoot },
          Action: ['sts:AssumeRole'],
        },
      ]),
    });
    new IamRolePolicyAttachment(this, 'attachment', { role: this.role.name, policyArn: this.policy.arn });
  }
}
