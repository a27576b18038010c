import { Fn, type IResolvable } from 'cdktn';
import type { KinesisStream } from '@cdktn/provider-aws/lib/kinesis-stream';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { CONSUMERS, functionEnvironment, type LogLevel, type ResourceNames, type ServiceName } from '@clickstream/shared';
import type { Bundles } from '../bundles';
import type { OnFailureDestination, StreamConsumerFunctionProps } from './stream-consumer-function';

/** What every service construct receives from the stack. */
export interface ConsumerInputs {
  project: string;
  environment: string;
  /** resourceNames() of the deployment, with the archive bucket's actual name. */
  names: ResourceNames;
  bundles: Bundles;
  stream: KinesisStream;
  key: KmsKey;
  onFailure: OnFailureDestination;
  memorySize: number;
  timeout: number;
  reservedConcurrency: number;
  tracing: boolean | IResolvable;
  /** The enhanced_fan_out_consumers variable: services that read through a fan-out consumer. */
  enhancedFanOutConsumers: string[];
  maximumRecordAgeInSeconds: number;
  logRetentionDays: number;
  logLevel: string;
  /** The privacy settings every consumer applies before storing (README "Privacy"). */
  privacyEnvironment: Record<string, string>;
}

/** Role names: `<function name>-role`. */
export const roleName = (functionName: string) => `${functionName}-role`;

/** The StreamConsumerFunction props every service shares; the service adds statements and batch size. */
export function consumerProps(
  service: ServiceName,
  inputs: ConsumerInputs,
  extra: { batchSize: number; alertsTopicArn?: string; environment?: Record<string, string> },
): Omit<StreamConsumerFunctionProps, 'statements'> {
  return {
    service,
    functionName: inputs.names.functions[service],
    roleName: roleName(inputs.names.functions[service]),
    onFailure: inputs.onFailure,
    bundle: inputs.bundles[service],
    stream: inputs.stream,
    key: inputs.key,
    settings: CONSUMERS[service],
    batchSize: extra.batchSize,
    maximumRecordAgeInSeconds: inputs.maximumRecordAgeInSeconds,
    memorySize: inputs.memorySize,
    timeout: inputs.timeout,
    reservedConcurrency: inputs.reservedConcurrency,
    tracing: inputs.tracing,
    enhancedFanOut: Fn.contains(inputs.enhancedFanOutConsumers, service),
    logRetentionDays: inputs.logRetentionDays,
    environment: functionEnvironment({
      service,
      project: inputs.project,
      environment: inputs.environment,
      names: inputs.names,
      alertsTopicArn: extra.alertsTopicArn,
      // A Terraform variable (validated against the pino levels) at deploy time.
      logLevel: inputs.logLevel as LogLevel,
      extra: { ...inputs.privacyEnvironment, ...extra.environment },
    }),
  };
}
