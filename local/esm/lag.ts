/**
 * How far a shard's processing is behind the stream, in ms: Kinesis' MillisBehindLatest where it
 * reports one (kinesalite reports 0 for every open shard), or the age of the oldest record the
 * mapping holds but has not finished (in flight, retrying, or buffered), whichever is larger.
 * 0 only when the last read came back empty and nothing is pending. A shard that has ended
 * reports no MillisBehindLatest of its own (Kinesis' value for a closed shard is the time since it
 * closed, not lag), and a finished shard is not counted at all.
 */
export interface LagInput {
  /** The last GetRecords returned nothing and nothing is buffered or in flight. */
  caughtUp: boolean;
  /** Arrival of the oldest record still pending, or of the last one read when none is. */
  oldestPendingArrivalMs: number | undefined;
  reportedMillisBehind: number;
  shardEnded: boolean;
}

export function shardLagMs(input: LagInput, nowMs: number): number {
  if (input.caughtUp) return 0;
  const pending = input.oldestPendingArrivalMs === undefined ? 0 : Math.max(0, nowMs - input.oldestPendingArrivalMs);
  return Math.max(input.shardEnded ? 0 : input.reportedMillisBehind, pending);
}
