import { createHash, createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import { ipv6Groups, truncateIpAddress } from './client-address';

/**
 * The privacy rules every part of the pipeline applies the same way, as pure functions: how a
 * client address is stored, which query parameters a stored URL keeps, and which events carry an
 * opt-out. The collector applies them to what it writes to the stream; every consumer applies them
 * again in `decideBatch` (shared/src/runtime/batch.ts) to records that producers wrote to the
 * stream directly, so no table, archive line, quarantined record or log holds a full address or a
 * dropped query parameter, and every service sees the same event. Applying them twice changes
 * nothing (they are idempotent).
 *
 * Defaults are safe without configuration: addresses truncated (IPv4 /24, IPv6 /48), query strings
 * reduced to the UTM parameters, fragments dropped.
 */

/**
 * How a client address is stored: `truncate` to its network (the default), `hmac` (a keyed hash:
 * the same address gives the same pseudonym under one key, a new key gives new pseudonyms) or
 * `keep` (the full address: only when the operator opts in explicitly).
 */
export const ADDRESS_MODES = ['truncate', 'hmac', 'keep'] as const;
export type AddressMode = (typeof ADDRESS_MODES)[number];

/** Query parameters a stored URL keeps by default: the UTM campaign parameters. */
export const DEFAULT_QUERY_ALLOW_LIST = ['utm_*'] as const;

/** A pseudonymization key: the secret and a short public id naming it in pseudonyms. */
export interface AddressKey {
  /** 8 hex digits derived from the secret (a fingerprint, not the secret). */
  id: string;
  secret: Buffer;
}

export interface PrivacyPolicy {
  addressMode: AddressMode;
  /** Required in `hmac` mode. */
  addressKey?: AddressKey;
  /** Query parameter names kept in stored URLs, lower case; `name*` keeps every name starting with `name`. */
  queryAllowList: readonly string[];
}

/** The policy when nothing is configured. */
export const DEFAULT_PRIVACY_POLICY: PrivacyPolicy = { addressMode: 'truncate', queryAllowList: DEFAULT_QUERY_ALLOW_LIST };

/** What an HMAC pseudonym looks like: `hmac:<key id>:<22 base64url characters, 128 bits>`. */
export const ADDRESS_PSEUDONYM = /^hmac:[0-9a-f]{8}:[A-Za-z0-9_-]{22}$/;

/** Shortest accepted HMAC secret, in bytes (128 bits). */
export const MIN_ADDRESS_SECRET_BYTES = 16;

/** The key for a secret; its id is a fingerprint, so rotating the secret changes the id. */
export function addressKey(secret: string | Buffer): AddressKey {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (bytes.byteLength < MIN_ADDRESS_SECRET_BYTES) throw new Error(`the address secret is ${bytes.byteLength} bytes, at least ${MIN_ADDRESS_SECRET_BYTES} are needed`);
  return { id: createHash('sha256').update('clickstream-address-key\u0000').update(bytes).digest('hex').slice(0, 8), secret: bytes };
}

/**
 * An address in one canonical text per address (lower case, IPv6 fully expanded without leading
 * zeros, IPv4-mapped IPv6 as its IPv4, zone and port dropped), so one address always gives one
 * pseudonym; undefined when `text` is not an address.
 */
export function canonicalAddress(text: string): string | undefined {
  let candidate = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(candidate);
  if (bracketed) candidate = bracketed[1]!;
  else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}$/.test(candidate)) candidate = candidate.slice(0, candidate.lastIndexOf(':'));
  if (candidate.includes('%')) candidate = candidate.slice(0, candidate.indexOf('%'));
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(candidate);
  if (mapped) candidate = mapped[1]!;
  switch (isIP(candidate)) {
    case 4:
      return candidate;
    case 6:
      return ipv6Groups(candidate).map((group) => group.toString(16)).join(':');
    default:
      return undefined;
  }
}

/** The HMAC pseudonym of an address under `key` (undefined when `address` is not one). */
export function hmacAddress(address: string, key: AddressKey): string | undefined {
  const canonical = canonicalAddress(address);
  if (canonical === undefined) return undefined;
  const digest = createHmac('sha256', key.secret).update(canonical).digest('base64url').slice(0, 22);
  return `hmac:${key.id}:${digest}`;
}

/**
 * What is stored for a client address under `policy`: the truncated network, the HMAC pseudonym,
 * or the address itself (`keep`). A value that is already a pseudonym is kept; one that is not an
 * address at all gives undefined: the field is dropped rather than stored unread.
 */
export function pseudonymizeAddress(value: string, policy: PrivacyPolicy): string | undefined {
  if (policy.addressMode === 'keep') return value;
  if (ADDRESS_PSEUDONYM.test(value)) return value;
  const canonical = canonicalAddress(value);
  if (canonical === undefined) return undefined;
  if (policy.addressMode === 'truncate') return truncateIpAddress(canonical);
  if (policy.addressKey === undefined) throw new Error('the hmac address mode needs a key (CLIENT_ADDRESS_HMAC_SECRET…)');
  return hmacAddress(canonical, policy.addressKey);
}

/** True when a query parameter name is on the allow-list (exact, or `prefix*`), case-insensitively. */
export function queryParameterAllowed(name: string, allowList: readonly string[]): boolean {
  const lower = name.toLowerCase();
  return allowList.some((allowed) => (allowed.endsWith('*') ? lower.startsWith(allowed.slice(0, -1)) : lower === allowed));
}

/**
 * A URL (absolute or relative, or a bare `?query`) with only the allowed query parameters, in
 * their order and encoding as sent, and without its fragment (fragments carry tokens, OAuth's
 * `#access_token=` among them). Text without `?` or `#` is returned as is.
 */
