/** A session: an id and the time of its last event; a new one starts after `timeoutMs` of inactivity. */
export interface SessionState {
  id: string;
  lastActivityMs: number;
}

/** The session an event at `nowMs` belongs to (the stored one, touched, or a new one). */
export function touchSession(stored: SessionState | undefined, nowMs: number, timeoutMs: number, newId: () => string): SessionState {
  if (stored !== undefined && typeof stored.id === 'string' && stored.id !== '' && nowMs - stored.lastActivityMs < timeoutMs && nowMs >= stored.lastActivityMs - 60_000) {
    return { id: stored.id, lastActivityMs: Math.max(nowMs, stored.lastActivityMs) };
  }
  return { id: newId(), lastActivityMs: nowMs };
}
