import { Construct } from 'constructs';
import { Fn, Op, type IResolvable } from 'cdktn';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { SnsTopic } from '@cdktn/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktn/provider-aws/lib/sns-topic-subscription';

/**
 * The alerts topic: anomaly-detector publishes anomalies here (operational alarms go to the
 * operations topic). Encrypted with the stack's key. The e-mail subscription exists only when
 * enable_sns_alerts is true and alert_email is set (AWS then mails a confirmation link).
 */
export class Alerts extends Construct {
  readonly topic: SnsTopic;

  constructor(scope: Construct, id: string, props: { name: string; key: KmsKey; enableEmail: boolean | IResolvable; email: string }) {
    super(scope, id);
    this.topic = new SnsTopic(this, 'topic', { name: props.name, displayName: 'Clickstream alerts', kmsMasterKeyId: props.key.arn });
    new SnsTopicSubscription(this, 'email', {
      count: Fn.conditional(Op.and(props.enableEmail, Op.neq(props.email, '')), 1, 0),
      topicArn: this.topic.arn,
      protocol: 'email',
      endpoint: props.email,
    });
  }
}
