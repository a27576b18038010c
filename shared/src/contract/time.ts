/** UTC minute of an epoch-ms instant, as stored in `window_start`: `YYYY-MM-DDTHH:MM`. */
export function minuteWindow(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 16);
}

/** Epoch ms of the start of a `window_start` minute. */
export function windowStartMs(windowStart: string): number {
  return Date.parse(`${windowStart}:00.000Z`);
}
