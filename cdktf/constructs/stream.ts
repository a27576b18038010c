import { Construct } from 'constructs';
import { KinesisStream } from '@cdktn/provider-aws/lib/kinesis-stream';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';

/** The event stream: provisioned shards, KMS-encrypted, partitioned by session_id by producers. */
export class EventStream extends Construct {
  readonly stream: KinesisStream;

  constructor(scope: Construct, id: string, props: { name: string; shardCount: number; retentionHours: number; key: KmsKey }) {
    super(scope, id);
    this.stream = new KinesisStream(this, 'stream', {
      name: props.name,
      shardCount: props.shardCount,
      retentionPeriod: props.retentionHours,
      streamModeDetails: { streamMode: 'PROVISIONED' },
      encryptionType: 'KMS',
      kmsKeyId: props.key.arn,
      shardLevelMetrics: [],
    });
  }
}
