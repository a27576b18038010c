import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type _Record as KinesisRecord, type KinesisClient, type ShardIteratorType } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { compareSequenceNumbers, MetricsLogger, type ConsumerSettings, type EmfWriter, type Logger } from '@clickstream/shared';
import type { CheckpointStore } from './checkpoints';
import { createContext, toLambdaEvent, type FunctionIdentity } from './lambda-event';

/**
 * A local Kinesis event source mapping that behaves like Lambda's:
 * https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html and
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
 *
 * - one poller per shard, one batch in flight per shard, records in shard order;
 * - a batch is sent when it reaches `batchSize`, 6 MB, or `maximumBatchingWindowInSeconds`;
 * - success checkpoints the batch's last record; a partial batch response checkpoints just
 *   before the lowest reported sequence number and re-polls from it (the retry may hold more
 *   records than the failed batch, as on Lambda);
 * - a thrown error, a timeout or an invalid response fails the whole batch: with
 *   `bisectBatchOnFunctionError` it is split in two and each half retried (splits do not use
 *   the retry quota), otherwise it is retried up to `maximumRetryAttempts`;
 * - records older than `maximumRecordAgeInSeconds`, and batches out of retries, are discarded
 *   with an on-failure record (Lambda's shape) sent to the on-failure destination.
 */

export interface OnFailureRecord {
  requestContext: { requestId: string; functionArn: string; condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded'; approximateInvokeCount: number };
  responseContext?: { statusCode: number; executedVersion: string; functionError?: string };
  version: '1.0';
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export interface OnFailureDestination {
  send(record: OnFailureRecord): Promise<void>;
}

export type LambdaInvoke = (event: KinesisStreamEvent, context: Context) => Promise<unknown>;

export interface MappingSettings extends ConsumerSettings {
  /** Epoch seconds, with `startingPosition: 'AT_TIMESTAMP'`. */
  startingPositionTimestamp?: number;
}

export interface EventSourceMappingOptions {
  /** Checkpoints are kept per mapping id. */
  id: string;
  fn: FunctionIdentity;
  streamName: string;
  streamArn: string;
  settings: MappingSettings;
  kinesis: KinesisClient;
  invoke: LambdaInvoke;
  checkpoints: CheckpointStore;
  onFailure?: OnFailureDestination;
  logger: Logger;
  /** Where the mapping's own metrics go (namespace AWS/Lambda, as Lambda reports them). */
  emfWriter?: EmfWriter;
  /** Pause between polls of an empty shard. Lambda polls once a second; locally faster by default. */
  pollIntervalMs?: number;
  /** Base pause before retrying a failed batch (grows with the attempt). */
  retryDelayMs?: number;
  now?: () => number;
}

export interface ShardStatus {
  shardId: string;
  checkpoint?: string;
  millisBehindLatest: number;
  idle: boolean;
}

export interface MappingStats {
  invocations: number;
  functionErrors: number;
  partialFailures: number;
  recordsDelivered: number;
  recordsDiscarded: number;
  onFailureRecords: number;
}

const MAX_BATCH_BYTES = 6 * 1024 * 1024;

export class EventSourceMapping {
  readonly stats: MappingStats = { invocations: 0, functionErrors: 0, partialFailures: 0, recordsDelivered: 0, recordsDiscarded: 0, onFailureRecords: 0 };
  private readonly pollers = new Map<string, ShardPoller>();
  private readonly running: Promise<void>[] = [];
  private readonly abort = new AbortController();
  private shardRefresh?: NodeJS.Timeout;

  constructor(readonly options: EventSourceMappingOptions) {}

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  async start(): Promise<void> {
    await this.discoverShards();
    // Pick up shards created later (a stream recreated or resharded by hand).
    this.shardRefresh = setInterval(() => {
      this.discoverShards().catch((error: unknown) => this.options.logger.warn({ err: error }, 'listing shards failed'));
    }, 10_000);
    this.shardRefresh.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.shardRefresh);
    this.abort.abort();
    await Promise.allSettled(this.running);
  }

  shards(): ShardStatus[] {
    return [...this.pollers.values()].map((poller) => poller.status());
  }

  /** True when every shard has been read to its end and nothing is buffered or in flight. */
  isIdle(): boolean {
    return [...this.pollers.values()].every((poller) => poller.status().idle);
  }

  private async discoverShards(): Promise<void> {
    const shardIds: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.options.kinesis.send(
        new ListShardsCommand(nextToken === undefined ? { StreamName: this.options.streamName } : { NextToken: nextToken }),
      );
      for (const shard of page.Shards ?? []) if (shard.ShardId) shardIds.push(shard.ShardId);
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
    for (const shardId of shardIds) {
      if (this.pollers.has(shardId) || this.stopped) continue;
      const poller = new ShardPoller(this, shardId);
      this.pollers.set(shardId, poller);
      this.running.push(poller.run());
    }
  }
}

type InvokeOutcome = { kind: 'success' } | { kind: 'partial'; lowest: string } | { kind: 'error'; error: unknown };

class ShardPoller {
  private iterator?: string;
  private buffer: KinesisRecord[] = [];
  private bufferBytes = 0;
  private firstBufferedAt = 0;
  private lastFetched?: string;
  private repollFrom?: string;
  private retry: { startSequence?: string; attempts: number } = { attempts: 0 };
  private millisBehindLatest = 0;
  private lastFetchEmpty = false;
  private delivering = false;
  private closed = false;
  private readonly options: EventSourceMappingOptions;
  private readonly now: () => number;

