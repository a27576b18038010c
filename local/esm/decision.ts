/**
 * What Lambda's Kinesis event source mapping does with a batch, as pure functions of the batch,
 * the invocation's outcome, the retry state and the settings (no clock, no I/O):
 * https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html and
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
 *
 * - Before every (re)try, records older than `MaximumRecordAgeInSeconds` are discarded
 *   (`RecordAgeExceeded`) without invoking; -1 keeps them until the stream's retention drops them.
 * - Success checkpoints the batch's last record.
 * - A partial batch response (`ReportBatchItemFailures`) checkpoints just before the lowest
 *   reported sequence number. With `BisectBatchOnFunctionError` the batch is cut there and only
 *   the remaining records are retried; without it the mapping re-reads the shard from that record
 *   (the retry may hold more records than the failed batch). Either way it is an attempt.
 * - A function error or timeout with bisect on splits the batch in two; splitting does not
 *   consume the retry quota. A batch that cannot be split (one record, or bisect off) is retried
 *   up to `MaximumRetryAttempts` times (-1: until the records expire), then discarded
 *   (`RetryAttemptsExhausted`) and checkpointed so the shard moves on.
 * - Retries back off exponentially, capped (Lambda documents no schedule for streams).
 */

/** What a decision needs of a record: its place in the shard and when it arrived. */
export interface BatchEntry {
  sequenceNumber: string;
  /** ApproximateArrivalTimestamp, epoch ms. */
  arrivalMs: number;
}

/** Records `first`…`last` of a batch, by sequence number, both included. */
export interface RecordRange {
  first: string;
  last: string;
}

export type InvokeOutcome =
  | { kind: 'success' }
  | { kind: 'partial'; lowest: string }
  | { kind: 'error'; error: unknown }
  | { kind: 'timeout'; error: unknown };

/** The failing batch that starts at `startSequence` has been invoked `attempts` times. */
export interface RetryState {
  startSequence?: string;
  attempts: number;
}

export const NO_RETRIES: RetryState = Object.freeze({ attempts: 0 });

export interface RetrySettings {
  bisectBatchOnFunctionError: boolean;
  /** -1: retry until the records expire. */
  maximumRetryAttempts: number;
  /** -1: no age limit. */
  maximumRecordAgeInSeconds: number;
  /** First retry's delay; each further attempt doubles it up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
}

export type DiscardCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

export interface BeforeInvoke {
  /** Expired records to discard (and checkpoint past) before anything else. */
  discard?: { records: RecordRange; condition: 'RecordAgeExceeded'; invokeCount: number };
  /** What is left to invoke the function with. */
  invoke?: RecordRange;
}

export type AfterInvoke =
  | { action: 'checkpoint'; checkpoint: string; retry: RetryState }
  | { action: 'retry'; records: RecordRange; checkpoint?: string; delayMs: number; retry: RetryState }
  | { action: 'repoll'; from: string; checkpoint?: string; delayMs: number; retry: RetryState }
  | { action: 'bisect'; halves: [RecordRange, RecordRange]; retry: RetryState }
  | {
      action: 'discard';
      records: RecordRange;
      condition: 'RetryAttemptsExhausted';
      /** The on-failure record's `approximateInvokeCount`. */
      invokeCount: number;
      /** `Unhandled` after a function error or timeout; absent after partial batch responses. */
      functionError?: 'Unhandled';
      checkpoint: string;
      retry: RetryState;
    };

/**
 * Splits off the records that are too old to invoke with. Arrival times grow along a shard, so
 * the expired records are the batch's leading run; the rest are invoked.
 */
export function decideBeforeInvoke(batch: readonly BatchEntry[], retry: RetryState, settings: Pick<RetrySettings, 'maximumRecordAgeInSeconds'>, nowMs: number): BeforeInvoke {
  if (batch.length === 0) return {};
  const whole = rangeOf(batch, 0, batch.length - 1);
  if (settings.maximumRecordAgeInSeconds < 0) return { invoke: whole };
  const oldestAllowedMs = nowMs - settings.maximumRecordAgeInSeconds * 1000;
  let expired = 0;
  while (expired < batch.length && batch[expired]!.arrivalMs < oldestAllowedMs) expired++;
  if (expired === 0) return { invoke: whole };
  const invokeCount = retry.startSequence === batch[0]!.sequenceNumber ? retry.attempts : 0;
  const discard = { records: rangeOf(batch, 0, expired - 1), condition: 'RecordAgeExceeded' as const, invokeCount };
  return expired === batch.length ? { discard } : { discard, invoke: rangeOf(batch, expired, batch.length - 1) };
}

