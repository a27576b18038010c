import { SQSClient } from '@aws-sdk/client-sqs';
import { createDynamoDbClient, createLogger, httpHandler, type EmfWriter } from '@clickstream/shared';
import { receiveNotifications, type AlertNotification } from '../../../../local/alerts';
import type { LocalStack } from '../../../../local/stack';
import { createHandler, dependenciesFromEnv } from '../../src/handler';
import { DynamoDbDetectorStore } from '../../src/store';

/** The function environment the local stack would pass, for driving the handler directly. */
export function functionEnv(stack: LocalStack): Record<string, string> {
  const { manifest } = stack;
  return {
    AWS_REGION: manifest.region,
    AWS_ACCESS_KEY_ID: manifest.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: manifest.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: manifest.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SNS: manifest.endpoints.sns,
    ALERTS_TABLE: manifest.tables.alerts,
    ALERTS_TOPIC_ARN: manifest.alertsTopicArn,
    AWS_MAX_ATTEMPTS: '2',
  };
}

/** A handler with its own DynamoDB store (request counters exposed), as a fresh Lambda sandbox would build it. */
export function sandbox(stack: LocalStack, now: () => number, emfWriter: EmfWriter = () => undefined) {
  const env = functionEnv(stack);
  const probe = dependenciesFromEnv(env, { logger: createLogger({ service: 'test', level: 'silent' }), emfWriter });
  const store = new DynamoDbDetectorStore(createDynamoDbClient(probe.config), probe.config.tables.alerts, { stateTtlHours: 48, historyTtlDays: 30 });
  const deps = dependenciesFromEnv(env, { store, logger: createLogger({ service: 'test', level: 'silent' }), emfWriter, now });
  return { handler: createHandler(deps), store, config: probe.config };
}

export function sqsClient(stack: LocalStack): SQSClient {
  const { manifest } = stack;
  return new SQSClient({ region: manifest.region, endpoint: manifest.endpoints.sqs, credentials: manifest.credentials, requestHandler: httpHandler() });
}

/** Drains the alerts queue: polls until two polls in a row come back empty. */
export async function drainAlerts(stack: LocalStack, sqs: SQSClient = sqsClient(stack)): Promise<AlertNotification[]> {
  const received: AlertNotification[] = [];
  for (let empty = 0; empty < 2; ) {
    const batch = await receiveNotifications(sqs, stack.manifest.alertsQueueUrl, { waitSeconds: 1 });
    received.push(...batch);
    empty = batch.length === 0 ? empty + 1 : 0;
  }
  return received;
}
