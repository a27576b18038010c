/**
 * Retention, stated and enforced (README "Privacy", "Retention"): every store of every
 * environment's synthesized stack removes what it holds after a retention that a variable sets
 * (cdktf/environments/<env>.tfvars), and the README states each one with the stack's defaults.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ARCHIVE_PREFIXES, ENV, FORGET_AUDIT_PREFIX, FORGOTTEN_PREFIX, LAKE_PREFIXES, TABLES } from '@clickstream/shared';
import { CURATED_EXPIRY_MARGIN_DAYS } from '../../constructs/archive-bucket';
import { ENVIRONMENTS } from '../../environments';
import { resourceAt, resources, synthEnv, type Json } from '../synth';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** Every store and the variables that set its retention. */
const RETENTION_VARIABLES = {
  stream: ['kinesis_retention_period'],
  tables: ['aggregate_ttl_days', 'session_ttl_days', 'alert_history_ttl_days', 'alert_state_ttl_hours'],
  raw: ['archive_expiration_days'],
  curated: ['archive_expiration_days'],
  quarantine: ['quarantine_expiration_days'],
  onFailure: ['on_failure_expiration_days'],
  audit: ['forget_audit_expiration_days'],
  logs: ['log_retention_days'],
} as const;
const ALL_VARIABLES = [...new Set(Object.values(RETENTION_VARIABLES).flat())];

/** The function whose environment sets each table's TTL, and the variables it reads. */
const TABLE_TTL = {
  pageMetrics: { function: 'event-processor', env: { [ENV.aggregateTtlDays]: 'aggregate_ttl_days' } },
  counters: { function: 'event-processor', env: { [ENV.aggregateTtlDays]: 'aggregate_ttl_days' } },
  sessionMetrics: { function: 'event-processor', env: { [ENV.sessionTtlDays]: 'session_ttl_days' } },
  alerts: { function: 'anomaly-detector', env: { [ENV.anomalyHistoryTtlDays]: 'alert_history_ttl_days', [ENV.anomalyStateTtlHours]: 'alert_state_ttl_hours' } },
} as const;

/** Lifecycle rules of a bucket construct, each with the prefix it filters on. */
function lifecycleRules(json: Json, constructPath: string): Json[] {
  return resourceAt(json, 'aws_s3_bucket_lifecycle_configuration', constructPath).rule as Json[];
}

/** The rule covering `key` (the longest matching prefix, as S3 would apply the expiry). */
function ruleFor(rules: Json[], key: string): Json | undefined {
  return rules.filter((rule) => rule.status === 'Enabled' && key.startsWith(rule.filter[0].prefix as string)).sort((a, b) => b.filter[0].prefix.length - a.filter[0].prefix.length)[0];
}