/** The next step after invoking the function with `batch`. */
export function decideAfterInvoke(batch: readonly BatchEntry[], outcome: InvokeOutcome, retry: RetryState, settings: RetrySettings): AfterInvoke {
  if (batch.length === 0) throw new Error('decideAfterInvoke needs the batch that was invoked');
  const last = batch[batch.length - 1]!.sequenceNumber;
  switch (outcome.kind) {
    case 'success':
      return { action: 'checkpoint', checkpoint: last, retry: NO_RETRIES };
    case 'partial':
      return afterPartialFailure(batch, outcome.lowest, retry, settings);
    case 'error':
    case 'timeout':
      return afterFunctionError(batch, retry, settings);
  }
}

function afterPartialFailure(batch: readonly BatchEntry[], lowest: string, retry: RetryState, settings: RetrySettings): AfterInvoke {
  const index = batch.findIndex((entry) => entry.sequenceNumber === lowest);
  if (index < 0) throw new Error(`reported failure ${lowest} is not in the batch`);
  const last = batch[batch.length - 1]!.sequenceNumber;
  const checkpoint = index > 0 ? { checkpoint: batch[index - 1]!.sequenceNumber } : {};
  const attempts = attemptsAfterFailure(retry, lowest);
  if (exhausted(attempts, settings)) {
    return { action: 'discard', records: { first: lowest, last }, condition: 'RetryAttemptsExhausted', invokeCount: attempts, checkpoint: last, retry: NO_RETRIES };
  }
  const next = { ...checkpoint, delayMs: retryDelayMs(attempts, settings), retry: { startSequence: lowest, attempts } };
  return settings.bisectBatchOnFunctionError ? { action: 'retry', records: { first: lowest, last }, ...next } : { action: 'repoll', from: lowest, ...next };
}

function afterFunctionError(batch: readonly BatchEntry[], retry: RetryState, settings: RetrySettings): AfterInvoke {
  if (settings.bisectBatchOnFunctionError && batch.length > 1) {
    const middle = Math.ceil(batch.length / 2);
    return { action: 'bisect', halves: [rangeOf(batch, 0, middle - 1), rangeOf(batch, middle, batch.length - 1)], retry };
  }
  const whole = rangeOf(batch, 0, batch.length - 1);
  const attempts = attemptsAfterFailure(retry, whole.first);
  if (exhausted(attempts, settings)) {
    return { action: 'discard', records: whole, condition: 'RetryAttemptsExhausted', invokeCount: attempts, functionError: 'Unhandled', checkpoint: whole.last, retry: NO_RETRIES };
  }
  return { action: 'retry', records: whole, delayMs: retryDelayMs(attempts, settings), retry: { startSequence: whole.first, attempts } };
}

/** Attempts of the batch starting at `startSequence` once this failure is counted. */
function attemptsAfterFailure(retry: RetryState, startSequence: string): number {
  return (retry.startSequence === startSequence ? retry.attempts : 0) + 1;
}

/** `attempts` invocations have failed: with N retries allowed, the (N+1)th failure ends it. */
function exhausted(attempts: number, settings: Pick<RetrySettings, 'maximumRetryAttempts'>): boolean {
  return settings.maximumRetryAttempts >= 0 && attempts > settings.maximumRetryAttempts;
}

/** Delay before the retry that follows the `attempts`th failure: doubling, capped. */
export function retryDelayMs(attempts: number, settings: Pick<RetrySettings, 'retryDelayMs' | 'maxRetryDelayMs'>): number {
  return Math.min(settings.maxRetryDelayMs, settings.retryDelayMs * 2 ** Math.max(0, attempts - 1));
}

function rangeOf(batch: readonly BatchEntry[], from: number, to: number): RecordRange {
  return { first: batch[from]!.sequenceNumber, last: batch[to]!.sequenceNumber };
}

/** The records of `batch` within `range` (both ends included). */
export function sliceRange<T extends { SequenceNumber?: string | undefined }>(batch: readonly T[], range: RecordRange): T[] {
  const from = batch.findIndex((record) => record.SequenceNumber === range.first);
  const to = batch.findIndex((record) => record.SequenceNumber === range.last);
  if (from < 0 || to < from) throw new Error(`records ${range.first}…${range.last} are not in the batch`);
  return batch.slice(from, to + 1);
}
