/**
 * The local topology (shared/src/contract/topology.ts, shared/src/contract/config.ts) and the synthesized stacks
 * agree: synthesize, evaluate every name with the variables at their defaults, and compare with
 * resourceNames(), TABLES, CONSUMERS, STREAM_DEFAULTS and functionEnvironment().
 */
import { CONSUMERS, DEFAULT_PROJECT, functionEnvironment, resourceNames, SERVICES, STREAM_DEFAULTS, TABLE_RETENTION_DEFAULTS, TABLES, type TableKey, ENV } from '@clickstream/shared';
import { profileOf } from '../../environments';
import { refOf, resolveWithDefaults, resourceAt, synthAll, type Json } from '../synth';


describe.each(synthAll().map(({ stack, json }) => [stack.node.id, json] as const))('%s', (_id, json) => {
  const environment = json.variable.environment.default as string;
  const names = resourceNames(DEFAULT_PROJECT, environment);
  const resolve = (value: string) => resolveWithDefaults(json, value);
  const fnAt = (service: string) => resourceAt(json, 'aws_lambda_function', `${service}/consumer/function`);

  it('names every resource as resourceNames() does', () => {
    expect(json.variable.project_name.default).toBe(DEFAULT_PROJECT);
    expect(resolve(resourceAt(json, 'aws_kinesis_stream', 'stream/stream').name)).toBe(names.stream);
    expect(resolve(resourceAt(json, 'aws_s3_bucket', 'archive/bucket').bucket)).toBe(names.archiveBucket);
    expect(resolve(resourceAt(json, 'aws_sns_topic', 'alerts/topic').name)).toBe(names.alertsTopic);
    // The local stack writes discarded batches to the same bucket name, and the replay tool reads it.
    expect(resolve(resourceAt(json, 'aws_s3_bucket', 'on-failure/bucket').bucket)).toBe(names.onFailureBucket);
    for (const tableKey of Object.keys(TABLES) as TableKey[]) {
      expect(resolve(resourceAt(json, 'aws_dynamodb_table', `tables/${tableKey}`).name)).toBe(names.tables[tableKey]);
    }
    for (const service of SERVICES) {
      expect(resolve(fnAt(service).function_name)).toBe(names.functions[service]);
    }
  });

  it('defines the tables with the keys, indexes and TTL attribute of TABLES', () => {
    for (const [tableKey, definition] of Object.entries(TABLES)) {
      const table = resourceAt(json, 'aws_dynamodb_table', `tables/${tableKey}`);
      expect(table.hash_key).toBe(definition.hashKey.name);
      expect(table.range_key).toBe('rangeKey' in definition ? definition.rangeKey.name : undefined);
      expect(table.ttl.attribute_name).toBe(definition.ttlAttribute);
      const declared = new Map((table.attribute as Json[]).map((a) => [a.name, a.type]));
      const keys = [definition.hashKey, ...('rangeKey' in definition ? [definition.rangeKey] : [])];
      for (const key of keys) expect(declared.get(key.name)).toBe(key.type);
      const indexes = (table.global_secondary_index ?? []) as Json[];
      expect(indexes.map((i) => i.name)).toEqual(definition.globalSecondaryIndexes.map((i) => i.indexName));
      for (const index of definition.globalSecondaryIndexes) {
        const synthesized = indexes.find((i) => i.name === index.indexName)!;
        expect(synthesized.hash_key).toBe(index.hashKey.name);
        expect(declared.get(index.hashKey.name)).toBe(index.hashKey.type);
        if (index.rangeKey !== undefined) expect(synthesized.range_key).toBe(index.rangeKey.name);
        expect(synthesized.non_key_attributes).toEqual([...index.nonKeyAttributes]);
      }
      // DynamoDB rejects attribute definitions that no key uses.
      expect(declared.size).toBe(new Set([...keys, ...definition.globalSecondaryIndexes.flatMap((i) => [i.hashKey, ...(i.rangeKey === undefined ? [] : [i.rangeKey])])].map((k) => k.name)).size);
    }
  });

  it('uses the stream defaults and the consumer settings of CONSUMERS', () => {
    // dev is the local stack's twin; staging and prod are sized by their profiles.
    const sizing = environment === 'dev' ? { shards: STREAM_DEFAULTS.shardCount, hours: STREAM_DEFAULTS.retentionHours } : { shards: profileOf(environment).defaults.kinesisShardCount, hours: profileOf(environment).defaults.kinesisRetentionHours };
    expect(json.variable.kinesis_shard_count.default).toBe(sizing.shards);
    expect(json.variable.kinesis_retention_period.default).toBe(sizing.hours);
    expect(profileOf('dev').defaults).toMatchObject({ kinesisShardCount: STREAM_DEFAULTS.shardCount, kinesisRetentionHours: STREAM_DEFAULTS.retentionHours });
    for (const service of SERVICES) {
      const settings = CONSUMERS[service];
      const mapping = resourceAt(json, 'aws_lambda_event_source_mapping', `${service}/consumer/event-source`);
      const batchVariable = /^\$\{var\.(\w+)\}$/.exec(mapping.batch_size)![1]!;
      expect(json.variable[batchVariable].default).toBe(settings.batchSize);
      expect(mapping).toMatchObject({
        starting_position: settings.startingPosition,
        maximum_batching_window_in_seconds: settings.maximumBatchingWindowInSeconds,
        parallelization_factor: settings.parallelizationFactor,
        bisect_batch_on_function_error: settings.bisectBatchOnFunctionError,
        maximum_retry_attempts: settings.maximumRetryAttempts,
        function_response_types: settings.reportBatchItemFailures ? ['ReportBatchItemFailures'] : [],
      });
      // The operator's max_record_age_seconds starts from the topology's value.
      expect(mapping.maximum_record_age_in_seconds).toBe('${var.max_record_age_seconds}');
      expect(json.variable.max_record_age_seconds.default).toBe(settings.maximumRecordAgeInSeconds);
      const fn = fnAt(service);
      expect(json.variable[/^\$\{var\.(\w+)\}$/.exec(fn.memory_size)![1]!].default).toBe(settings.memorySizeMb);
      expect(json.variable[/^\$\{var\.(\w+)\}$/.exec(fn.timeout)![1]!].default).toBe(settings.timeoutSeconds);
    }
  });

  const PRIVACY_ENV: string[] = [ENV.clientAddressMode, ENV.clientAddressHmacSecretParameter, ENV.clientAddressHmacSecretId, ENV.urlQueryAllowList];

  it('gives every function the environment functionEnvironment() builds', () => {
    const topicArn = refOf(json, 'aws_sns_topic', 'alerts/topic', 'arn');
    const bucketName = refOf(json, 'aws_s3_bucket', 'archive/bucket', 'bucket');
    for (const service of SERVICES) {
      const env = fnAt(service).environment.variables as Record<string, string>;
      const expected = functionEnvironment({
        service,
        project: DEFAULT_PROJECT,
        environment,
        names,
        alertsTopicArn: service === 'anomaly-detector' ? topicArn : undefined,
        // The anomaly-detector also gets the enable_sns_alerts switch (default false); the table
        // writers get their items' TTLs (README "Privacy", "Retention").
        ...(service === 'anomaly-detector'
          ? { extra: { [ENV.enableSnsAlerts]: 'false', [ENV.anomalyHistoryTtlDays]: String(TABLE_RETENTION_DEFAULTS.alertHistoryTtlDays), [ENV.anomalyStateTtlHours]: String(TABLE_RETENTION_DEFAULTS.alertStateTtlHours) } }
          : service === 'event-processor'
            ? { extra: { [ENV.aggregateTtlDays]: String(TABLE_RETENTION_DEFAULTS.aggregateTtlDays), [ENV.sessionTtlDays]: String(TABLE_RETENTION_DEFAULTS.sessionTtlDays) } }
            : {}),
      });
      // The privacy settings are Terraform expressions of their own (cdktf/test/unit/privacy.test.ts).
      const resolved = Object.fromEntries(
        Object.entries(env).filter(([name]) => !PRIVACY_ENV.includes(name)).map(([name, value]) => [name, value === bucketName ? names.archiveBucket : value === topicArn ? value : resolve(value)]),
      );
      expect(env.ARCHIVE_BUCKET).toBe(bucketName);
      // NODE_OPTIONS is the Node runtime's, not part of the shared contract.
      expect(resolved).toEqual({ ...expected, NODE_OPTIONS: '--enable-source-maps' });
    }
  });
});
