import type { RejectionReason } from '@clickstream/shared';

/**
 * The collector's public HTTP contract, for every client and reader (the tracker, the local
 * server, the load test, tests): paths, headers, request-level rejection codes and the answer to
 * `POST /v1/events`.
 *
 *   POST /v1/events        JSON array, `{ "events": [...] }`, NDJSON or one event;
 *                          Content-Type application/json, text/plain or application/x-ndjson
 *   GET  /v1/pixel.gif     one event from the query string, answered with a 1×1 GIF
 *   GET  /tracker.js       the browser tracker (classic script defining `window.clickstream`)
 *   GET  /health           liveness
 *   OPTIONS (any path)     CORS preflight
 */

export const COLLECTOR_PATHS = {
  events: '/v1/events',
  pixel: '/v1/pixel.gif',
  tracker: '/tracker.js',
  trackerModule: '/tracker.mjs',
  health: '/health',
} as const;

/** The write key header; also accepted: `Authorization: Basic base64(key:)`, `?writeKey=`, a body `writeKey`. */
export const WRITE_KEY_HEADER = 'x-clickstream-write-key';

/** Why a whole request was refused (nothing of it was written); each is counted in `CollectorRejectedRequests` by `Reason`. */
export const REQUEST_REJECTIONS = {
  empty_body: 400,
  invalid_json: 400,
  invalid_utf8: 400,
  not_an_event: 400,
  invalid_query: 400,
  missing_write_key: 401,
  unknown_write_key: 403,
  write_key_origin_mismatch: 403,
  origin_not_allowed: 403,
  host_not_allowed: 403,
  not_found: 404,
  method_not_allowed: 405,
  header_timeout: 408,
  body_timeout: 408,
  body_too_large: 413,
  too_many_events: 413,
  event_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  stream_unavailable: 503,
} as const;

export type RequestRejectionCode = keyof typeof REQUEST_REJECTIONS;

/** The answer to a refused request. */
export interface ErrorResponse {
  error: RequestRejectionCode;
  message: string;
  /** For 429 and 503, also sent as the `Retry-After` header. */
  retry_after_seconds?: number;
  /** For 503: what happened to each event (some may be in the stream already; resending them is harmless when they carry an `event_id`). */
  events?: EventVerdict[];
}

/**
 * `accepted`: in the stream, and the consumers will count it. `quarantined`: in the stream, and
 * the consumers will quarantine it for `reason` (the same shared validation decides). `opted_out`:
 * the event carried the opt-out (`opt_out: true`) or the request a Global Privacy Control signal
 * (`Sec-GPC: 1`): not collected, nothing of it was written. `not_written` (only in a 503): not in
 * the stream; send it again.
 */
export type EventStatus = 'accepted' | 'quarantined' | 'opted_out' | 'not_written';

/** The request header of Global Privacy Control (https://privacycg.github.io/gpc-spec/): `1` means do not sell or share. */
export const GPC_HEADER = 'sec-gpc';

export interface EventVerdict {
  /** Position in the request, from 0. */
  index: number;
  /** The event's id in the pipeline: as sent, or `derived:<shardId>:<sequenceNumber>` when it had none (null if not written). */
  event_id: string | null;
  status: EventStatus;
  /** For events the consumers will quarantine: their reason code (`REJECTION_REASONS`). */
  reason?: RejectionReason;
  field?: string;
  message?: string;
}

/** The answer to `POST /v1/events` (200): every event is in the stream, one verdict each, in request order. */
export interface EventsResponse {
  received: number;
  accepted: number;
  quarantined: number;
  /** Events not collected because they opted out (present when there are any). */
  opted_out?: number;
  events: EventVerdict[];
}
