import { Construct } from 'constructs';
import { Fn, Op, Token } from 'cdktn';
import { KinesisStream } from '@cdktn/provider-aws/lib/kinesis-stream';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';

export interface EventStreamProps {
  name: string;
  /** PROVISIONED or ON_DEMAND (a Terraform variable). */
  streamMode: string;
  /** Used only in PROVISIONED mode. */
  shardCount: number;
  retentionHours: number;
  shardLevelMetrics: string[];
  key: KmsKey;
}

/**
 * The event stream, KMS-encrypted, partitioned by session_id by producers. In ON_DEMAND mode
 * Kinesis owns the shard count (the provider must not set it), so shard_count is null there.
 */
export class EventStream extends Construct {
  readonly stream: KinesisStream;

  constructor(scope: Construct, id: string, props: EventStreamProps) {
    super(scope, id);
    this.stream = new KinesisStream(this, 'stream', {
      name: props.name,
      shardCount: Token.asNumber(Fn.conditional(Op.eq(props.streamMode, 'PROVISIONED'), props.shardCount, null)),
      retentionPeriod: props.retentionHours,
      streamModeDetails: { streamMode: props.streamMode },
      encryptionType: 'KMS',
      kmsKeyId: props.key.arn,
      shardLevelMetrics: props.shardLevelMetrics,
    });
  }
}
