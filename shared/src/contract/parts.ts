/**
 * Write-sharded aggregate items, merged on read. Every stream-wide count (counters, page metrics,
 * the detector's minute counts, the top-pages rollup) is kept as one item per UTC minute *per
 * writer*: the shard whose batches add to it (`shardId-000000000001`, or `<shardId>#replay` for a
 * replay's first sightings). Its sort key is `<minute>#<writer>`; readers sum the parts of a minute.
 *
 * Why: with one item per minute, every shard's every batch writes the same item, and the item
 * carries one sequence fence per shard. At 100 shards that is ~100 fences (~9 KB, so every update
 * costs ~9 write units) on an item that takes ~100–200 writes a second: far past DynamoDB's
 * 1,000 write units per second per partition. One part per writer keeps each item to its own
 * fence (one write unit), and spreads a minute's writes over as many items as there are writers.
 * A reshard adds parts for the new shards; no item ever carries more than one fence.
 */

/** Separates the minute from the writer in a part's sort key (never part of a minute or a shard id). */
export const PART_SEPARATOR = '#';

/** Sort key of one writer's part of a minute: `2026-12-01T12:05#shardId-000000000001`. */
export const partSortKey = (windowStart: string, writer: string): string => `${windowStart}${PART_SEPARATOR}${writer}`;

/** The minute (`YYYY-MM-DDTHH:MM`) of a part's sort key (or of a plain minute). */
export const partWindow = (sortKey: string): string => {
  const cut = sortKey.indexOf(PART_SEPARATOR);
  return cut < 0 ? sortKey : sortKey.slice(0, cut);
};

/** The writer of a part's sort key, or undefined for a plain minute. */
export const partWriter = (sortKey: string): string | undefined => {
  const cut = sortKey.indexOf(PART_SEPARATOR);
  return cut < 0 ? undefined : sortKey.slice(cut + 1);
};

/**
 * Bounds of a `BETWEEN` key condition covering every part of the minutes `fromWindow` to
 * `toWindow` inclusive (`\uffff` sorts after every writer name, which is ASCII).
 */
export const partRange = (fromWindow: string, toWindow: string): { from: string; to: string } => ({ from: fromWindow, to: `${toWindow}${PART_SEPARATOR}\uffff` });
