import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { addFencedItems, batchGetItems, partRange, partSortKey, partWindow, putVersioned, queryItems, ttlAfter, WRITTEN_SESSIONS_BYTES, WrittenItems, type FencedItem } from '@clickstream/shared';
import type { Alert } from './alerts';
import { baselineKey, cooldownKey, historyKey, minutePartition, sessionKey, userKey, type AlertRecord } from './contract';
import { StateConflictError } from './errors';
import type { SessionState } from './session-rules';
import type { MinuteCounts, TrafficBaseline } from './traffic-rules';
import type { UserState } from './travel-rule';

export interface LoadRequest {
  sessionIds: readonly string[];
  userIds: readonly string[];
}

export interface LoadedState {
  sessions: Map<string, SessionState>;
  users: Map<string, UserState>;
  baseline?: TrafficBaseline;
  failedSessions: Set<string>;
  failedUsers: Set<string>;
  baselineFailed: boolean;
  errors: unknown[];
}

/**
 * A minute's stream-wide counts (`events`, `errors`) contributed by one batch, fenced per shard
 * like the event-processor's aggregates.
 */
export type MinuteItem = FencedItem<{ pk: string; sk: string }>;

export interface WriteResult {
  failed: Set<string>;
  errors: unknown[];
}

/** What the anomaly-detector needs from its storage; `DynamoDbDetectorStore` implements it on the alerts table. */
export interface DetectorStore {
  /**
   * Reads session and user state and the traffic baseline (a session this store wrote last comes
   * from memory); what failed after retries comes back in `failed…`.
   */
  load(request: LoadRequest): Promise<LoadedState>;
  /** Writes sessions whose `version` still is the stored one (optimistic lock); conflicts and errors come back in `failed`. */
  saveSessions(states: readonly SessionState[]): Promise<WriteResult>;
  saveUsers(states: readonly UserState[]): Promise<WriteResult>;
  /** Adds each minute's contributions once per shard record (sequence fence); returns the items that failed. */
  addMinuteCounts(shardId: string, items: readonly MinuteItem[]): Promise<{ failed: MinuteItem[]; errors: unknown[] }>;
  /** Stream-wide counts of the minutes from `fromMinute` to `toMinute`, inclusive; minutes without events are absent. */
  readMinutes(fromMinute: string, toMinute: string): Promise<Map<string, MinuteCounts>>;
  /** Saves the baseline if nobody moved it since it was read (`version`); false when someone did. */
  saveBaseline(baseline: TrafficBaseline): Promise<boolean>;
  /**
   * Starts the cooldown of `alert.rule` and `alert.subjectKey`: succeeds when no cooldown is running
   * at the incident's time, or when this same alert was claimed by this shard and never completed
   * (a crash or failed publish being retried). `suppressed` means: do not publish.
   */
  claimAlert(alert: Alert, claim: { shardId: string; cooldownMs: number }): Promise<'claimed' | 'suppressed'>;
  /** Marks a claimed alert done and appends it to the history. */
  completeAlert(alert: Alert, record: AlertRecord): Promise<void>;
}

export interface StoreStats {
  readRequests: number;
  writeRequests: number;
  fenceConflicts: number;
  /** Sessions read from this store's memory of what it wrote, instead of the table. */
  sessionsFromMemory: number;
}

export interface DynamoDbDetectorStoreOptions {
  stateTtlHours: number;
  historyTtlDays: number;
}

const WRITE_CONCURRENCY = 16;

const isConditionFailure = (error: unknown): boolean => (error as Error).name === 'ConditionalCheckFailedException';

/**
 * The DynamoDB adapter (document client injected). Only single-item conditional writes,
 * BatchGetItem and Query: no transactions (dynalite has none) and no Scan.
 */
export class DynamoDbDetectorStore implements DetectorStore {
  readonly stats: StoreStats = { readRequests: 0, writeRequests: 0, fenceConflicts: 0, sessionsFromMemory: 0 };

