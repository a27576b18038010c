/** UTC minute of an epoch-ms instant, as stored in `window_start`: `YYYY-MM-DDTHH:MM`. */
export function minuteWindow(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 16);
}

/** Epoch ms of the start of a `window_start` minute. */
export function windowStartMs(windowStart: string): number {
  return Date.parse(`${windowStart}:00.000Z`);
}

/** DynamoDB TTL value (epoch seconds) `days` after an epoch-ms instant. */
export function ttlAfter(epochMs: number, days: number): number {
  return Math.floor(epochMs / 1000) + Math.round(days * 86_400);
}