export function stripUrl(url: string, allowList: readonly string[]): string {
  const hash = url.indexOf('#');
  const withoutFragment = hash < 0 ? url : url.slice(0, hash);
  const question = withoutFragment.indexOf('?');
  if (question < 0) return withoutFragment;
  const kept = withoutFragment
    .slice(question + 1)
    .split('&')
    .filter((pair) => pair !== '' && queryParameterAllowed(decodeName(pair.split('=')[0]!), allowList));
  return kept.length === 0 ? withoutFragment.slice(0, question) : `${withoutFragment.slice(0, question)}?${kept.join('&')}`;
}

/** A property value that is a URL (or a query string) whose query or fragment must be reduced. */
const URL_LIKE = /^(?:[a-z][a-z0-9+.-]*:\/\/|\/|\?)/i;

/**
 * Applies the policy to an event object in place (canonical snake_case or the camelCase SDK
 * shape): the client address (`ip_address` / `ipAddress`) pseudonymized or dropped, `page_url`
 * (`pageUrl`) and `referrer` reduced to the allowed query parameters, and inside `properties`
 * (any depth) every string that is an address pseudonymized and every URL or query string
 * reduced. Returns true when something changed.
 */
export function applyPrivacy(event: Record<string, unknown>, policy: PrivacyPolicy): boolean {
  let changed = false;
  for (const key of ['ip_address', 'ipAddress']) {
    const value = event[key];
    if (typeof value !== 'string') continue;
    const stored = pseudonymizeAddress(value, policy);
    if (stored === value) continue;
    if (stored === undefined) delete event[key];
    else event[key] = stored;
    changed = true;
  }
  for (const key of ['page_url', 'pageUrl', 'referrer']) {
    const value = event[key];
    if (typeof value !== 'string') continue;
    const stripped = stripUrl(value, policy.queryAllowList);
    if (stripped !== value) {
      event[key] = stripped;
      changed = true;
    }
  }
  const properties = event.properties;
  if (properties !== null && typeof properties === 'object') changed = sanitizeTree(properties as Record<string, unknown>, policy) || changed;
  return changed;
}

function sanitizeTree(node: Record<string, unknown> | unknown[], policy: PrivacyPolicy): boolean {
  let changed = false;
  const entries: Array<[string | number, unknown]> = Array.isArray(node) ? node.map((value, index) => [index, value]) : Object.entries(node);
  for (const [key, value] of entries) {
    if (typeof value === 'string') {
      const sanitized = sanitizeString(value, policy);
      if (sanitized !== value) {
        (node as Record<string | number, unknown>)[key] = sanitized;
        changed = true;
      }
    } else if (value !== null && typeof value === 'object') {
      changed = sanitizeTree(value as Record<string, unknown>, policy) || changed;
    }
  }
  return changed;
}

function sanitizeString(value: string, policy: PrivacyPolicy): string {
  if (policy.addressMode !== 'keep' && value.length <= 64 && canonicalAddress(value) !== undefined) return pseudonymizeAddress(value, policy) ?? '';
  if ((value.includes('?') || value.includes('#')) && URL_LIKE.test(value)) return stripUrl(value, policy.queryAllowList);
  return value;
}

// Candidates for addresses inside free text: dotted quads, and runs of hex digits and colons.
const ADDRESS_CANDIDATES = /(?<![\w.:])(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]*:[0-9a-f:]*:[0-9a-f.:]*)(?![\w.:])/gi;

/**
 * Every address inside a text pseudonymized, the rest unchanged: for bytes that are not a JSON
 * event (a quarantined record's raw bytes), where no field says which part is the address. Read
 * as latin1, so bytes that are not UTF-8 come back unchanged.
 */
export function scrubAddresses(bytes: Uint8Array, policy: PrivacyPolicy): Uint8Array {
  if (policy.addressMode === 'keep') return bytes;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let changed = false;
  const scrubbed = text.replace(ADDRESS_CANDIDATES, (candidate) => {
    if (isIP(candidate) === 0) return candidate;
    changed = true;
    return pseudonymizeAddress(candidate, policy) ?? '';
  });
  return changed ? Buffer.from(scrubbed, 'latin1') : bytes;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The bytes of a rejected record as the quarantine keeps them: a JSON object gets `applyPrivacy`
 * (then re-serialized), and any address left anywhere in the text is pseudonymized
 * (`scrubAddresses`); other bytes are kept exactly. Unchanged input comes back as the same array.
 */
export function sanitizeRecordBytes(bytes: Uint8Array, policy: PrivacyPolicy): Uint8Array {
  let candidate = bytes;
  try {
    const parsed: unknown = JSON.parse(utf8.decode(bytes));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && applyPrivacy(parsed as Record<string, unknown>, policy)) candidate = Buffer.from(JSON.stringify(parsed), 'utf8');
  } catch {
    candidate = bytes;
  }
  return scrubAddresses(candidate, policy);
}

/** Values of the opt-out field that mean "do not collect" (the pixel sends strings). */
const OPT_OUT_VALUES: ReadonlySet<unknown> = new Set([true, 'true', '1', 1]);

/**
 * True when an event carries the documented opt-out: `opt_out` (camelCase `optOut`) set to
 * `true` (or `"true"`, `1`), at the top level or in `properties`. Such events are not collected:
 * the collector does not write them, and consumers neither count, archive nor quarantine them.
 */
export function isOptedOut(event: Record<string, unknown>): boolean {
  if (OPT_OUT_VALUES.has(event.opt_out) || OPT_OUT_VALUES.has(event.optOut)) return true;
  const properties = event.properties;
  if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) return false;
  const inner = properties as Record<string, unknown>;
  return OPT_OUT_VALUES.has(inner.opt_out) || OPT_OUT_VALUES.has(inner.optOut);
}

function decodeName(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    return encoded;
  }
}
