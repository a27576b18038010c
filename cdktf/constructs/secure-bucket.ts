import type { Construct } from 'constructs';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket';
import { S3BucketOwnershipControls } from '@cdktn/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktn/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktn/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktn/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktn/provider-aws/lib/s3-bucket-versioning';
import { policyDocument } from '../policy';

export interface SecureBucketProps {
  name: string;
  key: KmsKey;
  forceDestroy: boolean;
}

/**
 * The bucket settings every bucket of the stack shares: bucket-owner ownership, no public
 * access, versioning, SSE-KMS with the stack's key and an S3 bucket key (one KMS call per bucket
 * key, not per object), TLS only. A function, not a construct, so the resources keep the
 * construct paths (and Terraform addresses) they had before the archive bucket shared them:
 * `<scope>/bucket`, `<scope>/ownership`, `<scope>/public-access`, ...
 */
export function secureBucket(scope: Construct, props: SecureBucketProps): S3Bucket {
  const bucket = new S3Bucket(scope, 'bucket', { bucket: props.name, forceDestroy: props.forceDestroy });
  const id = bucket.id;
  new S3BucketOwnershipControls(scope, 'ownership', { bucket: id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
  const publicAccess = new S3BucketPublicAccessBlock(scope, 'public-access', {
    bucket: id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new S3BucketVersioningA(scope, 'versioning', { bucket: id, versioningConfiguration: { status: 'Enabled' } });
  new S3BucketServerSideEncryptionConfigurationA(scope, 'encryption', {
    bucket: id,
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: props.key.arn }, bucketKeyEnabled: true }],
  });
  new S3BucketPolicy(scope, 'policy', {
    bucket: id,
    policy: policyDocument([
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: ['s3:*'],
        Resource: [bucket.arn, `${bucket.arn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]),
    // S3 rejects a bucket policy while the public access block is being applied.
    dependsOn: [publicAccess],
  });
  return bucket;
}
