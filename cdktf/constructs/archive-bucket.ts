import { ARCHIVE_PREFIXES, FORGET_AUDIT_PREFIX, FORGOTTEN_PREFIX, LAKE_PREFIXES } from '@clickstream/shared';
import { Construct } from 'constructs';
import { Op, Token } from 'cdktn';
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
  forgetAuditExpirationDays: number;
}

/** Every curated object (Parquet files and symlink manifests) is under this prefix. */
export const CURATED_PREFIX = 'curated/';
for (const prefix of [LAKE_PREFIXES.curatedEvents, LAKE_PREFIXES.curatedSymlinks]) {
  if (!prefix.startsWith(CURATED_PREFIX)) throw new Error(`curated prefix ${prefix} is outside ${CURATED_PREFIX}: the curated lifecycle rule would miss it`);
}

/**
 * Days the curated zone expires before the raw zone. forget finds a user's curated rows through
 * the raw objects that hold their events, so no curated hour may outlive the raw objects it was
 * built from: an hour is re-compacted while late events can still arrive (the daily sweep's 170
 * hours, 8 days rounded up), and S3 rounds an expiry to the next midnight UTC (one more day).
 */
export const CURATED_EXPIRY_MARGIN_DAYS = 9;

/** Days noncurrent versions (what an overwrite or a delete replaced) are kept in the archive bucket. */
export const NONCURRENT_VERSION_DAYS = 30;

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
          noncurrentVersionExpiration: [{ noncurrentDays: NONCURRENT_VERSION_DAYS }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
        {
          // Parquet and manifests of the lake; superseded generations are deleted by the compactor
          // and leave noncurrent versions, which expire too.
          id: 'curated-expiry',
          status: 'Enabled',
          filter: [{ prefix: CURATED_PREFIX }],
          expiration: [{ days: Token.asNumber(Op.sub(props.expirationDays, CURATED_EXPIRY_MARGIN_DAYS)) }],
          noncurrentVersionExpiration: [{ noncurrentDays: NONCURRENT_VERSION_DAYS }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
        {
          // forget's per-hour tallies (event-id digests, no personal data) explain raw hours: they go with them.
          id: 'forgotten-tallies-expiry',
          status: 'Enabled',
          filter: [{ prefix: FORGOTTEN_PREFIX }],
          expiration: [{ days: props.expirationDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: NONCURRENT_VERSION_DAYS }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
        {
          id: 'forget-audit-expiry',
          status: 'Enabled',
          filter: [{ prefix: FORGET_AUDIT_PREFIX }],
          expiration: [{ days: props.forgetAuditExpirationDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: NONCURRENT_VERSION_DAYS }],
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
          noncurrentVersionExpiration: [{ noncurrentDays: NONCURRENT_VERSION_DAYS }],
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
