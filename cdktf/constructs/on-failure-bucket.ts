import { Construct } from 'constructs';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import type { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktn/provider-aws/lib/s3-bucket-lifecycle-configuration';
import type { PolicyStatement } from '../policy';
import { secureBucket } from './secure-bucket';

/**
 * Where Lambda's S3 on-failure destination writes: one object per discarded batch under
 * `aws/lambda/<mapping UUID>/<shard id>/YYYY/MM/DD/...`, holding the failure metadata and the
 * whole invocation record (the batch's records included), unlike an SQS or SNS destination,
 * which gets only the shard and sequence-number pointers.
 * https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
 */
export const LAMBDA_ON_FAILURE_PREFIX = 'aws/lambda/';

export interface OnFailureBucketProps {
  name: string;
  key: KmsKey;
  forceDestroy: boolean;
  expirationDays: number;
}

/**
 * The on-failure bucket of every consumer's event source mapping: the same security settings as
 * the archive, and an expiry that bounds how long a discarded batch can still be replayed.
 */
export class OnFailureBucket extends Construct {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: OnFailureBucketProps) {
    super(scope, id);
    this.bucket = secureBucket(this, props);
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: this.bucket.id,
      rule: [
        {
          id: 'discarded-batches-expiry',
          status: 'Enabled',
          filter: [{ prefix: LAMBDA_ON_FAILURE_PREFIX }],
          expiration: [{ days: props.expirationDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 30 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
  }

  /**
   * What a mapping's execution role needs to deliver there: s3:PutObject and s3:ListBucket
   * (Lambda developer guide, on-failure destinations for stream sources; kms:GenerateDataKey on
   * the bucket's key comes with the role's key statement).
   */
  deliveryStatements(): PolicyStatement[] {
    return [
      { Sid: 'DeliverDiscardedBatches', Effect: 'Allow', Action: ['s3:PutObject'], Resource: `${this.bucket.arn}/${LAMBDA_ON_FAILURE_PREFIX}*` },
      { Sid: 'FindOnFailureBucket', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: this.bucket.arn },
    ];
  }
}
