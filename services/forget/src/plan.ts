import { createHash } from 'node:crypto';

/**
 * Which stored lines belong to a user, and the objects rewritten without them: pure functions
 * over the text of gzip JSON Lines objects (archive and quarantine lines).
 *
 * A user's data is every event carrying their `user_id`, and the events without a `user_id` in a
 * session where they appeared (the page views before they logged in are theirs too). An event
 * that carries another user's id stays, even in the same session (a shared device).
 */

/** The user, and the sessions where they appeared. */
export interface ForgetTarget {
  userId: string;
  sessions: ReadonlySet<string>;
}

/** Who a stored line is about; undefined for a line that names nobody (or cannot be read). */
export interface LineOwner {
  userId?: string;
  sessionId?: string;
  /** The event id of an archive line (what the counters counted once). */
  eventId?: string;
}

export type OwnerOf = (line: string) => LineOwner | undefined;

export function belongsTo(owner: LineOwner | undefined, target: ForgetTarget): boolean {
  if (owner === undefined) return false;
  if (owner.userId !== undefined) return owner.userId === target.userId;
  return owner.sessionId !== undefined && target.sessions.has(owner.sessionId);
}

/** The owner of an archive line (`events/`). */
export function archiveLineOwner(line: string): LineOwner | undefined {
  const fields = parseObject(line);
  if (fields === undefined) return undefined;
  return owner(fields.user_id, fields.session_id, fields.event_id);
}

/** The owner of a quarantine line: read from its raw bytes, when they are a JSON object (snake_case or camelCase). */
export function quarantineLineOwner(line: string): LineOwner | undefined {
  const fields = parseObject(line);
  if (fields === undefined || typeof fields.raw_base64 !== 'string') return undefined;
  const raw = parseObject(Buffer.from(fields.raw_base64, 'base64').toString('utf8'));
  if (raw === undefined) return undefined;
  return owner(raw.user_id ?? raw.userId, raw.session_id ?? raw.sessionId, undefined);
}

/** Sessions in which the user's id appears. */
export function sessionsOfUser(lines: Iterable<string>, userId: string, ownerOf: OwnerOf, into = new Set<string>()): Set<string> {
  for (const line of lines) {
    const found = ownerOf(line);
    if (found?.userId === userId && found.sessionId !== undefined) into.add(found.sessionId);
  }
  return into;
}

export interface Rewrite {
  /** The object's lines without the user's, each as it was (byte for byte), in order. */
  kept: string[];
  removed: number;
  /** Event ids of the removed archive lines. */
  removedEventIds: Set<string>;
}

/** The object's lines without the user's; undefined when none is theirs (the object stays as it is). */
export function rewriteLines(lines: readonly string[], target: ForgetTarget, ownerOf: OwnerOf): Rewrite | undefined {
  const kept: string[] = [];
  const removedEventIds = new Set<string>();
  let removed = 0;
  for (const line of lines) {
    const found = ownerOf(line);
    if (!belongsTo(found, target)) {
      kept.push(line);
      continue;
    }
    removed++;
    if (found?.eventId !== undefined) removedEventIds.add(found.eventId);
  }
  return removed === 0 ? undefined : { kept, removed, removedEventIds };
}

/** JSON Lines text: each line followed by `\n` (an object without lines is empty). */
export function linesText(lines: readonly string[]): string {
  return lines.map((line) => `${line}\n`).join('');
}

/** The digest a tally keeps of an event id. */
export function eventDigest(eventId: string): string {
  return createHash('sha256').update(eventId, 'utf8').digest('hex').slice(0, 16);
}

/** Two sorted digest lists merged, without repeats. */
export function mergeDigests(a: readonly string[], b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])].sort();
}

function owner(userId: unknown, sessionId: unknown, eventId: unknown): LineOwner | undefined {
  const found: LineOwner = {};
  if (typeof userId === 'string') found.userId = userId;
  if (typeof sessionId === 'string') found.sessionId = sessionId;
  if (typeof eventId === 'string') found.eventId = eventId;
  return found.userId === undefined && found.sessionId === undefined ? undefined : found;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
