import type { _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import { MetricsLogger, type EmfWriter, type Logger } from '@clickstream/shared';
import {
  decideAfterInvoke,
  decideBeforeInvoke,
  NO_RETRIES,
  retryDelayMs,
  sliceRange,
  type AfterInvoke,
  type BatchEntry,
  type DiscardCondition,
  type RetrySettings,
  type RetryState,
} from './decision';
import type { ShardInvoker } from './invoker';
import { arrivalMs, toLambdaEvent, type FunctionIdentity } from './lambda-event';
import { onFailureRecord, type DiscardedBatch, type OnFailureDestination } from './on-failure';
import type { MappingStats } from './stats';
import { pause } from './timing';

export interface DeliveryOptions {
  mappingUuid: string;
  fn: FunctionIdentity;
  streamArn: string;
  shardId: string;
  settings: RetrySettings;
  invoker: ShardInvoker;
  /** Records the shard's progress: everything up to `sequenceNumber` is done. */
  checkpoint(sequenceNumber: string): void;
  onFailure?: OnFailureDestination;
  /** Where the mapping's own metrics go (AWS/Lambda, by EventSourceMappingUUID, as Lambda reports them). */
  emfWriter?: EmfWriter;
  stats: MappingStats;
  logger: Logger;
  now: () => number;
  signal: AbortSignal;
}

type Step = { next: KinesisRecord[][] } | { repollFrom: string };

/**
 * Carries one batch of a shard through invocations until every record is checkpointed or
 * discarded, applying the pure decisions of `decision.ts`. Bisected halves wait their turn in
 * order, so checkpoints only move forward. The retry state outlives the batch: a re-poll after a
 * partial failure comes back with the same first record and keeps counting its attempts.
 */
export class BatchDelivery {
  private retry: RetryState = NO_RETRIES;

  constructor(private readonly options: DeliveryOptions) {}

  /** Delivers `batch`; returns where to re-read the shard from after a partial failure without bisect. */
  async deliver(batch: KinesisRecord[]): Promise<{ repollFrom?: string }> {
    const pending: KinesisRecord[][] = [batch];
    while (pending.length > 0 && !this.options.signal.aborted) {
      const step = await this.attempt(pending[0]!);
      if ('repollFrom' in step) return { repollFrom: step.repollFrom };
      pending.splice(0, 1, ...step.next);
    }
    return {};
  }

  /** One attempt at `records`: age check, invocation, decision. */
  private async attempt(records: KinesisRecord[]): Promise<Step> {
    const { settings, now } = this.options;
    const before = decideBeforeInvoke(entries(records), this.retry, settings, now());
    if (before.discard !== undefined) {
      const { records: range, condition, invokeCount } = before.discard;
      if (!(await this.discard(sliceRange(records, range), condition, invokeCount))) return { next: [] };
      this.options.checkpoint(range.last);
    }
    if (before.invoke === undefined) return { next: [] };
    const batch = sliceRange(records, before.invoke);
    const outcome = await this.options.invoker.invoke(batch);
    const decision = decideAfterInvoke(entries(batch), outcome, this.retry, settings);
    this.retry = decision.retry;
    return this.apply(decision, batch);
  }

  private async apply(decision: AfterInvoke, batch: KinesisRecord[]): Promise<Step> {
    const { checkpoint, logger, shardId, signal } = this.options;
    switch (decision.action) {
      case 'checkpoint':
        checkpoint(decision.checkpoint);
        return { next: [] };
      case 'discard':
        if (await this.discard(sliceRange(batch, decision.records), decision.condition, decision.invokeCount, decision.functionError)) checkpoint(decision.checkpoint);
        return { next: [] };
      case 'bisect':
        logger.info({ shardId, size: batch.length }, 'function error: bisecting batch');
        return { next: decision.halves.map((half) => sliceRange(batch, half)) };
      case 'retry':
        if (decision.checkpoint !== undefined) checkpoint(decision.checkpoint);
        await pause(decision.delayMs, signal);
        return { next: [sliceRange(batch, decision.records)] };
      case 'repoll':
        if (decision.checkpoint !== undefined) checkpoint(decision.checkpoint);
        await pause(decision.delayMs, signal);
        return { repollFrom: decision.from };
    }
  }

  /**
   * Writes the on-failure record (with the records' invocation payload) and counts the discard.
   * The destination is retried until it takes the record: a discard must keep its data. Returns
   * false when the mapping stops first (the records are not checkpointed and are read again).
   */
  private async discard(records: KinesisRecord[], condition: DiscardCondition, invokeCount: number, functionError?: string): Promise<boolean> {
    const { fn, shardId, streamArn, stats, logger } = this.options;
    const failure = onFailureRecord({
      functionArn: fn.functionArn,
      streamArn,
      shardId,
      records,
      condition,
      invokeCount,
      ...(functionError === undefined ? {} : { functionError }),
      nowMs: this.options.now(),
    });
    const invocation = toLambdaEvent(records, shardId, streamArn, fn);
    if (!(await this.writeOnFailure({ mappingUuid: this.options.mappingUuid, failure, invocation }))) return false;
    stats.recordsDiscarded += records.length;
    stats.batchesDiscarded++;
    // Lambda's event source mapping metric for records delivered to the on-failure destination.
    if (this.options.emfWriter !== undefined && this.options.onFailure !== undefined) {
      const metrics = new MetricsLogger('AWS/Lambda', { EventSourceMappingUUID: this.options.mappingUuid }, this.options.emfWriter);
      metrics.add('OnFailureDestinationDeliveredEventCount', records.length);
      metrics.flush(this.options.now());
    }
    logger.error({ ...failure.KinesisBatchInfo, condition }, 'records discarded to the on-failure destination');
    return true;
  }

  /** Sends to the destination until it succeeds; false if the mapping stops first. */
  private async writeOnFailure(batch: DiscardedBatch): Promise<boolean> {
    const { onFailure, logger, signal } = this.options;
    if (onFailure === undefined) return true;
    for (let attempt = 1; ; attempt++) {
      try {
        await onFailure.send(batch);
        return true;
      } catch (error) {
        if (signal.aborted) return false;
        logger.warn({ err: error, attempt, ...batch.failure.KinesisBatchInfo }, 'could not write the on-failure record; retrying');
        await pause(retryDelayMs(attempt, this.options.settings), signal);
        if (signal.aborted) return false;
      }
    }
  }
}

function entries(records: readonly KinesisRecord[]): BatchEntry[] {
  return records.map((record) => ({ sequenceNumber: record.SequenceNumber!, arrivalMs: arrivalMs(record) }));
}
