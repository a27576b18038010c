import type { _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { compareSequenceNumbers, MetricsLogger, type EmfWriter, type Logger } from '@clickstream/shared';
import type { InvokeOutcome } from './decision';
import { arrivalMs, createContext, toLambdaEvent, type FunctionIdentity } from './lambda-event';
import type { MappingStats } from './stats';
import { waitFor } from './timing';

export type LambdaInvoke = (event: KinesisStreamEvent, context: Context) => Promise<unknown>;

export interface InvokerOptions {
  fn: FunctionIdentity;
  streamArn: string;
  shardId: string;
  invoke: LambdaInvoke;
  timeoutSeconds: number;
  reportBatchItemFailures: boolean;
  stats: MappingStats;
  logger: Logger;
  emfWriter?: EmfWriter;
  now: () => number;
  signal: AbortSignal;
}

/**
 * Invokes the function for one shard, synchronously, the way Lambda does, and reports the
 * `AWS/Lambda` metrics Lambda reports (IteratorAge, Invocations, Errors, Duration).
 *
 * A timed-out invocation counts as failed at its deadline. On Lambda its sandbox is stopped; an
 * in-process handler cannot be stopped, so it is isolated instead: its result is ignored, and the
 * shard's next invocation (the retry, or a bisected half) waits until it has actually settled.
 * So two invocations never run on one shard at once, and a late write of the timed-out
 * invocation cannot land after the retry's.
 */
export class ShardInvoker {
  private unsettled: Promise<void> | undefined;

  constructor(private readonly options: InvokerOptions) {}

  /** True while a timed-out invocation is still running. */
  get isolating(): boolean {
    return this.unsettled !== undefined;
  }

  async invoke(batch: readonly KinesisRecord[]): Promise<InvokeOutcome> {
    await this.untilSettled();
    const { fn, timeoutSeconds, stats, now } = this.options;
    const metrics = new MetricsLogger('AWS/Lambda', { FunctionName: fn.functionName }, this.options.emfWriter ?? (() => undefined));
    const timeoutMs = timeoutSeconds * 1000;
    const startedMs = now();
    // IteratorAge: time between the last record's arrival and the moment the batch is sent.
    metrics.add('IteratorAge', Math.max(0, startedMs - arrivalMs(batch[batch.length - 1]!)), 'Milliseconds');
    metrics.add('Invocations', 1);
    stats.invocations++;
    stats.recordsDelivered += batch.length;
    const outcome = await this.run(batch, timeoutMs);
    metrics.add('Duration', now() - startedMs, 'Milliseconds');
    metrics.add('Errors', outcome.kind === 'error' || outcome.kind === 'timeout' ? 1 : 0);
    metrics.flush(startedMs);
    this.count(outcome, batch.length);
    return outcome;
  }

  private async run(batch: readonly KinesisRecord[], timeoutMs: number): Promise<InvokeOutcome> {
    const { fn, shardId, streamArn, timeoutSeconds } = this.options;
    const event = toLambdaEvent(batch, shardId, streamArn, fn);
    const context = createContext(fn, timeoutMs, this.options.now);
    const running = Promise.resolve().then(() => this.options.invoke(event, context));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const result = await Promise.race([running.then((response) => ({ response })), deadline]);
      if (result === 'timeout') {
        this.isolate(running);
        return { kind: 'timeout', error: Object.assign(new Error(`Task timed out after ${timeoutSeconds.toFixed(2)} seconds`), { name: 'TimeoutError' }) };
      }
      return this.options.reportBatchItemFailures ? parseBatchResponse(result.response, batch) : { kind: 'success' };
    } catch (error) {
      return { kind: 'error', error };
    } finally {
      clearTimeout(timer);
    }
  }

  private isolate(running: Promise<unknown>): void {
    const settled: Promise<void> = running
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        if (this.unsettled === settled) this.unsettled = undefined;
      });
    this.unsettled = settled;
  }

  private async untilSettled(): Promise<void> {
    if (this.unsettled === undefined) return;
    this.options.logger.warn({ shardId: this.options.shardId }, 'waiting for the timed-out invocation to settle before invoking again');
    await waitFor(this.unsettled, this.options.signal);
  }

  private count(outcome: InvokeOutcome, size: number): void {
    const { stats, logger, shardId } = this.options;
    if (outcome.kind === 'partial') stats.partialFailures++;
    if (outcome.kind !== 'error' && outcome.kind !== 'timeout') return;
    stats.functionErrors++;
    if (outcome.kind === 'timeout') stats.timeouts++;
    logger.warn({ err: outcome.error, shardId, size }, outcome.kind === 'timeout' ? 'function timed out' : 'function error');
  }
}

/**
 * Reads a `ReportBatchItemFailures` response. Empty or absent lists mean success; an identifier
 * that is empty, malformed or not in the batch makes the whole batch a failure, as on Lambda.
 */
export function parseBatchResponse(response: unknown, batch: ReadonlyArray<Pick<KinesisRecord, 'SequenceNumber'>>): InvokeOutcome {
  if (response === undefined || response === null || typeof response !== 'object') return { kind: 'success' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'error', error: new Error('batchItemFailures is not a list') };
  if (failures.length === 0) return { kind: 'success' };
  const inBatch = new Set(batch.map((record) => record.SequenceNumber));
  let lowest: string | undefined;
  for (const failure of failures) {
    const identifier = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof identifier !== 'string' || identifier === '' || !inBatch.has(identifier)) {
      return { kind: 'error', error: new Error(`invalid itemIdentifier ${JSON.stringify(identifier)} in batchItemFailures`) };
    }
    if (lowest === undefined || compareSequenceNumbers(identifier, lowest) < 0) lowest = identifier;
  }
  return { kind: 'partial', lowest: lowest! };
}
