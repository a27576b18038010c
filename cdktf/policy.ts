/**
 * IAM policy documents as plain data, rendered with JSON.stringify: Terraform resolves the
 * `${...}` references inside the string at plan time. Tests parse the same JSON back.
 */
export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  /** Absent only in trust policies. */
  Resource?: string | string[];
  Principal?: Record<string, string | string[]> | '*';
  Condition?: Record<string, Record<string, string | string[]>>;
}

export function policyDocument(statements: PolicyStatement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** What every consumer needs to use the stack's customer-managed key. */
export const KMS_USE_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'];

/** Read a Kinesis stream through a standard (polling) event source mapping. */
export const KINESIS_READ_ACTIONS = ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'];

/** Read through a registered enhanced fan-out consumer (on the consumer's ARN). */
export const KINESIS_FAN_OUT_ACTIONS = ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'];

/** Write to the stream: what `aws kinesis put-record`, PutRecords producers and the collector need. */
export const KINESIS_WRITE_ACTIONS = ['kinesis:DescribeStreamSummary', 'kinesis:ListShards', 'kinesis:PutRecord', 'kinesis:PutRecords'];

/** Writing to a KMS-encrypted stream needs a data key from the stream's key. */
export const KMS_PRODUCE_ACTIONS = ['kms:GenerateDataKey'];

/** What Lambda's active tracing needs to send segments (no resource-level permissions exist). */
export const XRAY_WRITE_ACTIONS = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
