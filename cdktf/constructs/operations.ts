import { Construct } from 'constructs';
import { Fn, Op, TerraformIterator, TerraformStack, Token, type IResolvable } from 'cdktn';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { SnsTopic } from '@cdktn/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktn/provider-aws/lib/sns-topic-subscription';

export interface OperationsProps {
  name: string;
  key: KmsKey;
  /** enable_alarm_notifications. */
  enabled: boolean | IResolvable;
  emails: string[];
  httpsEndpoints: string[];
  /** An existing topic every alarm notifies as well ("" for none). */
  existingTopicArn: string;
  /** Add a Terraform check block that warns at plan time when nobody would be notified. */
  warnWithoutSubscriber: boolean;
}

/**
 * The operations topic: every CloudWatch alarm notifies it, on ALARM and on OK, separately from
 * the anomaly alerts a shop's analysts read. Subscriptions come from variables (e-mail
 * addresses, HTTPS endpoints of a paging service) and exist only when notifications are enabled;
 * an existing topic (a team's on-call topic) is an extra alarm action, since SNS topics cannot
 * subscribe to each other.
 */
export class Operations extends Construct {
  readonly topic: SnsTopic;
  /** What every alarm notifies: this topic, and the existing topic when one is given. */
  readonly alarmActions: string[];

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.topic = new SnsTopic(this, 'topic', { name: props.name, displayName: 'Clickstream operations', kmsMasterKeyId: props.key.arn });
    const subscribe = (subscriptionId: string, protocol: 'email' | 'https', endpoints: string[]) => {
      const each = TerraformIterator.fromList(Token.asList(Fn.conditional(props.enabled, endpoints, [])));
      new SnsTopicSubscription(this, subscriptionId, { forEach: each, topicArn: this.topic.arn, protocol, endpoint: each.value });
    };
    subscribe('email', 'email', props.emails);
    subscribe('https', 'https', props.httpsEndpoints);
    this.alarmActions = Token.asList(Fn.concat([[this.topic.arn], Token.asList(Fn.conditional(Op.eq(props.existingTopicArn, ''), [], [props.existingTopicArn]))]));

    if (props.warnWithoutSubscriber) {
      // A check block reports a warning and does not stop the plan (Terraform >= 1.5).
      TerraformStack.of(this).addOverride('check.alarm_subscriber', {
        assert: [
          {
            condition: Token.asString(
              Op.or(Op.and(props.enabled, Op.gt(Op.add(Fn.lengthOf(props.emails), Fn.lengthOf(props.httpsEndpoints)), 0)), Op.neq(props.existingTopicArn, '')),
            ),
            error_message:
              'No alarm reaches anyone: set alarm_emails, alarm_https_endpoints (with enable_alarm_notifications = true) or alarm_topic_arn in cdktf/environments/<environment>.tfvars.',
          },
        ],
      });
    }
  }
}
