import { COLLECTOR, ConfigError, ENV, readBoolean, readNumber, readText, type Env } from '@clickstream/shared';

/**
 * The collector's settings, read once at cold start from the variables `ENV` names. The defaults
 * are production's, and strict: no browser origin is allowed and a write key is required until
 * configured. The local stack sets the development defaults (any loopback origin, no key,
 * a generous rate limit) through the same variables (local/collector.ts).
 */
export interface CollectorSettings {
  /** Exact origins (`https://shop.example.com`) browsers may send from; `*` allows any. */
  allowedOrigins: ReadonlySet<string>;
  allowAnyOrigin: boolean;
  /** Also allow `http://127.0.0.1:<any port>`, `http://localhost:<any port>` and `http://[::1]:<any port>`. */
  allowLoopbackOrigins: boolean;
  /** Public write keys, each optionally bound to origins (empty set: any allowed origin). */
  writeKeys: ReadonlyMap<string, ReadonlySet<string>>;
  /** When true, a request without a known write key is refused. */
  requireWriteKey: boolean;
  /** Requests per second per client address (token bucket refill); 0 turns the limit off. */
  rateLimitPerSecond: number;
  /** Bucket size: requests a client may send at once. */
  rateLimitBurst: number;
  /**
   * Proxies in front of the collector that append to X-Forwarded-For (0: the peer address is the
   * client, as with a function URL or API Gateway; 1 behind CloudFront; …).
   */
  trustedProxyHops: number;
  maxEventsPerRequest: number;
  maxBodyBytes: number;
  /** PutRecords attempts per entry before a request is answered 503. */
  putAttempts: number;
  /** A request with `Sec-GPC: 1` (Global Privacy Control) is not collected (default true). */
  honorGlobalPrivacyControl: boolean;
}

export const DEFAULT_COLLECTOR_SETTINGS = {
  rateLimitPerSecond: 10,
  rateLimitBurst: 50,
  putAttempts: 4,
} as const;

export function loadCollectorSettings(env: Env): CollectorSettings {
  const origins = list(readText(env, ENV.collectorAllowedOrigins));
  for (const origin of origins) if (origin !== '*') parseOrigin(origin, ENV.collectorAllowedOrigins);
  const writeKeys = new Map<string, ReadonlySet<string>>();
  for (const entry of list(readText(env, ENV.collectorWriteKeys))) {
    const separator = entry.indexOf('=');
    const key = separator < 0 ? entry : entry.slice(0, separator).trim();
    if (!/^[\w.-]{8,128}$/.test(key)) throw new ConfigError(ENV.collectorWriteKeys, `write keys are 8 to 128 letters, digits, ".", "-" or "_", got "${key}"`);
    const bound = separator < 0 ? [] : entry.slice(separator + 1).trim().split(/\s+/).filter(Boolean);
    writeKeys.set(key, new Set(bound.map((origin) => parseOrigin(origin, ENV.collectorWriteKeys))));
  }
  return {
    allowedOrigins: new Set(origins.filter((origin) => origin !== '*').map((origin) => parseOrigin(origin, ENV.collectorAllowedOrigins))),
    allowAnyOrigin: origins.includes('*'),
    allowLoopbackOrigins: readBoolean(env, ENV.collectorAllowLoopbackOrigins, false),
    writeKeys,
    requireWriteKey: readBoolean(env, ENV.collectorRequireWriteKey, true),
    rateLimitPerSecond: readNumber(env, ENV.collectorRateLimitPerSecond, DEFAULT_COLLECTOR_SETTINGS.rateLimitPerSecond, { min: 0 }),
    rateLimitBurst: readNumber(env, ENV.collectorRateLimitBurst, DEFAULT_COLLECTOR_SETTINGS.rateLimitBurst, { min: 1, integer: true }),
    trustedProxyHops: readNumber(env, ENV.collectorTrustedProxyHops, 0, { min: 0, max: 10, integer: true }),
    maxEventsPerRequest: readNumber(env, ENV.collectorMaxEventsPerRequest, COLLECTOR.maxEventsPerRequest, { min: 1, max: COLLECTOR.maxEventsPerRequest, integer: true }),
    maxBodyBytes: readNumber(env, ENV.collectorMaxBodyBytes, COLLECTOR.maxBodyBytes, { min: 1024, max: 5 * 1_048_576, integer: true }),
    putAttempts: readNumber(env, ENV.collectorPutAttempts, DEFAULT_COLLECTOR_SETTINGS.putAttempts, { min: 1, max: 10, integer: true }),
    honorGlobalPrivacyControl: readBoolean(env, ENV.collectorHonorGlobalPrivacyControl, true),
  };
}

function list(raw: string | undefined): string[] {
  return raw === undefined ? [] : raw.split(',').map((item) => item.trim()).filter(Boolean);
}

/** An origin as browsers send it: scheme, host and non-default port, lower case, no path. */
function parseOrigin(text: string, variable: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(variable, `"${text}" is not an origin (scheme://host[:port])`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new ConfigError(variable, `"${text}" is not an origin (scheme://host[:port], no path)`);
  }
  return url.origin;
}
