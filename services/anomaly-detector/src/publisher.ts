import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { alertSubject, toAlertMessage, type Alert } from './alerts';
import { AlertPublishError } from './errors';

/** Where alerts go; one SNS adapter implements it. */
export interface AlertPublisher {
  publish(alert: Alert, detectedAtMs: number): Promise<void>;
}

/**
 * SNS `Publish` as docs/ARCHITECTURE.md ("Alerts") states it: readable `Subject`, JSON `Message`, and `severity` / `rule` as
 * String message attributes so subscribers can filter
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html).
 */
export class SnsAlertPublisher implements AlertPublisher {
  publishRequests = 0;

  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(alert: Alert, detectedAtMs: number): Promise<void> {
    this.publishRequests++;
    try {
      await this.client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: alertSubject(alert),
          Message: JSON.stringify(toAlertMessage(alert, detectedAtMs)),
          MessageAttributes: {
            severity: { DataType: 'String', StringValue: alert.severity },
            rule: { DataType: 'String', StringValue: alert.rule },
          },
        }),
      );
    } catch (error) {
      throw new AlertPublishError(`publishing ${alert.rule} alert for ${alert.subjectKey} failed`, { cause: error, context: { alertId: alert.alertId, topicArn: this.topicArn } });
    }
  }
}
