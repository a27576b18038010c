import { ARCHIVE_PREFIXES, LAKE_PREFIXES } from '@clickstream/shared';
import { Construct } from 'constructs';
import { Op } from 'cdktn';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import type { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktn/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { secureBucket } from './secure-bucket';

export interface ArchiveBucketProps {
  name: string;
  key: KmsKey;
  forceDestroy: boolean;
  transitionIaDays: number;
  transitionGlacierDays: number;
  expirationDays: number;
  quarantineExpirationDays: number;
}

/**
 * Raw events (gzip JSON Lines per shard batch) and quarantined records, in a secure bucket with a
 * lifecycle to cheaper storage classes and expiry. S3 refuses a lifecycle whose transitions are
 * out of order at apply time; the preconditions refuse it at plan time instead.
 */
export class ArchiveBucket extends Construct {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: ArchiveBucketProps) {
    super(scope, id);
    this.bucket = secureBucket(this, props);
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: this.bucket.id,
      rule: [
        {
          id: 'events-tiering-and-expiry',
          status: 'Enabled',
          filter: [{ prefix: ARCHIVE_PREFIXES.events }],
          transition: [
            { days: props.transitionIaDays, storageClass: 'STANDARD_IA' },
            { days: props.transitionGlacierDays, storageClass: 'GLACIER_IR' },
          ],
          expiration: [{ days: props.expirationDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 30 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
        {
          // Athena query results (the lake workgroup's output location): working files, not data.
          id: 'athena-results-expiry',
          status: 'Enabled',
          filter: [{ prefix: LAKE_PREFIXES.athenaResults }],
          expiration: [{ days: 7 }],
          noncurrentVersionExpiration: [{ noncurrentDays: 1 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
        {
          id: 'quarantine-expiry',
          status: 'Enabled',
          filter: [{ prefix: ARCHIVE_PREFIXES.quarantine }],
          expiration: [{ days: props.quarantineExpirationDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 30 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
      lifecycle: {
        precondition: [
          {
            // Objects must spend 30 days in STANDARD_IA before a later transition.
            condition: Op.gte(props.transitionGlacierDays, Op.add(props.transitionIaDays, 30)),
            errorMessage: 'archive_transition_glacier_days must be at least archive_transition_ia_days + 30.',
          },
          {
            condition: Op.gt(props.expirationDays, props.transitionGlacierDays),
            errorMessage: 'archive_expiration_days must be greater than archive_transition_glacier_days.',
          },
        ],
      },
    });
  }
}
