/** k6 duration strings: `500ms`, `10s`, `2m`, `1m30s`, `1h`; a bare number is seconds, as in k6. */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') return text * 1000;
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  let rest = trimmed;
  while (rest.length > 0) {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/.exec(rest);
    if (match === null) throw new Error(`invalid duration "${text}" (expected e.g. 500ms, 10s, 2m, 1m30s, 1h)`);
    total += Number(match[1]) * units[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return total;
}

/** The way k6 prints a test duration: `0m12.0s`, `2m00.0s`, `1h02m03.0s`. */
export function formatClock(ms: number): string {
  const totalSeconds = Math.max(0, ms) / 1000;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = (totalSeconds % 60).toFixed(1).padStart(4, '0');
  return hours > 0 ? `${hours}h${String(minutes).padStart(2, '0')}m${seconds}s` : `${minutes}m${seconds}s`;
}
