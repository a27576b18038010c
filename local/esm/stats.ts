/** Counters of one mapping since it started (the status line and tests read them). */
export interface MappingStats {
  invocations: number;
  /** Invocations that threw, returned an invalid partial response, or timed out. */
  functionErrors: number;
  timeouts: number;
  partialFailures: number;
  /** Records handed to the function, retries included. */
  recordsDelivered: number;
  /** Records given up on and written to the on-failure destination. */
  recordsDiscarded: number;
  /** On-failure records written (one per discarded batch). */
  batchesDiscarded: number;
}

export function emptyStats(): MappingStats {
  return { invocations: 0, functionErrors: 0, timeouts: 0, partialFailures: 0, recordsDelivered: 0, recordsDiscarded: 0, batchesDiscarded: 0 };
}
