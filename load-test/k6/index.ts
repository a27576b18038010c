/**
 * Mirrors the `k6` module for scripts that run on Node with `npm run load-test`: `check`,
 * `group`, `sleep`, `fail`. Swap the import for `'k6'` to run a script under k6 itself.
 */
import { registry, type Tags } from './runtime';

/**
 * Runs each named predicate on `value`; every result feeds the `checks` rate. A failed check does
 * not stop the iteration (combine with a `checks` threshold to fail the run). Returns whether
 * all passed.
 */
export function check<T>(value: T, sets: Record<string, (value: T) => boolean>, tags?: Tags): boolean {
  let allPassed = true;
  for (const [name, predicate] of Object.entries(sets)) {
    let passed: boolean;
    try {
      passed = Boolean(predicate(value));
    } catch {
      // k6 counts a check whose predicate throws as failed.
      passed = false;
    }
    registry.recordCheck(name, passed, registry.currentGroup, tags);
    allPassed &&= passed;
  }
  return allPassed;
}

/** Runs `body` inside a named group; checks made in it are reported under the group. */
export function group<T>(name: string, body: () => T): T {
  registry.enterGroup(name);
  try {
    return body();
  } finally {
    registry.leaveGroup();
  }
}

/** Pauses the VU; `await` it (k6 ≥ 0.52 accepts awaiting its synchronous sleep too). */
export function sleep(seconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}

/** Aborts the current iteration with an error, as k6's `fail`. */
export function fail(message: string): never {
  throw new Error(message);
}