describe.each(ENVIRONMENTS)('retention on the %s stack', (environment) => {
  const { json } = synthEnv(environment);

  it('tables: every table expires items through its TTL attribute, which the function writing them sets from a variable', () => {
    for (const [tableKey, ttl] of Object.entries(TABLE_TTL)) {
      expect({ tableKey, ttl: resourceAt(json, 'aws_dynamodb_table', `tables/${tableKey}`).ttl }).toEqual({ tableKey, ttl: { attribute_name: TABLES[tableKey as keyof typeof TABLES].ttlAttribute, enabled: true } });
      const variables = resourceAt(json, 'aws_lambda_function', `${ttl.function}/consumer/function`).environment.variables as Record<string, string>;
      for (const [name, variable] of Object.entries(ttl.env)) expect({ tableKey, name, value: variables[name] }).toEqual({ tableKey, name, value: `\${var.${variable}}` });
    }
    expect(Object.keys(TABLE_TTL).sort()).toEqual(Object.keys(TABLES).sort());
  });

  it('archive bucket: every prefix the pipeline writes expires, and so do the versions an overwrite or delete leaves', () => {
    const rules = lifecycleRules(json, 'archive/lifecycle');
    const written = {
      [ARCHIVE_PREFIXES.events]: '${var.archive_expiration_days}',
      [ARCHIVE_PREFIXES.quarantine]: '${var.quarantine_expiration_days}',
      [LAKE_PREFIXES.curatedEvents]: `\${(var.archive_expiration_days - ${CURATED_EXPIRY_MARGIN_DAYS})}`,
      [LAKE_PREFIXES.curatedSymlinks]: `\${(var.archive_expiration_days - ${CURATED_EXPIRY_MARGIN_DAYS})}`,
      [LAKE_PREFIXES.athenaResults]: 7,
      [FORGOTTEN_PREFIX]: '${var.archive_expiration_days}',
      [FORGET_AUDIT_PREFIX]: '${var.forget_audit_expiration_days}',
    };
    for (const [prefix, days] of Object.entries(written)) {
      const rule = ruleFor(rules, `${prefix}year=2026/month=12/day=01/hour=13/object`);
      expect({ prefix, expiration: rule?.expiration }).toEqual({ prefix, expiration: [{ days }] });
      expect({ prefix, noncurrent: rule?.noncurrent_version_expiration?.[0]?.noncurrent_days }).toEqual({ prefix, noncurrent: expect.any(Number) });
    }
  });

  it('the curated zone expires before the raw objects forget finds its rows through', () => {
    // Raw objects expire after archive_expiration_days (at least 61); the curated hour built from
    // them as late as the daily sweep allows (170 h) still goes first.
    expect(CURATED_EXPIRY_MARGIN_DAYS).toBeGreaterThanOrEqual(Math.ceil(170 / 24) + 1);
    expect(json.variable.archive_expiration_days.validation[0].condition).toContain('var.archive_expiration_days >= 61');
  });

  it('on-failure bucket: discarded batches expire', () => {
    expect(ruleFor(lifecycleRules(json, 'on-failure/lifecycle'), 'aws/lambda/uuid/shardId-000000000000/2026/12/01/object')?.expiration).toEqual([{ days: '${var.on_failure_expiration_days}' }]);
  });

  it('logs: every function logs to a group of its own that keeps log_retention_days', () => {
    const groups = Object.values(resources(json, 'aws_cloudwatch_log_group'));
    const functions = Object.values(resources(json, 'aws_lambda_function'));
    expect(groups.map((group) => group.name).sort()).toEqual(functions.map((fn) => `/aws/lambda/${fn.function_name}`).sort());
    for (const group of groups) expect({ name: group.name, retention: group.retention_in_days }).toEqual({ name: group.name, retention: '${var.log_retention_days}' });
  });

  it('stream: records leave Kinesis after kinesis_retention_period hours', () => {
    expect(resourceAt(json, 'aws_kinesis_stream', 'stream/stream').retention_period).toBe('${var.kinesis_retention_period}');
  });

  it(`sets every retention in cdktf/environments/${environment}.tfvars, and the README states the value this stack runs with`, () => {
    const tfvars = readFileSync(path.join(ROOT, 'cdktf', 'environments', `${environment}.tfvars`), 'utf8');
    const table = /\n### Retention\n([\s\S]*?)\n#/.exec(readme)?.[1] ?? '';
    for (const variable of ALL_VARIABLES) {
      const value = new RegExp(`^${variable}\\s*=\\s*(\\d+)`, 'm').exec(tfvars)?.[1];
      expect({ variable, inTfvars: value !== undefined, declared: json.variable[variable]?.type }).toEqual({ variable, inTfvars: true, declared: 'number' });
      // | Store | What it holds | Setting | dev | staging | prod | How |
      const row = table.split('\n').find((line) => line.includes(`| \`${variable}\` |`));
      expect({ variable, stated: row?.split('|')[4 + ENVIRONMENTS.indexOf(environment)]?.trim().split(' ')[0] }).toEqual({ variable, stated: value });
    }
  });
});
