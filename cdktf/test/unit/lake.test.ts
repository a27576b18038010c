import { CURATED_EVENT_COLUMNS, LAKE_TABLES, NAMED_QUERIES, QUARANTINE_COLUMNS, RAW_EVENT_COLUMNS } from '@clickstream/shared';
import { COMPACTOR_DAILY_LOOKBACK_HOURS, COMPACTOR_MEMORY_MB } from '../../constructs/compactor';
import { parsePolicy, refOf, resourceAt, resources, synthEnv, type Json } from '../synth';

const { json } = synthEnv('dev');
const at = (type: string, constructPath: string) => resourceAt(json, type, constructPath);
const bucket = refOf(json, 'aws_s3_bucket', 'archive/bucket', 'bucket');
const bucketArn = refOf(json, 'aws_s3_bucket', 'archive/bucket', 'arn');
const keyArn = refOf(json, 'aws_kms_key', 'encryption/key', 'arn');
const functionArn = refOf(json, 'aws_lambda_function', 'lake/compactor/function', 'arn');

describe('Glue catalog', () => {
  it('names the database after the project and environment, with underscores', () => {
    expect(at('aws_glue_catalog_database', 'lake/catalog/database').name).toBe('${replace("${var.project_name}_${var.environment}", "-", "_")}');
  });

  it.each([
    ['raw', RAW_EVENT_COLUMNS, 'events/', 'org.apache.hadoop.mapred.TextInputFormat', 'org.openx.data.jsonserde.JsonSerDe'],
    ['curated', CURATED_EVENT_COLUMNS, 'curated/_symlink/events/', 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat', 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'],
    ['quarantine', QUARANTINE_COLUMNS, 'quarantine/', 'org.apache.hadoop.mapred.TextInputFormat', 'org.openx.data.jsonserde.JsonSerDe'],
  ] as const)('%s: the shared columns, partition projection on year/month/day/hour, no crawler', (tableKey, columns, prefix, inputFormat, serde) => {
    const table = at('aws_glue_catalog_table', `lake/catalog/${tableKey}`);
    expect(table.name).toBe(LAKE_TABLES[tableKey].name);
    expect(table.storage_descriptor.columns.map((column: Json) => [column.name, column.type])).toEqual(columns.map((column) => [column.name, column.type]));
    expect(table.partition_keys).toEqual(['year', 'month', 'day', 'hour'].map((name) => ({ name, type: 'string' })));
    expect(table.storage_descriptor).toMatchObject({ location: `s3://${bucket}/${prefix}`, input_format: inputFormat, ser_de_info: { serialization_library: serde } });
    expect(table.parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.year.type': 'integer',
      'projection.month.range': '1,12',
      'projection.month.digits': '2',
      'projection.day.range': '1,31',
      'projection.hour.range': '0,23',
      'projection.hour.digits': '2',
      'storage.location.template': `s3://${bucket}/${prefix}year=$\${year}/month=$\${month}/day=$\${day}/hour=$\${hour}/`,
    });
  });
});

describe('Athena workgroup', () => {
  it('enforces its configuration: encrypted results in their own prefix and a bytes-scanned cutoff', () => {
    const workgroup = at('aws_athena_workgroup', 'lake/catalog/workgroup');
    expect(workgroup.name).toBe('${var.project_name}-${var.environment}-lake');
    expect(workgroup.configuration).toMatchObject({
      enforce_workgroup_configuration: true,
      publish_cloudwatch_metrics_enabled: true,
      bytes_scanned_cutoff_per_query: '${var.athena_bytes_scanned_cutoff}',
      result_configuration: { output_location: `s3://${bucket}/athena-results/`, encryption_configuration: { encryption_option: 'SSE_KMS', kms_key_arn: keyArn } },
    });
    expect(json.variable.athena_bytes_scanned_cutoff.default).toBe(10 * 1024 ** 3);
  });

  it('saves the named queries, the same SQL the local query command runs', () => {
    const saved = Object.values(resources(json, 'aws_athena_named_query'));
    const byName = (pairs: string[][]) => pairs.sort(([a], [b]) => a!.localeCompare(b!));
    expect(byName(saved.map((query) => [query.name, query.query]))).toEqual(byName(NAMED_QUERIES.map((query) => [query.name, query.sql])));
    for (const query of saved) expect(query.workgroup).toBe(refOf(json, 'aws_athena_workgroup', 'lake/catalog/workgroup', 'name'));
  });
});

