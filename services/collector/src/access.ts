import type { CollectorSettings } from './config';
import { WRITE_KEY_HEADER, type RequestRejectionCode } from './contract';

/**
 * Who may send: the browser origin (CORS) and the public write key. Pure functions of the
 * request's headers and the settings.
 *
 * Trackers send credentials (Snowplow's fetch uses `credentials: 'include'`), so an allowed
 * origin is answered with itself in `Access-Control-Allow-Origin` (never `*`) and
 * `Access-Control-Allow-Credentials: true`; `Vary: Origin` keeps caches from mixing answers.
 * https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS#requests_with_credentials
 */

export type Refusal = { code: RequestRejectionCode; message: string };

const LOOPBACK_ORIGIN = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/;
/** Request headers a page may send (Segment sends Authorization, Snowplow SP-Anonymous with server-side anonymization, all Content-Type). */
export const ALLOWED_REQUEST_HEADERS = ['content-type', 'authorization', WRITE_KEY_HEADER, 'sp-anonymous'] as const;
/** Chromium caps preflight caching at 2 hours. */
const PREFLIGHT_MAX_AGE_SECONDS = 7200;

/** True when a page on `origin` may send events. */
export function originAllowed(origin: string, settings: CollectorSettings): boolean {
  const normalized = origin.toLowerCase();
  return settings.allowAnyOrigin || settings.allowedOrigins.has(normalized) || (settings.allowLoopbackOrigins && LOOPBACK_ORIGIN.test(normalized));
}

/** The CORS headers of an answer to `origin` (none when the request carried no Origin or it is not allowed). */
export function corsHeaders(origin: string | undefined, settings: CollectorSettings): Record<string, string> {
  if (origin === undefined || !originAllowed(origin, settings)) return { vary: 'Origin' };
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': 'Retry-After',
    vary: 'Origin',
  };
}

/** The answer to a CORS preflight: the headers to send, or why it is refused. */
export function preflight(headers: Readonly<Record<string, string | undefined>>, settings: CollectorSettings): { ok: true; headers: Record<string, string> } | ({ ok: false } & Refusal) {
  const origin = headers.origin;
  if (origin === undefined) return { ok: false, code: 'method_not_allowed', message: 'OPTIONS is only answered as a CORS preflight (with an Origin header)' };
  if (!originAllowed(origin, settings)) return { ok: false, code: 'origin_not_allowed', message: `origin ${origin} is not allowed to send events (COLLECTOR_ALLOWED_ORIGINS)` };
  const requested = (headers['access-control-request-headers'] ?? '').split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  const refused = requested.filter((name) => !(ALLOWED_REQUEST_HEADERS as readonly string[]).includes(name));
  if (refused.length > 0) return { ok: false, code: 'origin_not_allowed', message: `request headers not allowed: ${refused.join(', ')}` };
  return {
    ok: true,
    headers: {
      ...corsHeaders(origin, settings),
      'access-control-allow-methods': 'POST, GET, OPTIONS',
      'access-control-allow-headers': ALLOWED_REQUEST_HEADERS.join(', '),
      'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
    },
  };
}

/**
 * The write key a request carries: the `X-Clickstream-Write-Key` header, HTTP Basic user
 * (`Authorization: Basic base64(key:)`, what Segment's libraries send), `?writeKey=`, or one the
 * body carried (given by the caller after parsing).
 */
export function writeKeyOf(headers: Readonly<Record<string, string | undefined>>, query: URLSearchParams, bodyKey?: string): string | undefined {
  const header = headers[WRITE_KEY_HEADER]?.trim();
  if (header) return header;
  const authorization = headers.authorization?.trim();
  if (authorization && /^basic\s+/i.test(authorization)) {
    const decoded = Buffer.from(authorization.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
    const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
    if (user) return user;
  }
  return query.get('writeKey') ?? query.get('write_key') ?? bodyKey ?? undefined;
}

/** Checks the write key against the settings: undefined when the request may go on. */
export function checkWriteKey(key: string | undefined, origin: string | undefined, settings: CollectorSettings): Refusal | undefined {
  if (key === undefined) {
    if (!settings.requireWriteKey) return undefined;
    return settings.writeKeys.size === 0
      ? { code: 'missing_write_key', message: 'this collector requires a write key and has none configured (COLLECTOR_WRITE_KEYS)' }
      : { code: 'missing_write_key', message: `send a write key (${WRITE_KEY_HEADER} header, ?writeKey=, or writeKey in the body)` };
  }
  const origins = settings.writeKeys.get(key);
  if (origins === undefined) {
    // Without configured keys and without the requirement, a key a tracker sends anyway is ignored.
    if (settings.writeKeys.size === 0 && !settings.requireWriteKey) return undefined;
    return { code: 'unknown_write_key', message: 'unknown write key' };
  }
  if (origins.size > 0 && (origin === undefined || !origins.has(origin.toLowerCase()))) {
    return { code: 'write_key_origin_mismatch', message: `this write key is for ${[...origins].join(', ')}` };
  }
  return undefined;
}
