import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryItems } from '@clickstream/shared';
import { RULES, type AlertMessage } from './alerts';
import { DEFAULT_RULE_SETTINGS } from './config';

/** The `session_rate` rule's default limit (events per session per event-time minute). */
export const DEFAULT_SESSION_RATE_PER_MINUTE = DEFAULT_RULE_SETTINGS.sessionRatePerMinute;

/**
 * The anomaly-detector's contract with readers of its `alerts` table (`npm run query -- alerts`,
 * the local dashboard, the load test): item design, key builders and the history query.
 *
 * Item design of the `alerts` table (keys `pk` / `sk`, TTL attribute `ttl`); every item type the
 * detector writes, in one place:
 *
 * | pk                          | sk                              | holds                                   |
 * |-----------------------------|---------------------------------|-----------------------------------------|
 * | `state#session#<sessionId>` | `state`                         | per-session counts, fences, flags       |
 * | `state#user#<userId>`       | `state`                         | countries a user was seen in            |
 * | `traffic#<YYYY-MM-DD>`      | `<YYYY-MM-DDTHH:MM>#<shardId>`  | one shard's events/errors of a minute (read: parts summed) |
 * | `baseline#traffic`          | `state`                         | EWMA baseline and last judged minute    |
 * | `alert#<rule>#<subject>`    | `cooldown`                      | cooldown claim of the latest alert      |
 * | `history#<YYYY-MM-DD>`      | `<incident ISO>#<rule>#<subject>` | alert history, newest last            |
 */
export const STATE_SK = 'state';
export const COOLDOWN_SK = 'cooldown';

export const sessionKey = (sessionId: string) => ({ pk: `state#session#${sessionId}`, sk: STATE_SK });
export const userKey = (userId: string) => ({ pk: `state#user#${userId}`, sk: STATE_SK });
export const baselineKey = () => ({ pk: 'baseline#traffic', sk: STATE_SK });
export const minutePartition = (minute: string) => `traffic#${minute.slice(0, 10)}`;
export const minuteKey = (minute: string) => ({ pk: minutePartition(minute), sk: minute });
export const cooldownKey = (rule: string, subjectKey: string) => ({ pk: `alert#${rule}#${subjectKey}`, sk: COOLDOWN_SK });
export const historyPartition = (epochMs: number) => `history#${new Date(epochMs).toISOString().slice(0, 10)}`;
export const historyKey = (incidentMs: number, rule: string, subjectKey: string) => ({
  pk: historyPartition(incidentMs),
  sk: `${new Date(incidentMs).toISOString()}#${rule}#${subjectKey}`,
});

/** What a history item holds: the published message and how it was delivered. */
export interface AlertRecord extends AlertMessage {
  delivery: 'sns' | 'disabled';
}

const DAY_MS = 86_400_000;
const MAX_DAYS = 400;

/** The subject keys (`subject_key` of alerts) that name a user or one of their sessions. */
export function personalSubjects(userId: string, sessionIds: readonly string[]): string[] {
  return [`user:${userId}`, ...sessionIds.map((sessionId) => `session:${sessionId}`)];
}

/**
 * Every state and cooldown item that names a user or one of their sessions: what `forget`
 * deletes besides the alert history (`historyKeysOfSubjects`). Minute counts and the traffic
 * baseline hold no personal data and stay.
 */
export function personalStateKeys(userId: string, sessionIds: readonly string[]): Array<{ pk: string; sk: string }> {
  const subjects = personalSubjects(userId, sessionIds);
  return [userKey(userId), ...sessionIds.map(sessionKey), ...subjects.flatMap((subject) => RULES.map((rule) => cooldownKey(rule, subject)))];
}

/**
 * Keys of the history items from `sinceMs` on about a user or their sessions: `subject_key` one of
 * `personalSubjects`, or a session named in the alert's context (a bot alert's subject is the bot,
 * its context the session). One Query per UTC day partition, reading keys, subject and context.
 */
export async function historyKeysAbout(client: DynamoDBDocumentClient, tableName: string, userId: string, sessionIds: readonly string[], options: { sinceMs: number; nowMs?: number }): Promise<Array<{ pk: string; sk: string }>> {
  const wanted = new Set(personalSubjects(userId, sessionIds));
  const sessions = new Set(sessionIds);
  const keys: Array<{ pk: string; sk: string }> = [];
  const nowMs = options.nowMs ?? Date.now();
  for (let dayMs = Math.floor(nowMs / DAY_MS) * DAY_MS, days = 0; dayMs >= Math.floor(options.sinceMs / DAY_MS) * DAY_MS && days < MAX_DAYS; dayMs -= DAY_MS, days++) {
    const items = queryItems(client, {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ProjectionExpression: 'pk, sk, subject_key, #context',
      ExpressionAttributeNames: { '#context': 'context' },
      ExpressionAttributeValues: { ':pk': historyPartition(dayMs) },
    });
    for await (const item of items) {
      const context = (item.context ?? {}) as Record<string, unknown>;
      if (wanted.has(String(item.subject_key)) || context.user_id === userId || sessions.has(String(context.session_id))) keys.push({ pk: String(item.pk), sk: String(item.sk) });
    }
  }
  return keys;
}

/**
 * Alerts whose incident time is at or after `sinceMs`, newest first, at most `limit`. Reads the
 * `history#<UTC day>` partitions from today backwards with Query (never Scan): one request per
 * day with alerts, at most `limit` items.
 */
export async function listRecentAlerts(
  client: DynamoDBDocumentClient,
  tableName: string,
  options: { limit: number; sinceMs: number; nowMs?: number },
): Promise<AlertRecord[]> {
  const alerts: AlertRecord[] = [];
  const sinceIso = new Date(options.sinceMs).toISOString();
  const sinceDay = Math.floor(options.sinceMs / DAY_MS) * DAY_MS;
  const nowMs = options.nowMs ?? Date.now();
  let dayMs = Math.floor(nowMs / DAY_MS) * DAY_MS;
  for (let days = 0; dayMs >= sinceDay && days < MAX_DAYS && alerts.length < options.limit; days++, dayMs -= DAY_MS) {
    const items = queryItems(client, {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND sk >= :since',
      ExpressionAttributeValues: { ':pk': historyPartition(dayMs), ':since': sinceIso },
      ScanIndexForward: false,
      Limit: options.limit - alerts.length,
    });
    for await (const item of items) {
      const { pk: _pk, sk: _sk, ttl: _ttl, ...record } = item;
      alerts.push(record as AlertRecord);
      if (alerts.length >= options.limit) break;
    }
  }
  return alerts;
}