describe('compactor', () => {
  const fn = at('aws_lambda_function', 'lake/compactor/function');

  it('runs on nodejs22.x arm64 with 1,024 MB, /tmp for spill files, one run at a time', () => {
    expect(fn).toMatchObject({ runtime: 'nodejs22.x', architectures: ['arm64'], memory_size: COMPACTOR_MEMORY_MB, timeout: 900, reserved_concurrent_executions: 1, ephemeral_storage: { size: 4096 } });
    expect(fn.environment.variables).toMatchObject({ SERVICE_NAME: 'compactor', COUNTERS_TABLE: '${var.project_name}-${var.environment}-counters', COMPACTOR_SPILL_DIR: '/tmp' });
  });

  it('may read the archive and the quarantine, write only under curated/, and query only the counters table', () => {
    const statements = parsePolicy(at('aws_iam_role_policy', 'lake/compactor/policy').policy).Statement;
    const bySid = Object.fromEntries(statements.map((statement) => [statement.Sid, statement]));
    expect(Object.keys(bySid).sort()).toEqual(['ListLakePrefixes', 'ReadCounters', 'ReadRawAndCurated', 'UseDataKey', 'WriteCurated', 'WriteOwnLogs']);
    expect(bySid.WriteCurated).toMatchObject({ Action: ['s3:PutObject', 's3:DeleteObject'], Resource: [`${bucketArn}/curated/events/*`, `${bucketArn}/curated/_symlink/events/*`] });
    expect(bySid.ReadRawAndCurated).toMatchObject({ Action: ['s3:GetObject'], Resource: [`${bucketArn}/events/*`, `${bucketArn}/quarantine/*`, `${bucketArn}/curated/*`] });
    expect(bySid.ReadCounters).toMatchObject({ Action: ['dynamodb:Query'], Resource: refOf(json, 'aws_dynamodb_table', 'tables/counters', 'arn') });
  });

  it('is invoked by EventBridge Scheduler every 5 minutes and daily over the last week, through a role that may invoke only it', () => {
    const schedules = Object.values(resources(json, 'aws_scheduler_schedule'));
    expect(schedules.map((schedule) => [schedule.schedule_expression, JSON.parse(schedule.target.input)])).toEqual(
      expect.arrayContaining([
        ['rate(5 minutes)', {}],
        ['cron(17 3 * * ? *)', { lookbackHours: COMPACTOR_DAILY_LOOKBACK_HOURS }],
      ]),
    );
    expect(schedules).toHaveLength(2);
    for (const schedule of schedules) {
      expect(schedule).toMatchObject({ state: 'ENABLED', flexible_time_window: { mode: 'OFF' }, target: { arn: functionArn, role_arn: refOf(json, 'aws_iam_role', 'lake/compactor/scheduler-role', 'arn') } });
    }
    expect(parsePolicy(at('aws_iam_role_policy', 'lake/compactor/scheduler-policy').policy).Statement).toEqual([{ Sid: 'InvokeCompactor', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: functionArn }]);
  });

  it('alarms the operations topic on errors, counts that disagree with the counters table, late freshness and malformed lines', () => {
    const alarms = Object.entries(resources(json, 'aws_cloudwatch_metric_alarm')).filter(([id]) => id.startsWith('lake_compactor_'));
    expect(alarms.map(([, alarm]) => alarm.metric_name).sort()).toEqual(['CountMismatch', 'Errors', 'FreshnessBreached', 'MalformedRawLines']);
    const operationsTopic = refOf(json, 'aws_sns_topic', 'operations/topic', 'arn');
    for (const [, alarm] of alarms) expect(alarm.alarm_actions).toBe(`\${concat([${operationsTopic.slice(2, -1)}], (var.alarm_topic_arn == "") ? [] : [var.alarm_topic_arn])}`);
  });
});
