import { Construct } from 'constructs';
import type { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket';
import { ARCHIVE_PREFIXES } from '@clickstream/shared';
import { consumerProps, type ConsumerInputs } from './consumer-inputs';
import { StreamConsumerFunction } from './stream-consumer-function';

/** archiver: stream -> gzip JSON Lines under events/, bad records under quarantine/. */
export class Archiver extends Construct {
  readonly consumer: StreamConsumerFunction;

  constructor(scope: Construct, id: string, props: { inputs: ConsumerInputs; bucket: S3Bucket; batchSize: number }) {
    super(scope, id);
    this.consumer = new StreamConsumerFunction(this, 'consumer', {
      ...consumerProps('archiver', props.inputs, { batchSize: props.batchSize }),
      statements: [
        {
          Sid: 'WriteArchiveObjects',
          Effect: 'Allow',
          Action: ['s3:PutObject'],
          Resource: Object.values(ARCHIVE_PREFIXES).map((prefix) => `${props.bucket.arn}/${prefix}*`),
        },
        {
          // The archiver lists the keys of a shard's hour before writing, so a redelivered batch
          // finds the object it already wrote instead of archiving its events twice. Listing is a
          // bucket-level action: the s3:prefix condition confines it to the same two prefixes.
          Sid: 'ListArchivePrefixes',
          Effect: 'Allow',
          Action: ['s3:ListBucket'],
          Resource: props.bucket.arn,
          Condition: { StringLike: { 's3:prefix': Object.values(ARCHIVE_PREFIXES).map((prefix) => `${prefix}*`) } },
        },
      ],
    });
  }
}
