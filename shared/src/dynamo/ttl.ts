/**
 * DynamoDB TTL values: epoch seconds (the `ttl` attribute of every table) a duration after an
 * epoch-ms instant. One function for every item type, whether its retention is set in days or hours.
 */
export function ttlAfter(epochMs: number, duration: { days?: number; hours?: number }): number {
  const seconds = (duration.days ?? 0) * 86_400 + (duration.hours ?? 0) * 3_600;
  return Math.floor(epochMs / 1000) + Math.round(seconds);
}
