import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Config, Endpoints } from '../contract/config';
import { meterCapacity, processCapacity, type CapacityMeter } from '../dynamo/capacity';

/**
 * The one client factory: every AWS SDK v3 client of the project (services, local stack, tools,
 * load test) is built here. Every client uses `NodeHttpHandler` (HTTP/1.1): the Kinesis client
 * defaults to HTTP/2, which the local emulators break on.
 */

/** Where clients connect and as whom: a service's `Config`, or the local stack's manifest. */
export interface ClientConfig {
  region?: string;
  endpoints?: Endpoints;
  /** SDK attempts per request (default: the SDK's own). */
  awsMaxAttempts?: number;
  credentials?: Config['credentials'];
  /** Sockets per client (default 64). */
  maxSockets?: number;
  /**
   * Where a DynamoDB client reports the capacity units of its requests (default: `processCapacity`,
   * which the load test reads); null for clients whose reads are not the pipeline's (the load test's own).
   */
  capacity?: CapacityMeter | null;
}

export function httpHandler(maxSockets = 64): NodeHttpHandler {
  return new NodeHttpHandler({
    httpAgent: new Agent({ keepAlive: true, maxSockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
  });
}

/** Constructor options shared by every client: region, endpoint override, retries, credentials. */
export function clientOptions(config: ClientConfig, service: keyof Endpoints) {
  const endpoint = config.endpoints?.[service];
  return {
    ...(config.region === undefined ? {} : { region: config.region }),
    ...(config.awsMaxAttempts === undefined ? {} : { maxAttempts: config.awsMaxAttempts }),
    requestHandler: httpHandler(config.maxSockets),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
  };
}

export function createKinesisClient(config: ClientConfig): KinesisClient {
  return new KinesisClient(clientOptions(config, 'kinesis'));
}

/** The DynamoDB document client (plain JavaScript values; `undefined` attributes left out). */
export function createDynamoDbClient(config: ClientConfig): DynamoDBDocumentClient {
  const client = new DynamoDBClient(clientOptions(config, 'dynamodb'));
  const meter = config.capacity === undefined ? processCapacity : config.capacity;
  if (meter !== null) meterCapacity(client, meter);
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** S3 with path-style addressing when an endpoint (an emulator) is set. */
export function createS3Client(config: ClientConfig): S3Client {
  return new S3Client({ ...clientOptions(config, 's3'), ...(config.endpoints?.s3 === undefined ? {} : { forcePathStyle: true }) });
}

export function createSnsClient(config: ClientConfig): SNSClient {
  return new SNSClient(clientOptions(config, 'sns'));
}

export function createSqsClient(config: ClientConfig): SQSClient {
  return new SQSClient(clientOptions(config, 'sqs'));
}

export function createCloudWatchClient(config: ClientConfig): CloudWatchClient {
  return new CloudWatchClient(clientOptions(config, 'cloudwatch'));
}

/** SSM Parameter Store, for the address-pseudonymization secret. */
export function createSsmClient(config: ClientConfig): SSMClient {
  return new SSMClient(clientOptions(config, 'ssm'));
}

/** Secrets Manager, for the address-pseudonymization secret. */
export function createSecretsManagerClient(config: ClientConfig): SecretsManagerClient {
  return new SecretsManagerClient(clientOptions(config, 'secretsManager'));
}

/** Lambda, for invoking deployed functions (`npm run replay -- --target aws`); Endpoints has no Lambda override. */
export function createLambdaClient(config: ClientConfig): LambdaClient {
  return new LambdaClient({
    ...(config.region === undefined ? {} : { region: config.region }),
    ...(config.awsMaxAttempts === undefined ? {} : { maxAttempts: config.awsMaxAttempts }),
    requestHandler: httpHandler(config.maxSockets),
    ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
  });
}