  constructor(
    private readonly mapping: EventSourceMapping,
    private readonly shardId: string,
  ) {
    this.options = mapping.options;
    this.now = mapping.options.now ?? Date.now;
  }

  status(): ShardStatus {
    const checkpoint = this.options.checkpoints.get(this.options.id, this.shardId);
    return {
      shardId: this.shardId,
      ...(checkpoint === undefined ? {} : { checkpoint }),
      millisBehindLatest: this.millisBehindLatest,
      idle: (this.closed || this.lastFetchEmpty) && this.buffer.length === 0 && !this.delivering && this.repollFrom === undefined,
    };
  }

  async run(): Promise<void> {
    const log = this.options.logger.child({ shardId: this.shardId });
    while (!this.mapping.stopped) {
      try {
        if (this.closed && this.buffer.length === 0) return;
        await this.step();
      } catch (error) {
        if (this.mapping.stopped) return;
        const name = (error as Error).name;
        if (name !== 'ExpiredIteratorException') log.warn({ err: error }, 'polling failed; retrying');
        this.iterator = undefined;
        await this.pause(1_000);
      }
    }
  }

  private async step(): Promise<void> {
    const { settings } = this.options;
    if (this.iterator === undefined && !this.closed) this.iterator = await this.openIterator();
    let fetched = 0;
    if (this.buffer.length < settings.batchSize && this.iterator !== undefined) {
      const page = await this.options.kinesis.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: settings.batchSize - this.buffer.length }));
      this.iterator = page.NextShardIterator ?? undefined;
      if (page.NextShardIterator === undefined || page.NextShardIterator === null) this.closed = true;
      this.millisBehindLatest = page.MillisBehindLatest ?? 0;
      for (const record of page.Records ?? []) {
        if (this.buffer.length === 0) this.firstBufferedAt = this.now();
        this.buffer.push(record);
        this.bufferBytes += (record.Data?.length ?? 0) + (record.PartitionKey?.length ?? 0);
        this.lastFetched = record.SequenceNumber;
        fetched++;
      }
      this.lastFetchEmpty = fetched === 0;
    }
    const windowMs = settings.maximumBatchingWindowInSeconds * 1000;
    const waited = this.now() - this.firstBufferedAt;
    const ready =
      this.buffer.length >= settings.batchSize ||
      this.bufferBytes >= MAX_BATCH_BYTES ||
      (this.buffer.length > 0 && (waited >= windowMs || this.closed));
    if (ready) {
      const batch = this.buffer.splice(0, settings.batchSize);
      this.bufferBytes = this.buffer.reduce((sum, record) => sum + (record.Data?.length ?? 0) + (record.PartitionKey?.length ?? 0), 0);
      if (this.buffer.length > 0) this.firstBufferedAt = this.now();
      this.delivering = true;
      try {
        const result = await this.deliver(batch);
        if (result.repollFrom !== undefined) {
          // Lambda re-reads from the checkpoint: drop what is buffered and fetch again from there.
          this.buffer = [];
          this.bufferBytes = 0;
          this.repollFrom = result.repollFrom;
          this.iterator = undefined;
          this.closed = false;
        }
      } finally {
        this.delivering = false;
      }
      return;
    }
    if (fetched === 0) {
      const pollInterval = this.options.pollIntervalMs ?? 250;
      await this.pause(this.buffer.length > 0 ? Math.max(1, Math.min(pollInterval, windowMs - waited)) : pollInterval);
    }
  }

  private async openIterator(): Promise<string | undefined> {
    const { settings } = this.options;
    const checkpoint = this.options.checkpoints.get(this.options.id, this.shardId);
    let request: { type: ShardIteratorType; sequenceNumber?: string; timestamp?: Date };
    if (this.repollFrom !== undefined) {
      request = { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: this.repollFrom };
      this.repollFrom = undefined;
      this.lastFetched = undefined;
    } else if (this.lastFetched !== undefined) {
      request = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: this.lastFetched };
    } else if (checkpoint !== undefined) {
      request = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: checkpoint };
    } else if (settings.startingPosition === 'AT_TIMESTAMP') {
      request = { type: 'AT_TIMESTAMP', timestamp: new Date((settings.startingPositionTimestamp ?? this.now() / 1000) * 1000) };
    } else {
      request = { type: settings.startingPosition };
    }
    const result = await this.options.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.options.streamName,
        ShardId: this.shardId,
        ShardIteratorType: request.type,
        ...(request.sequenceNumber === undefined ? {} : { StartingSequenceNumber: request.sequenceNumber }),
        ...(request.timestamp === undefined ? {} : { Timestamp: request.timestamp }),
      }),
    );
    return result.ShardIterator;
  }

  /** Delivers one batch until it is done; returns where to re-poll from after a partial failure. */
  private async deliver(records: KinesisRecord[]): Promise<{ repollFrom?: string }> {
    const { settings } = this.options;
    let batch = records;
    for (;;) {
      if (settings.maximumRecordAgeInSeconds >= 0) {
        const oldestAllowed = this.now() - settings.maximumRecordAgeInSeconds * 1000;
        const expired = batch.filter((record) => arrivalMs(record) < oldestAllowed);
        if (expired.length > 0) {
          await this.discard(expired, 'RecordAgeExceeded', 0);
          batch = batch.filter((record) => arrivalMs(record) >= oldestAllowed);
          if (batch.length === 0) {
            this.checkpoint(records[records.length - 1]!);
            return {};
          }
        }
      }
      const first = batch[0]!.SequenceNumber!;
      const outcome = await this.invoke(batch);
      if (outcome.kind === 'success') {
        this.checkpoint(batch[batch.length - 1]!);
        this.retry = { attempts: 0 };
        return {};
      }
      if (outcome.kind === 'partial') {
        const index = batch.findIndex((record) => record.SequenceNumber === outcome.lowest);
        if (index > 0) this.checkpoint(batch[index - 1]!);
        const attempts = (this.retry.startSequence === outcome.lowest ? this.retry.attempts : 0) + 1;
        if (settings.maximumRetryAttempts >= 0 && attempts > settings.maximumRetryAttempts) {
          await this.discard(batch.slice(index), 'RetryAttemptsExhausted', attempts);
          this.checkpoint(batch[batch.length - 1]!);
          this.retry = { attempts: 0 };
          return {};
        }
        this.retry = { startSequence: outcome.lowest, attempts };
        await this.pause(this.retryDelay(attempts));
        return { repollFrom: outcome.lowest };
      }
      if (settings.bisectBatchOnFunctionError && batch.length > 1) {
        const middle = Math.ceil(batch.length / 2);
        this.options.logger.info({ shardId: this.shardId, size: batch.length }, 'function error: bisecting batch');
        const head = await this.deliver(batch.slice(0, middle));
        if (head.repollFrom !== undefined || this.mapping.stopped) return head;
        return this.deliver(batch.slice(middle));
      }
      const attempts = (this.retry.startSequence === first ? this.retry.attempts : 0) + 1;
      if (settings.maximumRetryAttempts >= 0 && attempts > settings.maximumRetryAttempts) {
        await this.discard(batch, 'RetryAttemptsExhausted', attempts, 'Unhandled');
        this.checkpoint(batch[batch.length - 1]!);
        this.retry = { attempts: 0 };
        return {};
      }
      this.retry = { startSequence: first, attempts };
      await this.pause(this.retryDelay(attempts));
      if (this.mapping.stopped) return { repollFrom: first };
    }
  }

  private retryDelay(attempt: number): number {
    return Math.min(5_000, (this.options.retryDelayMs ?? 200) * attempt);
  }

  private async invoke(batch: KinesisRecord[]): Promise<InvokeOutcome> {
    const { fn, settings } = this.options;
    const metrics = new MetricsLogger('AWS/Lambda', { FunctionName: fn.functionName }, this.options.emfWriter ?? (() => undefined));
    const event = toLambdaEvent(batch, this.shardId, this.options.streamArn, fn);
    const timeoutMs = settings.timeoutSeconds * 1000;
    const context = createContext(fn, timeoutMs, this.now);
    const started = this.now();
    // IteratorAge: time between the last record's arrival and the moment the batch is sent.
    metrics.add('IteratorAge', Math.max(0, started - arrivalMs(batch[batch.length - 1]!)), 'Milliseconds');
    metrics.add('Invocations', 1);
    this.mapping.stats.invocations++;
    this.mapping.stats.recordsDelivered += batch.length;
    let outcome: InvokeOutcome;
    try {
      const response = await withTimeout(this.options.invoke(event, context), timeoutMs, `Task timed out after ${settings.timeoutSeconds.toFixed(2)} seconds`);
      outcome = settings.reportBatchItemFailures ? parseBatchResponse(response, batch) : { kind: 'success' };
    } catch (error) {
      outcome = { kind: 'error', error };
    }
    metrics.add('Duration', this.now() - started, 'Milliseconds');
    metrics.add('Errors', outcome.kind === 'error' ? 1 : 0);
    metrics.flush(started);
    if (outcome.kind === 'error') {
      this.mapping.stats.functionErrors++;
      this.options.logger.warn({ err: outcome.error, shardId: this.shardId, size: batch.length }, 'function error');
    } else if (outcome.kind === 'partial') {
      this.mapping.stats.partialFailures++;
    }
    return outcome;
  }

  private checkpoint(record: KinesisRecord): void {
    this.options.checkpoints.set(this.options.id, this.shardId, record.SequenceNumber!);
  }

  private async discard(records: KinesisRecord[], condition: OnFailureRecord['requestContext']['condition'], invokeCount: number, functionError?: string): Promise<void> {
    const { fn } = this.options;
    const first = records[0]!;
    const last = records[records.length - 1]!;
    const failure: OnFailureRecord = {
      requestContext: { requestId: crypto.randomUUID(), functionArn: fn.functionArn, condition, approximateInvokeCount: invokeCount },
      version: '1.0',
      timestamp: new Date(this.now()).toISOString(),
      KinesisBatchInfo: {
        shardId: this.shardId,
        startSequenceNumber: first.SequenceNumber!,
        endSequenceNumber: last.SequenceNumber!,
        approximateArrivalOfFirstRecord: new Date(arrivalMs(first)).toISOString(),
        approximateArrivalOfLastRecord: new Date(arrivalMs(last)).toISOString(),
        batchSize: records.length,
        streamArn: this.options.streamArn,
      },
    };
    // Records discarded before any invocation carry no responseContext.
    if (condition === 'RetryAttemptsExhausted') {
      failure.responseContext = { statusCode: 200, executedVersion: '$LATEST', ...(functionError === undefined ? {} : { functionError }) };
    }
    this.mapping.stats.recordsDiscarded += records.length;
    this.mapping.stats.onFailureRecords++;
    this.options.logger.error({ ...failure.KinesisBatchInfo, condition }, 'records discarded to the on-failure destination');
    if (this.options.onFailure === undefined) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.onFailure.send(failure);
        return;
      } catch (error) {
        if (attempt >= 5 || this.mapping.stopped) {
          this.options.logger.error({ err: error, failure }, 'could not deliver the on-failure record');
          return;
        }
        await this.pause(200 * attempt);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    const signal = this.mapping.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

function arrivalMs(record: KinesisRecord): number {
  return record.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
}

/**
 * Reads a `ReportBatchItemFailures` response. Empty or absent lists mean success; an identifier
 * that is empty, malformed or not in the batch makes the whole batch a failure, as on Lambda.
 */
export function parseBatchResponse(response: unknown, batch: readonly KinesisRecord[]): InvokeOutcome {
  if (response === undefined || response === null) return { kind: 'success' };
  if (typeof response !== 'object') return { kind: 'success' };
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

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(message), { name: 'TimeoutError' })), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
