import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Config, Endpoints } from '../contract/config';

/**
 * AWS SDK v3 clients built from config. Every client uses `NodeHttpHandler` (HTTP/1.1): the
 * Kinesis client defaults to HTTP/2, which the local emulators break on.
 */
export function httpHandler(): NodeHttpHandler {
  return new NodeHttpHandler({
    httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
  });
}

/** Constructor options shared by every client: region, endpoint override, retries, credentials. */
export function clientOptions(config: Pick<Config, 'region' | 'endpoints' | 'awsMaxAttempts' | 'credentials'>, service: keyof Endpoints) {
  const endpoint = config.endpoints[service];
  return {
    region: config.region,
    maxAttempts: config.awsMaxAttempts,
    requestHandler: httpHandler(),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
  };
}

export function createKinesisClient(config: Parameters<typeof clientOptions>[0]): KinesisClient {
  return new KinesisClient(clientOptions(config, 'kinesis'));
}

export function createDynamoDbClient(config: Parameters<typeof clientOptions>[0]): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(clientOptions(config, 'dynamodb')), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
