import { isbotMatch } from 'isbot';

const CACHE_LIMIT = 10_000;
const cache = new Map<string, string | null>();

/**
 * The bot signature of a user agent, or null for a browser. isbot decides; its match is a pattern
 * fragment (`bot`, `Google`, `Headless`), so the signature is the user-agent product token that
 * holds it, lower-cased without its version (`bingbot/2.0` → `bingbot`, `curl/8.5.0` → `curl`).
 * One crawler family is then one alert subject. Memoized: real traffic repeats a few hundred
 * user agents.
 */
export function botSignature(userAgent: string): string | null {
  const cached = cache.get(userAgent);
  if (cached !== undefined) return cached;
  const match = isbotMatch(userAgent);
  const signature = match === null ? null : signatureOf(userAgent, match);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(userAgent, signature);
  return signature;
}

function signatureOf(userAgent: string, match: string): string {
  const needle = match.toLowerCase();
  const tokens = userAgent.split(/[\s;()]+/).filter((token) => token !== '' && !/^\+?https?:/i.test(token));
  const token = tokens.find((candidate) => candidate.toLowerCase().includes(needle)) ?? match;
  const product = token.split('/')[0] ?? token;
  return (
    product
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 64) || 'unknown'
  );
}
