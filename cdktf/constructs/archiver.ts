import { Construct } from 'constructs';
import type { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket';
import { ARCHIVE_PREFIXES } from './archive-bucket';
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
      ],
    });
  }
}
