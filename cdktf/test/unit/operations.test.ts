import { ENVIRONMENT_PROFILES } from '../../environments';
import { refOf, resourceAt, synthAll, synthEnv, type Json } from '../synth';

const stacks = synthAll().map(({ stack, json }) => [stack.node.id, stack.profile.environment, json] as const);

describe.each(stacks)('%s operations topic', (_id, environment, json) => {
  const topicArn = refOf(json, 'aws_sns_topic', 'operations/topic', 'arn');

  it('is its own topic, encrypted with the stack key, separate from the anomaly alerts', () => {
    const topic = resourceAt(json, 'aws_sns_topic', 'operations/topic');
    expect(topic).toMatchObject({ name: '${var.project_name}-${var.environment}-operations', kms_master_key_id: refOf(json, 'aws_kms_key', 'encryption/key', 'arn') });
    expect(topicArn).not.toBe(refOf(json, 'aws_sns_topic', 'alerts/topic', 'arn'));
  });

  it('subscribes every alarm e-mail address and HTTPS endpoint, only while notifications are enabled', () => {
    expect(resourceAt(json, 'aws_sns_topic_subscription', 'operations/email')).toEqual({
      for_each: '${toset(var.enable_alarm_notifications ? var.alarm_emails : [])}',
      topic_arn: topicArn,
      protocol: 'email',
      endpoint: '${each.value}',
    });
    expect(resourceAt(json, 'aws_sns_topic_subscription', 'operations/https')).toEqual({
      for_each: '${toset(var.enable_alarm_notifications ? var.alarm_https_endpoints : [])}',
      topic_arn: topicArn,
      protocol: 'https',
      endpoint: '${each.value}',
    });
  });

  it('turns notifications on by default in staging and prod, off in dev', () => {
    expect(json.variable.enable_alarm_notifications.default).toBe(environment !== 'dev');
  });

  it('validates the subscriber variables', () => {
    expect(json.variable.alarm_emails.validation[0].condition).toBe('${alltrue([for item in var.alarm_emails : can(regex("^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$", item))])}');
    expect(json.variable.alarm_https_endpoints.validation[0].condition).toBe('${alltrue([for item in var.alarm_https_endpoints : can(regex("^https://[^[:space:]]+$", item))])}');
    expect(json.variable.alarm_topic_arn.validation[0].condition).toContain(':sns:');
  });
});

describe('plan warning without an alarm subscriber', () => {
  const checkOf = (json: Json) => json.check?.alarm_subscriber as Json | undefined;

  it('is a check block (a warning, not an error) in prod only', () => {
    for (const [, environment, json] of stacks) {
      const profile = ENVIRONMENT_PROFILES.find((p) => p.environment === environment)!;
      expect(checkOf(json) !== undefined).toBe(profile.warnWithoutAlarmSubscriber);
    }
    expect(ENVIRONMENT_PROFILES.filter((p) => p.warnWithoutAlarmSubscriber).map((p) => p.environment)).toEqual(['prod']);
  });

  it('passes when notifications are on and someone is subscribed, or an existing topic is named', () => {
    const check = checkOf(synthEnv('prod').json)!;
    expect(check.assert).toEqual([
      {
        condition: '${((var.enable_alarm_notifications && ((length(var.alarm_emails) + length(var.alarm_https_endpoints)) > 0)) || (var.alarm_topic_arn != ""))}',
        error_message: expect.stringContaining('No alarm reaches anyone'),
      },
    ]);
  });
});
