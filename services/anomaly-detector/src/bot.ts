import { isbotMatch } from 'isbot';

const CACHE_LIMIT = 10_000;
const cache = new Map<string, string | null>();

/**
 * The bot signature of a user agent, or null for a browser: isbot's matched pattern, lower-cased
 * with versions stripped (`curl/8.1` → `curl`, `Googlebot` → `google`), so one crawler family is
 * one alert subject. Memoized: real traffic repeats a few hundred user agents.
 */
export function botSignature(userAgent: string): string | null {
  const cached = cache.get(userAgent);
  if (cached !== undefined) return cached;
  const match = isbotMatch(userAgent);
  const signature =
    match === null
      ? null
      : match
          .toLowerCase()
          .replace(/[/\s;(]?v?\d[\w.]*$/, '')
          .replace(/[^a-z0-9._-]+/g, '-')
          .replace(/^-+|-+$/g, '')
          .slice(0, 64) || 'unknown';
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(userAgent, signature);
  return signature;
}
