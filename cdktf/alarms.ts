/**
 * Every kind of alarm the stacks create, with the one-line summary its description carries. The
 * README's Runbook table has one row per kind (a test holds the two together), so whoever is
 * paged reads the alarm's name, finds the row and knows what to check and what to do.
 */
export const ALARM_KINDS = {
  'iterator-age': 'A consumer is falling behind the stream.',
  'iterator-age-retention': 'A consumer is so far behind that records will expire from the stream before it reads them.',
  errors: 'Invocations failed; the mapping retries or bisects the batch.',
  throttles: 'Invocations were throttled (concurrency).',
  duration: 'An invocation ran close to the function timeout.',
  'discarded-batches': 'Batches passed the maximum record age and were sent, records included, to the on-failure bucket.',
  'dropped-records': 'Records were dropped without reaching the on-failure bucket.',
  'failed-writes': 'DynamoDB writes failed inside invocations (the batch is retried).',
  'dynamodb-throttles': 'DynamoDB throttled reads or writes of a table.',
  'dynamodb-system-errors': 'DynamoDB answered requests to a table with internal errors.',
  'sns-delivery-failures': 'SNS failed to deliver notifications of a topic to its subscribers.',
  'kinesis-write-throttled': 'Producers were throttled writing to the stream.',
  'quarantine-rate': 'An unusual share of records is rejected and quarantined.',
  'compaction-errors': 'Compactor runs failed; the hours they were compacting stay on their previous curated generation.',
  'lake-count-mismatch': 'A compacted hour has a different number of curated rows than accepted events in the counters table.',
  'lake-freshness': 'The p99 of arrival minus event time of a compacted hour exceeded the threshold.',
  'lake-malformed-lines': 'The compactor skipped raw archive lines it could not read.',
  'collector-5xx-rate': 'The collector answered an unusual share of requests with 5xx (the stream throttled or unavailable, or a defect): events wait in browsers.',
  'collector-throttles': 'The collector function was throttled (reserved or account concurrency): browsers get errors and retry.',
  'collector-p99-latency': 'The collector answers slowly (p99 of the function URL).',
} as const;

export type AlarmKind = keyof typeof ALARM_KINDS;

/** The alarm description: its summary and where the runbook line is. */
export const alarmDescription = (kind: AlarmKind, subject: string) => `${subject}: ${ALARM_KINDS[kind]} Runbook: README, Runbook, "${kind}".`;

/**
 * Services that publish the FailedWrites metric (Clickstream namespace, Service dimension). The
 * archiver writes S3 objects and fails its invocation instead.
 */
export const FAILED_WRITES_SERVICES = ['event-processor', 'anomaly-detector'] as const;
