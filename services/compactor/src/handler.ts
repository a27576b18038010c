import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createDynamoDbClient, createS3Client, observability, parseHourLabel, serviceDependencies, type Env, type ObservedContext, type ServiceDependencies } from '@clickstream/shared';
import { loadCompactorSettings, type CompactorSettings } from './config';
import { compactDue, compactHour, type CompactorOptions, type HourOutcome } from './processor';
import { AwsLakeStore, type LakeStore } from './store';

export const SERVICE = 'compactor';

/** Raw objects read in parallel per hour. */
const READ_CONCURRENCY = 8;

/**
 * What a schedule (EventBridge Scheduler's `input`) or `npm run compact` sends: nothing for a
 * scheduled run over the lookback window, `lookbackHours` to widen it (the daily run), or one
 * `hour` (`YYYY-MM-DDTHH`) to compact on demand, closed or not.
 */
export interface CompactorEvent {
  hour?: string;
  lookbackHours?: number;
}

export interface CompactorResult {
  hours: Array<Pick<HourOutcome, 'hour' | 'action' | 'reason'> & { generation?: string; rows?: number; countsAgree?: boolean | null }>;
}

export interface Dependencies extends ServiceDependencies {
  store: LakeStore;
  settings: CompactorSettings;
}

/** Builds the production dependencies from the environment (called once per cold start). */
export function dependenciesFromEnv(env: Env, overrides: Partial<Omit<Dependencies, 'config'>> = {}): Dependencies {
  const base = serviceDependencies(SERVICE, env, overrides);
  return {
    ...base,
    settings: overrides.settings ?? loadCompactorSettings(env),
    store: overrides.store ?? new AwsLakeStore(createS3Client(base.config), createDynamoDbClient(base.config), base.config.archiveBucket, base.config.tables.counters),
  };
}

export type CompactorHandler = (event: CompactorEvent, context: Context) => Promise<CompactorResult>;

/** The scheduled Lambda entry: one hour on demand, or every due hour of the lookback window. */
export function createHandler(deps: Dependencies): CompactorHandler {
  const options: CompactorOptions = { ...deps.settings, readConcurrency: READ_CONCURRENCY };
  const handler = middy<CompactorEvent, CompactorResult, Error, ObservedContext>()
    .use(observability({ logger: deps.logger, namespace: deps.config.metricsNamespace, service: SERVICE, emfWriter: deps.emfWriter }))
    .handler(async (event, context) => {
      const observe = { logger: context.logger, metrics: context.metrics };
      const input = event ?? {};
      const outcomes: HourOutcome[] =
        input.hour !== undefined
          ? [await compactHour(parseHourLabel(input.hour), deps.store, options, observe, deps.now)]
          : await compactDue(deps.store, { ...options, lookbackHours: validLookback(input.lookbackHours) ?? options.lookbackHours }, observe, deps.now);
      return {
        hours: outcomes.map((outcome) =>
          outcome.action === 'compacted'
            ? { hour: outcome.hour, action: outcome.action, reason: outcome.reason, generation: outcome.generation, rows: outcome.manifest.figures.curated_rows, countsAgree: outcome.verdict.countsAgree }
            : { hour: outcome.hour, action: outcome.action, reason: outcome.reason },
        ),
      };
    });
  return (event, context) => handler(event, context as ObservedContext);
}

function validLookback(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 24 * 14) throw new Error(`lookbackHours must be an integer from 1 to 336, got ${JSON.stringify(value)}`);
  return value;
}

let built: CompactorHandler | undefined;

/** Lambda entry point; configuration is parsed on the first invocation of the sandbox. */
export const handler: CompactorHandler = (event, context) => {
  built ??= createHandler(dependenciesFromEnv(process.env));
  return built(event, context);
};