  /**
   * The session states this store wrote, with their new version. Only sessions: a session's events
   * travel on one shard, while a user's sessions (and the baseline) are written from every shard.
   */
  private readonly written = new WrittenItems<SessionState>(WRITTEN_SESSIONS_BYTES, sessionBytes);

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: DynamoDbDetectorStoreOptions,
  ) {}

  async load(request: LoadRequest): Promise<LoadedState> {
    const loaded: LoadedState = { sessions: new Map(), users: new Map(), failedSessions: new Set(), failedUsers: new Set(), baselineFailed: false, errors: [] };
    const { lent, toRead } = this.written.lend(request.sessionIds);
    this.stats.sessionsFromMemory += lent.size;
    const keys = [...toRead.map(sessionKey), ...request.userIds.map(userKey), baselineKey()];
    const read = await batchGetItems(this.client, this.tableName, keys, this.stats);
    for (const item of read.items) readItem(item, loaded);
    for (const key of read.failedKeys) markFailed(key.pk as string, loaded);
    loaded.errors.push(...read.errors);
    this.written.compare(toRead, loaded.sessions, loaded.failedSessions);
    for (const [sessionId, state] of lent) loaded.sessions.set(sessionId, state);
    return loaded;
  }

  async saveSessions(states: readonly SessionState[]): Promise<WriteResult> {
    const result = await this.putVersioned(states, (state) => state.sessionId, (state) => ({
      ...sessionKey(state.sessionId),
      event_count: state.eventCount,
      bot_events: state.botEvents,
      minute_counts: state.minuteCounts,
      fences: state.fences,
      recent_ids: state.recentEventIds.join(''),
      flagged: state.flagged,
      last_event_at: new Date(state.lastEventMs).toISOString(),
      ttl: ttlAfter(state.lastEventMs, { hours: this.options.stateTtlHours }),
    }));
    // A conflict or a failure of unknown outcome: the redelivery reads the stored state.
    for (const state of states) {
      const { sessionId } = state;
      this.written.settle(sessionId, result.failed.has(sessionId) ? { conflict: result.conflicts.has(sessionId) } : { written: { ...state, version: state.version + 1 } });
    }
    return result;
  }

  async saveUsers(states: readonly UserState[]): Promise<WriteResult> {
    return this.putVersioned(states, (state) => state.userId, (state) => ({
      ...userKey(state.userId),
      countries: state.countries,
      ttl: ttlAfter(Math.max(0, ...Object.values(state.countries)), { hours: this.options.stateTtlHours }),
    }));
  }

  /** Each shard adds to its own part of a minute (`sk` `<minute>#<shardId>`): one fence per item, no item every shard writes. */
  async addMinuteCounts(shardId: string, items: readonly MinuteItem[]) {
    return addFencedItems(this.client, this.tableName, shardId, items.map((item) => ({ ...item, key: { ...item.key, sk: partSortKey(item.key.sk, shardId) } })), this.stats);
  }

  async readMinutes(fromMinute: string, toMinute: string): Promise<Map<string, MinuteCounts>> {
    const counts = new Map<string, MinuteCounts>();
    const partitions = new Set<string>();
    for (let dayMs = Date.parse(`${fromMinute.slice(0, 10)}T00:00Z`); dayMs <= Date.parse(`${toMinute}Z`); dayMs += 86_400_000) {
      partitions.add(minutePartition(new Date(dayMs).toISOString()));
    }
    const range = partRange(fromMinute, toMinute);
    for (const pk of partitions) {
      const items = queryItems(
        this.client,
        {
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pk, ':from': range.from, ':to': range.to },
          ProjectionExpression: 'sk, events, #errors',
          ExpressionAttributeNames: { '#errors': 'errors' },
          ConsistentRead: true,
        },
        this.stats,
      );
      // Every shard's part of a minute, summed.
      for await (const item of items) {
        const minute = partWindow(item.sk as string);
        const sum = counts.get(minute) ?? { events: 0, errors: 0 };
        counts.set(minute, { events: sum.events + Number(item.events ?? 0), errors: sum.errors + Number(item.errors ?? 0) });
      }
    }
    return counts;
  }

  async saveBaseline(baseline: TrafficBaseline): Promise<boolean> {
    this.stats.writeRequests++;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...baselineKey(),
            cursor_minute: baseline.cursorMinute,
            mean: baseline.mean,
            variance: baseline.variance,
            samples: baseline.samples,
            version: baseline.version + 1,
          },
          ...versionCondition(baseline.version),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async claimAlert(alert: Alert, claim: { shardId: string; cooldownMs: number }): Promise<'claimed' | 'suppressed'> {
    this.stats.writeRequests++;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...cooldownKey(alert.rule, alert.subjectKey),
            alert_id: alert.alertId,
            rule: alert.rule,
            subject_key: alert.subjectKey,
            incident_at: new Date(alert.incidentMs).toISOString(),
            until: alert.incidentMs + claim.cooldownMs,
            status: 'claimed',
            shard: claim.shardId,
            ttl: ttlAfter(alert.incidentMs + claim.cooldownMs, { hours: this.options.stateTtlHours }),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #until <= :incident OR (#alertId = :alertId AND #status = :claimed AND #shard = :shard)',
          ExpressionAttributeNames: { '#until': 'until', '#alertId': 'alert_id', '#status': 'status', '#shard': 'shard' },
          ExpressionAttributeValues: { ':incident': alert.incidentMs, ':alertId': alert.alertId, ':claimed': 'claimed', ':shard': claim.shardId },
        }),
      );
      return 'claimed';
    } catch (error) {
      if (isConditionFailure(error)) return 'suppressed';
      throw error;
    }
  }

  async completeAlert(alert: Alert, record: AlertRecord): Promise<void> {
    this.stats.writeRequests += 2;
    await Promise.all([
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...historyKey(alert.incidentMs, alert.rule, alert.subjectKey), ...record, ttl: ttlAfter(alert.incidentMs, { days: this.options.historyTtlDays }) },
        }),
      ),
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: cooldownKey(alert.rule, alert.subjectKey),
          UpdateExpression: 'SET #status = :done',
          ConditionExpression: '#alertId = :alertId',
          ExpressionAttributeNames: { '#status': 'status', '#alertId': 'alert_id' },
          ExpressionAttributeValues: { ':done': 'done', ':alertId': alert.alertId },
        }),
      ).catch((error: unknown) => {
        // A newer incident already took the cooldown over: nothing of ours left to mark.
        if (!isConditionFailure(error)) throw error;
      }),
    ]);
  }

  /**
   * Conditional on the version read (the shared optimistic lock). A conflict fails the state's
   * records like any failed write: the redelivery reads the newer state and evaluates again.
   */
  private async putVersioned<T extends { version: number }>(states: readonly T[], id: (state: T) => string, toItem: (state: T) => Record<string, unknown>): Promise<WriteResult & { conflicts: Set<string> }> {
    const result = await putVersioned(this.client, this.tableName, 'pk', states.map((state) => ({ id: id(state), item: toItem(state), readVersion: state.version })), this.stats);
    const errors = [...result.errors, ...[...result.conflicts].map((stateId) => new StateConflictError(`state of ${stateId} was changed by another writer`, { context: { id: stateId } }))];
    return { failed: new Set([...result.failed, ...result.conflicts, ...result.unwritable]), errors, conflicts: result.conflicts };
  }
}

