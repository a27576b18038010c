/**
 * What differs between dev, staging and prod, and the plan-time validation that keeps one
 * environment's values out of another and refuses values AWS would refuse at apply time.
 */
import { SERVICES } from '@clickstream/shared';
import { ENVIRONMENT_PROFILES, ENVIRONMENTS, SHARD_LEVEL_METRICS, type EnvironmentName } from '../../environments';
import { resourceAt, synthEnv, type Json } from '../synth';

const json = (environment: EnvironmentName) => synthEnv(environment).json;
const conditions = (stack: Json, name: string) => (stack.variable[name].validation as Json[]).map((rule) => rule.condition as string);

/** The regular expressions inside a condition's regex("...") calls, as JavaScript RegExps (RE2 POSIX classes translated). */
function regexesOf(condition: string): RegExp[] {
  return [...condition.matchAll(/regex\("([^"]+)"/g)].map((match) => new RegExp(match[1]!.replace(/\[:space:\]/g, '\\s')));
}
const matchesAll = (condition: string, value: string) => regexesOf(condition).every((regex) => regex.test(value));

describe('environment profiles', () => {
  it('size prod for production: on-demand capacity, seven days of retention, every shard-level metric, 90 days of logs', () => {
    const prod = json('prod').variable;
    expect({
      stream_mode: prod.stream_mode.default,
      kinesis_retention_period: prod.kinesis_retention_period.default,
      kinesis_shard_level_metrics: prod.kinesis_shard_level_metrics.default,
      log_retention_days: prod.log_retention_days.default,
      on_failure_expiration_days: prod.on_failure_expiration_days.default,
      enable_alarm_notifications: prod.enable_alarm_notifications.default,
    }).toEqual({
      stream_mode: 'ON_DEMAND',
      kinesis_retention_period: 168,
      kinesis_shard_level_metrics: [...SHARD_LEVEL_METRICS],
      log_retention_days: 90,
      on_failure_expiration_days: 90,
      enable_alarm_notifications: true,
    });
  });

  it('keep dev small and quiet', () => {
    const dev = json('dev').variable;
    expect([dev.stream_mode.default, dev.kinesis_shard_level_metrics.default, dev.enable_alarm_notifications.default]).toEqual(['PROVISIONED', [], false]);
  });

  it('protect prod data and let dev and staging be destroyed', () => {
    for (const environment of ENVIRONMENTS) {
      const stack = json(environment);
      const profile = ENVIRONMENT_PROFILES.find((p) => p.environment === environment)!;
      expect(resourceAt(stack, 'aws_s3_bucket', 'archive/bucket').force_destroy).toBe(profile.bucketForceDestroy);
      expect(resourceAt(stack, 'aws_s3_bucket', 'on-failure/bucket').force_destroy).toBe(profile.bucketForceDestroy);
      expect(resourceAt(stack, 'aws_dynamodb_table', 'tables/counters').deletion_protection_enabled).toBe(profile.deletionProtection);
    }
    expect(ENVIRONMENT_PROFILES.filter((p) => p.deletionProtection).map((p) => p.environment)).toEqual(['prod']);
  });
});

describe('accounts', () => {
  it.each(ENVIRONMENTS)('%s: the provider refuses any account outside allowed_account_ids', (environment) => {
    const stack = json(environment);
    expect(stack.provider.aws[0].allowed_account_ids).toBe('${var.allowed_account_ids}');
    expect(stack.variable.allowed_account_ids).toMatchObject({ type: 'list(string)', default: [] });
    expect(conditions(stack, 'allowed_account_ids')[0]).toBe('${alltrue([for id in var.allowed_account_ids : can(regex("^[0-9]{12}$", id))])}');
  });

  it('prod refuses to plan until allowed_account_ids is set; dev and staging do not require it', () => {
    expect(conditions(json('prod'), 'allowed_account_ids')).toContain('${length(var.allowed_account_ids) > 0}');
    expect(conditions(json('dev'), 'allowed_account_ids')).toHaveLength(1);
    expect(conditions(json('staging'), 'allowed_account_ids')).toHaveLength(1);
  });
});

describe('names that cannot cross environments', () => {
  it.each(ENVIRONMENTS)('the %s stack accepts only its own environment name', (environment) => {
    expect(conditions(json(environment), 'environment')).toEqual([`\${var.environment == "${environment}"}`]);
  });

  it.each([
    ['prod', 'acme-clickstream-prod-archive', true],
    ['prod', 'prod.archive.acme', true],
    ['prod', 'acme-clickstream-dev-archive', false],
    ['prod', 'acme-production-archive', false],
    ['dev', 'acme-clickstream-dev-archive', true],
    ['dev', 'acme-clickstream-prod-archive', false],
    ['staging', 'Acme-Staging-Archive', false],
  ] as const)('the %s stack takes archive_bucket_name %s: %s', (environment, name, accepted) => {
    const [condition] = conditions(json(environment), 'archive_bucket_name');
    expect(condition).toMatch(/^\$\{var\.archive_bucket_name == "" \|\| /);
    expect(matchesAll(condition!, name)).toBe(accepted);
  });
});

describe('validation AWS would otherwise only do at apply time', () => {
  const dev = json('dev');

  it.each([
    ['ops@example.com', true],
    ['first.last+alerts@shop.example.co.uk', true],
    ['ops@', false],
    ['ops@example', false],
    ['ops team@example.com', false],
  ])('alert_email and alarm_emails take %s: %s', (address, accepted) => {
    expect(matchesAll(conditions(dev, 'alert_email')[0]!, address)).toBe(accepted);
    expect(matchesAll(conditions(dev, 'alarm_emails')[0]!, address)).toBe(accepted);
  });

  it.each([
    ['https://events.pagerduty.com/integration/abc/enqueue', true],
    ['http://example.com/hook', false],
    ['https://', false],
  ])('alarm_https_endpoints take %s: %s', (url, accepted) => {
    expect(matchesAll(conditions(dev, 'alarm_https_endpoints')[0]!, url)).toBe(accepted);
  });

  it.each([
    ['arn:aws:sns:eu-west-1:123456789012:on-call', true],
    ['arn:aws:sqs:eu-west-1:123456789012:on-call', false],
    ['on-call', false],
  ])('alarm_topic_arn takes %s: %s', (arn, accepted) => {
    expect(matchesAll(conditions(dev, 'alarm_topic_arn')[0]!, arn)).toBe(accepted);
  });

  it('keeps the archive lifecycle in the order S3 requires, at plan time', () => {
    expect(conditions(dev, 'archive_transition_ia_days')[0]).toContain('var.archive_transition_ia_days >= 30');
    expect(resourceAt(dev, 'aws_s3_bucket_lifecycle_configuration', 'archive/lifecycle').lifecycle.precondition).toEqual([
      { condition: '${(var.archive_transition_glacier_days >= (var.archive_transition_ia_days + 30))}', error_message: expect.stringContaining('archive_transition_ia_days + 30') },
      { condition: '${(var.archive_expiration_days > var.archive_transition_glacier_days)}', error_message: expect.stringContaining('greater than archive_transition_glacier_days') },
    ]);
  });

  it('limits modes, metrics, fan-out consumers and concurrency to what AWS accepts', () => {
    expect(conditions(dev, 'stream_mode')[0]).toBe('${contains(["PROVISIONED", "ON_DEMAND"], var.stream_mode)}');
    expect(conditions(dev, 'kinesis_shard_level_metrics')[0]).toContain(`contains(["ALL", ${SHARD_LEVEL_METRICS.map((m) => `"${m}"`).join(', ')}], metric)`);
    expect(conditions(dev, 'enhanced_fan_out_consumers')[0]).toContain(`contains([${SERVICES.map((s) => `"${s}"`).join(', ')}], service)`);
    expect(conditions(dev, 'lambda_reserved_concurrency')[0]).toContain('var.lambda_reserved_concurrency == -1 ||');
    expect(conditions(dev, 'kinesis_retention_period')[0]).toContain('var.kinesis_retention_period >= 24 && var.kinesis_retention_period <= 8760');
  });
});
