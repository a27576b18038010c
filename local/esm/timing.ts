/** Waits `ms`, or less if `signal` aborts first (the mapping is stopping). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return waitFor(new Promise<void>((resolve) => setTimeout(resolve, ms).unref()), signal);
}

/** Waits for `promise`, or until `signal` aborts. Never rejects. */
export function waitFor(promise: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    promise.then(done, done);
  });
}