function versionCondition(version: number) {
  return version === 0
    ? { ConditionExpression: 'attribute_not_exists(pk)' }
    : { ConditionExpression: '#version = :version', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': version } };
}

function readItem(item: Record<string, unknown>, loaded: LoadedState): void {
  const pk = item.pk as string;
  const version = Number(item.version ?? 0);
  if (pk.startsWith('state#session#')) {
    const sessionId = pk.slice('state#session#'.length);
    const recent = String(item.recent_ids ?? '');
    loaded.sessions.set(sessionId, {
      sessionId,
      eventCount: Number(item.event_count ?? 0),
      botEvents: Number(item.bot_events ?? 0),
      minuteCounts: (item.minute_counts as Record<string, number> | undefined) ?? {},
      fences: (item.fences as Record<string, string> | undefined) ?? {},
      recentEventIds: recent.match(/.{8}/g) ?? [],
      flagged: (item.flagged as SessionState['flagged'] | undefined) ?? [],
      lastEventMs: Date.parse(String(item.last_event_at ?? '')) || 0,
      version,
    });
  } else if (pk.startsWith('state#user#')) {
    const userId = pk.slice('state#user#'.length);
    loaded.users.set(userId, { userId, countries: (item.countries as Record<string, number> | undefined) ?? {}, version });
  } else if (pk === baselineKey().pk) {
    const baseline: TrafficBaseline = { mean: Number(item.mean ?? 0), variance: Number(item.variance ?? 0), samples: Number(item.samples ?? 0), version };
    if (typeof item.cursor_minute === 'string') baseline.cursorMinute = item.cursor_minute;
    loaded.baseline = baseline;
  }
}

function markFailed(pk: string, loaded: LoadedState): void {
  if (pk.startsWith('state#session#')) loaded.failedSessions.add(pk.slice('state#session#'.length));
  else if (pk.startsWith('state#user#')) loaded.failedUsers.add(pk.slice('state#user#'.length));
  else loaded.baselineFailed = true;
}

/** What a session's state holds in memory, roughly: its recent ids, minutes, fences and a share for the rest. */
function sessionBytes(state: SessionState): number {
  return 256 + state.sessionId.length * 2 + state.recentEventIds.length * 48 + (Object.keys(state.minuteCounts).length + Object.keys(state.fences).length) * 96;
}
