import { createHash } from 'node:crypto';
import { truncateIpAddress } from '@clickstream/shared';

/**
 * `GET /v1/pixel.gif?…`: one event for pages without JavaScript (`<img src>` in a page or an
 * e-mail). Query parameters are the canonical field names (`event_type`, `session_id`,
 * `page_url`, `event_id`, `timestamp`, `user_id`, `referrer`, `country`, `device_type`,
 * `value`); the rest become `properties`. Without `session_id` the session is derived from the
 * truncated client address, the user agent and the UTC day (`pixel:<hash>`), so a visitor
 * without JavaScript still has one session per day; without `page_url` the Referer header is the
 * page; without `timestamp` the receive time is the event time.
 */

/** A transparent 1×1 GIF (42 bytes). */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const STRING_FIELDS = ['event_type', 'session_id', 'page_url', 'event_id', 'timestamp', 'user_id', 'referrer', 'country', 'device_type'] as const;

export function pixelEvent(query: URLSearchParams, request: { referer?: string; userAgent?: string; clientAddress: string; receivedAtMs: number }): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  const properties: Record<string, string> = {};
  for (const [name, value] of query) {
    if ((STRING_FIELDS as readonly string[]).includes(name)) event[name] = value;
    else if (name === 'value') event.value = Number.isFinite(Number(value)) && value.trim() !== '' ? Number(value) : value;
    else if (name !== 'writeKey' && name !== 'write_key') properties[name] = value;
  }
  event.event_type ??= 'page_view';
  event.timestamp ??= new Date(request.receivedAtMs).toISOString();
  if (event.page_url === undefined && request.referer !== undefined) event.page_url = request.referer;
  if (event.session_id === undefined) {
    const day = new Date(request.receivedAtMs).toISOString().slice(0, 10);
    const network = truncateIpAddress(request.clientAddress) ?? 'unknown';
    event.session_id = `pixel:${createHash('sha256').update(`${network}|${request.userAgent ?? ''}|${day}`).digest('hex').slice(0, 24)}`;
  }
  if (Object.keys(properties).length > 0) event.properties = properties;
  return event;
}
