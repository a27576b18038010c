import { coldStartHandler, createS3Client, serviceDependencies, streamHandler, type Env, type ServiceDependencies, type StreamHandler } from '@clickstream/shared';
import { archiveBatch, type ArchiveOutcome, type ArchiverOptions } from './processor';
import { S3ArchiveStore, type ArchiveStore } from './store';

export const SERVICE = 'archiver';

/** Groups (event hours, quarantine reasons) of one batch written in parallel. */
const WRITE_CONCURRENCY = 4;

export interface Dependencies extends ServiceDependencies {
  store: ArchiveStore;
}

/** Builds the production dependencies from the environment (called once per cold start). */
export function dependenciesFromEnv(env: Env, overrides: Partial<Omit<Dependencies, 'config'>> = {}): Dependencies {
  const base = serviceDependencies(SERVICE, env, overrides);
  return { ...base, store: overrides.store ?? new S3ArchiveStore(createS3Client(base.config), base.config.archiveBucket) };
}

/**
 * The Lambda handler: the shared stream handler decides each record; this archives the accepted
 * ones and quarantines the rejected ones. A failed S3 write comes back as the lowest sequence
 * number to redeliver (`ReportBatchItemFailures`).
 */
export function createHandler(deps: Dependencies): StreamHandler {
  const options: ArchiverOptions = { writeConcurrency: WRITE_CONCURRENCY };
  return streamHandler({
    ...deps,
    service: SERVICE,
    completedMessage: 'batch archived',
    processBatch: (batch, observe) => archiveBatch(batch, deps.store, options, observe),
    summarize: ({ keys: _keys, quarantined, ...counts }: ArchiveOutcome) => ({ ...counts, quarantined: Object.fromEntries(quarantined) }),
  });
}

/** Lambda entry point; configuration is parsed on the first invocation of the sandbox. */
export const handler = coldStartHandler(() => createHandler(dependenciesFromEnv(process.env)));
