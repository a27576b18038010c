/**
 * Item design of the `alerts` table (keys `pk` / `sk`, TTL attribute `ttl`); every item type the
 * detector writes, in one place:
 *
 * | pk                          | sk                              | holds                                   |
 * |-----------------------------|---------------------------------|-----------------------------------------|
 * | `state#session#<sessionId>` | `state`                         | per-session counts, fences, flags       |
 * | `state#user#<userId>`       | `state`                         | countries a user was seen in            |
 * | `traffic#<YYYY-MM-DD>`      | `<YYYY-MM-DDTHH:MM>`            | stream-wide events/errors of a minute   |
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
