import { ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { ConsumerSettings, EmfWriter, Logger } from '@clickstream/shared';
import { SHARD_END, type CheckpointStore } from './checkpoints';
import type { RetrySettings } from './decision';
import { BatchDelivery } from './delivery';
import { ShardInvoker, type LambdaInvoke } from './invoker';
import type { FunctionIdentity } from './lambda-event';
import { parentsOf, shardsReadyToRead, startPosition, type ShardLineage, type StartPosition } from './lineage';
import { mappingUuid, type OnFailureDestination } from './on-failure';
import { ShardConsumer } from './shard-consumer';
import { emptyStats, type MappingStats } from './stats';

/**
 * A local Kinesis event source mapping that behaves like Lambda's
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html): one poll loop per shard with
 * one batch in flight (`shard-consumer.ts`), the retry / bisect / checkpoint / discard rules as
 * pure decisions (`decision.ts`), the invocation with timeouts (`invoker.ts`), checkpoints per
 * shard (`checkpoints.ts`), Lambda's S3 on-failure destination (`on-failure.ts`), and shard
 * lineage after resharding (`lineage.ts`). This class only finds shards and starts and stops
 * their loops: a child shard once its parents are finished, new shards as `ListShards` shows
 * them (every `shardDiscoveryIntervalMs`, and at once when a shard finishes).
 */

export type { LambdaInvoke } from './invoker';
export type { DiscardedBatch, OnFailureDestination, OnFailureRecord, S3OnFailureObject } from './on-failure';
export type { MappingStats } from './stats';

export interface MappingSettings extends ConsumerSettings {
  /** Epoch seconds, with `startingPosition: 'AT_TIMESTAMP'`. */
  startingPositionTimestamp?: number;
}

export interface EventSourceMappingOptions {
  /** Checkpoints are kept per mapping id. */
  id: string;
  /** The mapping's UUID (names its S3 on-failure objects); derived from `id` when absent. */
  uuid?: string;
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
  /** Delay before the first retry of a failed batch; it doubles per attempt up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** How often `ListShards` looks for new shards (also done whenever a shard finishes). */
  shardDiscoveryIntervalMs?: number;
  now?: () => number;
}

export interface ShardStatus {
  shardId: string;
  /** `waiting`: a parent is not finished yet; `finished`: read to its end and checkpointed there. */
  state: 'waiting' | 'reading' | 'finished';
  closed: boolean;
  parents: string[];
  checkpoint?: string;
  millisBehindLatest: number;
  idle: boolean;
}

export class EventSourceMapping {
  readonly stats: MappingStats = emptyStats();
  readonly uuid: string;
  private readonly consumers = new Map<string, ShardConsumer>();
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private lineage: ShardLineage[] = [];
  private firstLookDone = false;
  private discovery: Promise<void> | undefined;
  private discoverAgain = false;
  private discoveryTimer: NodeJS.Timeout | undefined;

  constructor(readonly options: EventSourceMappingOptions) {
    this.uuid = options.uuid ?? mappingUuid(options.id);
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  async start(): Promise<void> {
    await this.refreshShards();
    this.discoveryTimer = setInterval(() => void this.discover(), this.options.shardDiscoveryIntervalMs ?? 10_000);
    this.discoveryTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.discoveryTimer);
    this.abort.abort();
    await Promise.allSettled([...this.running, ...(this.discovery ? [this.discovery] : [])]);
  }

  shards(): ShardStatus[] {
    return this.lineage.map((shard) => this.shardStatus(shard));
  }

  /** Lag: the iterator age of the slowest shard still being read (0 when every one is caught up). */
  millisBehindLatest(): number {
    return Math.max(0, ...[...this.consumers.values()].map((consumer) => consumer.progress().millisBehindLatest));
  }

  /**
   * True when every shard is finished or caught up with nothing in flight, and none waits for a
   * parent; with `sinceMs`, each open shard was also found empty by a read started at or after it.
   */
  isIdle(sinceMs?: number): boolean {
    return this.discovery === undefined && this.lineage.every((shard) => this.shardStatus(shard, sinceMs).idle);
  }

  private shardStatus(shard: ShardLineage, sinceMs?: number): ShardStatus {
    const checkpoint = this.options.checkpoints.get(this.options.id, shard.shardId);
    const base = { shardId: shard.shardId, closed: shard.closed, parents: parentsOf(shard), ...(checkpoint === undefined ? {} : { checkpoint }) };
    const consumer = this.consumers.get(shard.shardId);
    if (consumer !== undefined) return { ...base, state: 'reading', ...consumer.progress(sinceMs) };
    if (checkpoint === SHARD_END) return { ...base, state: 'finished', millisBehindLatest: 0, idle: true };
    return { ...base, state: 'waiting', millisBehindLatest: 0, idle: false };
  }

  /** Refreshes the shard list unless a refresh is running (then that one goes round again). */
  private discover(): Promise<void> {
    if (this.discovery !== undefined) {
      this.discoverAgain = true;
      return this.discovery;
    }
    this.discovery = (async () => {
      try {
        do {
          this.discoverAgain = false;
          await this.refreshShards();
        } while (this.discoverAgain && !this.stopped);
      } catch (error) {
        if (!this.stopped) this.options.logger.warn({ err: error }, 'listing shards failed');
      } finally {
        this.discovery = undefined;
      }
    })();
    return this.discovery;
  }

  private async refreshShards(): Promise<void> {
    const listed = await listShards(this.options.kinesis, this.options.streamName);
    if (this.stopped) return;
    this.lineage = listed;
    const { id, checkpoints, settings } = this.options;
    const firstLook = !this.firstLookDone && listed.every((shard) => checkpoints.get(id, shard.shardId) === undefined);
    this.firstLookDone = true;
    const listedIds = new Set(listed.map((shard) => shard.shardId));
    const isFinished = (shardId: string) => checkpoints.get(id, shardId) === SHARD_END;
    for (let ready = this.ready(listed, isFinished); ready.length > 0; ready = this.ready(listed, isFinished)) {
      for (const shard of ready) {
        const position = startPosition(
          shard,
          {
            checkpoint: checkpoints.get(id, shard.shardId),
            startingPosition: settings.startingPosition,
            startingPositionTimestamp: settings.startingPositionTimestamp ?? Date.now() / 1000,
            listed: listedIds,
            firstLook,
          },
          SHARD_END,
        );
        if (position === 'finished') checkpoints.set(id, shard.shardId, SHARD_END);
        else this.startConsumer(shard.shardId, position);
      }
    }
  }

  private ready(listed: readonly ShardLineage[], isFinished: (shardId: string) => boolean): ShardLineage[] {
    return this.stopped ? [] : shardsReadyToRead(listed, isFinished, (shardId) => this.consumers.has(shardId));
  }

  private startConsumer(shardId: string, start: StartPosition): void {
    const consumer = this.createConsumer(shardId, start);
    this.consumers.set(shardId, consumer);
    const run = consumer
      .run()
      .then((result) => {
        if (result !== 'finished') return;
        this.options.checkpoints.set(this.options.id, shardId, SHARD_END);
        this.options.logger.info({ shardId }, 'shard read to its end and checkpointed there');
      })
      .catch((error: unknown) => this.options.logger.error({ err: error, shardId }, 'shard poll loop failed'))
      .finally(() => {
        this.consumers.delete(shardId);
        this.running.delete(run);
        // A finished shard may unblock its children; a failed loop is restarted from its checkpoint.
        if (!this.stopped) void this.discover();
      });
    this.running.add(run);
  }

  private createConsumer(shardId: string, start: StartPosition): ShardConsumer {
    const { options } = this;
    const now = options.now ?? Date.now;
    const signal = this.abort.signal;
    const logger = options.logger.child({ shardId });
    const { settings } = options;
    const retrySettings: RetrySettings = {
      bisectBatchOnFunctionError: settings.bisectBatchOnFunctionError,
      maximumRetryAttempts: settings.maximumRetryAttempts,
      maximumRecordAgeInSeconds: settings.maximumRecordAgeInSeconds,
      retryDelayMs: options.retryDelayMs ?? 200,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 5_000,
    };
    const common = { fn: options.fn, streamArn: options.streamArn, shardId, stats: this.stats, logger, now, signal };
    const invoker = new ShardInvoker({
      ...common,
      invoke: options.invoke,
      timeoutSeconds: settings.timeoutSeconds,
      reportBatchItemFailures: settings.reportBatchItemFailures,
      ...(options.emfWriter === undefined ? {} : { emfWriter: options.emfWriter }),
    });
    const delivery = new BatchDelivery({
      ...common,
      mappingUuid: this.uuid,
      settings: retrySettings,
      invoker,
      checkpoint: (sequenceNumber) => options.checkpoints.set(options.id, shardId, sequenceNumber),
      ...(options.onFailure === undefined ? {} : { onFailure: options.onFailure }),
      ...(options.emfWriter === undefined ? {} : { emfWriter: options.emfWriter }),
    });
    return new ShardConsumer({
      shardId,
      start,
      kinesis: options.kinesis,
      streamName: options.streamName,
      batching: settings,
      delivery,
      pollIntervalMs: options.pollIntervalMs ?? 250,
      logger,
      now,
      signal,
    });
  }
}

/** Every shard of the stream with its lineage (ListShards, all pages). */
async function listShards(kinesis: KinesisClient, streamName: string): Promise<ShardLineage[]> {
  const shards: ShardLineage[] = [];
  let nextToken: string | undefined;
  do {
    const page = await kinesis.send(new ListShardsCommand(nextToken === undefined ? { StreamName: streamName } : { NextToken: nextToken }));
    for (const shard of page.Shards ?? []) {
      if (shard.ShardId === undefined) continue;
      shards.push({
        shardId: shard.ShardId,
        ...(shard.ParentShardId ? { parentShardId: shard.ParentShardId } : {}),
        ...(shard.AdjacentParentShardId ? { adjacentParentShardId: shard.AdjacentParentShardId } : {}),
        closed: shard.SequenceNumberRange?.EndingSequenceNumber !== undefined,
      });
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return shards;
}
