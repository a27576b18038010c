import type { Alert } from '../../src/alerts';
import type { SessionState } from '../../src/session-rules';
import type { AlertRecord } from '../../src/contract';
import type { DetectorStore, LoadedState, LoadRequest, MinuteItem, WriteResult } from '../../src/store';
import type { MinuteCounts, TrafficBaseline } from '../../src/traffic-rules';
import type { UserState } from '../../src/travel-rule';

const copy = <T>(value: T): T => structuredClone(value);

interface Cooldown {
  alertId: string;
  until: number;
  status: 'claimed' | 'done';
  shardId: string;
}

/** An in-memory `DetectorStore` with the DynamoDB adapter's conditions, for unit tests. */
export class MemoryDetectorStore implements DetectorStore {
  readonly sessions = new Map<string, SessionState>();
  readonly users = new Map<string, UserState>();
  readonly minutes = new Map<string, MinuteCounts & { fences: Record<string, string> }>();
  baseline: TrafficBaseline | undefined;
  readonly cooldowns = new Map<string, Cooldown>();
  readonly history: AlertRecord[] = [];
  /** Set to make the next `saveSessions` fail for these ids. */
  failSessionWrites = new Set<string>();

  async load(request: LoadRequest): Promise<LoadedState> {
    const loaded: LoadedState = { sessions: new Map(), users: new Map(), failedSessions: new Set(), failedUsers: new Set(), baselineFailed: false, errors: [] };
    for (const id of request.sessionIds) if (this.sessions.has(id)) loaded.sessions.set(id, copy(this.sessions.get(id)!));
    for (const id of request.userIds) if (this.users.has(id)) loaded.users.set(id, copy(this.users.get(id)!));
    if (this.baseline !== undefined) loaded.baseline = copy(this.baseline);
    return loaded;
  }

  async saveSessions(states: readonly SessionState[]): Promise<WriteResult> {
    return this.saveVersioned(this.sessions, states, (state) => state.sessionId, this.failSessionWrites);
  }

  async saveUsers(states: readonly UserState[]): Promise<WriteResult> {
    return this.saveVersioned(this.users, states, (state) => state.userId, new Set());
  }

  async addMinuteCounts(shardId: string, items: readonly MinuteItem[]) {
    for (const item of items) {
      const minute = item.key.sk;
      const stored = this.minutes.get(minute) ?? { events: 0, errors: 0, fences: {} };
      const fence = stored.fences[shardId];
      for (const contribution of item.contributions) {
        if (fence !== undefined && contribution.sequence <= fence) continue;
        stored.events += contribution.increments.events ?? 0;
        stored.errors += contribution.increments.errors ?? 0;
        stored.fences[shardId] = contribution.sequence;
      }
      this.minutes.set(minute, stored);
    }
    return { failed: [], errors: [] };
  }

  async readMinutes(fromMinute: string, toMinute: string): Promise<Map<string, MinuteCounts>> {
    const counts = new Map<string, MinuteCounts>();
    for (const [minute, stored] of this.minutes) {
      if (minute >= fromMinute && minute <= toMinute) counts.set(minute, { events: stored.events, errors: stored.errors });
    }
    return counts;
  }

  async saveBaseline(baseline: TrafficBaseline): Promise<boolean> {
    if ((this.baseline?.version ?? 0) !== baseline.version) return false;
    this.baseline = { ...copy(baseline), version: baseline.version + 1 };
    return true;
  }

  async claimAlert(alert: Alert, claim: { shardId: string; cooldownMs: number }): Promise<'claimed' | 'suppressed'> {
    const key = `${alert.rule}#${alert.subjectKey}`;
    const current = this.cooldowns.get(key);
    const retry = current !== undefined && current.alertId === alert.alertId && current.status === 'claimed' && current.shardId === claim.shardId;
    if (current !== undefined && current.until > alert.incidentMs && !retry) return 'suppressed';
    this.cooldowns.set(key, { alertId: alert.alertId, until: alert.incidentMs + claim.cooldownMs, status: 'claimed', shardId: claim.shardId });
    return 'claimed';
  }

  async completeAlert(alert: Alert, record: AlertRecord): Promise<void> {
    const current = this.cooldowns.get(`${alert.rule}#${alert.subjectKey}`);
    if (current?.alertId === alert.alertId) current.status = 'done';
    const index = this.history.findIndex((existing) => existing.incident_at === record.incident_at && existing.rule === record.rule && existing.subject_key === record.subject_key);
    if (index >= 0) this.history[index] = copy(record);
    else this.history.push(copy(record));
  }

  private async saveVersioned<T extends { version: number }>(map: Map<string, T>, states: readonly T[], id: (state: T) => string, failing: Set<string>): Promise<WriteResult> {
    const failed = new Set<string>();
    const errors: unknown[] = [];
    for (const state of states) {
      const key = id(state);
      if (failing.has(key) || (map.get(key)?.version ?? 0) !== state.version) {
        failed.add(key);
        errors.push(new Error(`write of ${key} failed`));
        failing.delete(key);
        continue;
      }
      map.set(key, { ...copy(state), version: state.version + 1 });
    }
    return { failed, errors };
  }
}
