import type { Observe, PrivacySource, RecordPlacement, ValidationLimits } from '@clickstream/shared';
import { checkWriteKey, corsHeaders, originAllowed, preflight, writeKeyOf, type Refusal } from './access';
import { clientAddress } from './client-address';
import type { CollectorSettings } from './config';
import { COLLECTOR_PATHS, GPC_HEADER, REQUEST_REJECTIONS, type ErrorResponse, type EventsResponse, type EventVerdict, type RequestRejectionCode } from './contract';
import { json, type CollectorRequest, type CollectorResponse } from './http';
import { checkContentType, parseEventsBody, parseJsonBody, type RawEvent } from './parse';
import { PIXEL_GIF, pixelEvent } from './pixel';
import { fromSegment, segmentMessages, segmentRoute } from './protocols/segment';
import { fromSnowplow, SNOWPLOW_PATHS, snowplowPayloads, snowplowQueryPayload } from './protocols/snowplow';
import type { RateLimiter } from './rate-limit';
import { oversizedRecord, prepareRecords, type PreparedRecord } from './records';
import type { EventStream } from './store';

/** Everything one request is handled with; the handler builds it once per cold start. */
export interface CollectorDependencies {
  settings: CollectorSettings;
  limits: ValidationLimits;
  /** The privacy policy (address mode and its key, query allow-list), read per request from its cache. */
  privacy: PrivacySource;
  stream: EventStream;
  rateLimiter: RateLimiter;
  /** The tracker's builds, served at /tracker.js and /tracker.mjs (absent: 404). */
  assets: { trackerScript?: string; trackerModule?: string };
}

/** How long a client should wait after a 503 from the stream. */
const STREAM_RETRY_AFTER_SECONDS = 1;

/**
 * One HTTP request, as named steps: route it, admit the sender (origin, rate limit, write key),
 * read the events (our format, or a tracker protocol mapped by its module in protocols/), prepare
 * the records (server-side fields, partition key, the consumers' verdict), write them, answer. Never throws: every failure is an answer with a status and a
 * reason, counted in `CollectorRejectedRequests`.
 */
export async function handleRequest(request: CollectorRequest, deps: CollectorDependencies, observe: Observe): Promise<CollectorResponse> {
  observe.metrics.add('CollectorRequests', 1);
  const origin = request.headers.origin;
  const cors = corsHeaders(origin, deps.settings);
  const refuse = (refusal: Refusal, extra: Partial<ErrorResponse> = {}, headers: Record<string, string> = {}): CollectorResponse => {
    observe.metrics.add('CollectorRejectedRequests', 1, 'Count', { Reason: refusal.code });
    observe.logger.info({ reason: refusal.code, method: request.method, path: request.path, origin }, `request refused: ${refusal.message}`);
    const body: ErrorResponse = { error: refusal.code, message: refusal.message, ...extra };
    return json(REQUEST_REJECTIONS[refusal.code], body, { ...cors, ...headers });
  };

  if (request.body.byteLength > deps.settings.maxBodyBytes) {
    return refuse({ code: 'body_too_large', message: `the body is ${request.body.byteLength} bytes, at most ${deps.settings.maxBodyBytes}` });
  }
  if (request.method === 'OPTIONS') {
    const answer = preflight(request.headers, deps.settings);
    return answer.ok ? { status: 204, headers: answer.headers, body: '' } : refuse(answer);
  }
  switch (request.path) {
    case COLLECTOR_PATHS.health:
      return onlyGet(request, refuse) ?? json(200, { status: 'ok' }, cors);
    case COLLECTOR_PATHS.tracker:
    case COLLECTOR_PATHS.trackerModule: {
      const refused = onlyGet(request, refuse);
      if (refused) return refused;
      const script = request.path === COLLECTOR_PATHS.tracker ? deps.assets.trackerScript : deps.assets.trackerModule;
      if (script === undefined) return refuse({ code: 'not_found', message: 'this collector was built without the tracker' });
      return { status: 200, headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' }, body: script };
    }
    case COLLECTOR_PATHS.events: {
      if (request.method !== 'POST') return refuse({ code: 'method_not_allowed', message: `${request.method} ${request.path}: send POST` }, {}, { allow: 'POST, OPTIONS' });
      const admitted = admit(request, deps, observe);
      if (admitted) return refuse(admitted.refusal, admitted.extra, admitted.headers);
      const contentType = checkContentType(request.headers['content-type']);
      if (contentType) return refuse(contentType);
      const parsed = parseEventsBody(request.body, deps.settings.maxEventsPerRequest);
      if (!parsed.ok) return refuse(parsed);
      const keyRefusal = checkWriteKey(writeKeyOf(request.headers, request.query, parsed.body.writeKey), origin, deps.settings);
      if (keyRefusal) return refuse(keyRefusal);
      const outcome = await ingest(parsed.body.events, request, deps, observe);
      if (!outcome.ok) return refuse(outcome.refusal, outcome.extra, outcome.headers);
      return json(200, eventsResponse(outcome.verdicts), cors);
    }
    case COLLECTOR_PATHS.pixel: {
      const refused = onlyGet(request, refuse);
      if (refused) return refused;
      const admitted = admit(request, deps, observe);
      if (admitted) return refuse(admitted.refusal, admitted.extra, admitted.headers);
      const keyRefusal = checkWriteKey(writeKeyOf(request.headers, request.query), origin, deps.settings);
      if (keyRefusal) return refuse(keyRefusal);
      const event = pixelEvent(request.query, { referer: request.headers.referer, userAgent: request.headers['user-agent'], clientAddress: senderAddress(request, deps.settings), receivedAtMs: request.receivedAtMs });
      const outcome = await ingest([{ kind: 'json', value: event }], request, deps, observe);
      if (!outcome.ok) return refuse(outcome.refusal, outcome.extra, outcome.headers);
      return pixelAnswer(outcome.verdicts[0]!, cors);
    }
    case SNOWPLOW_PATHS.post: {
      if (request.method !== 'POST') return refuse({ code: 'method_not_allowed', message: `${request.method} ${request.path}: send POST` }, {}, { allow: 'POST, OPTIONS' });
      const body = await readJson(request, deps, observe);
      if (!body.ok) return refuse(body.refusal, body.extra, body.headers);
      const payloads = snowplowPayloads(body.value);
      if (!payloads.ok) return refuse(payloads);
      if (payloads.payloads.length > deps.settings.maxEventsPerRequest) return refuse({ code: 'too_many_events', message: `${payloads.payloads.length} events in one request, at most ${deps.settings.maxEventsPerRequest}` });
      const keyRefusal = checkWriteKey(writeKeyOf(request.headers, request.query), origin, deps.settings);
      if (keyRefusal) return refuse(keyRefusal);
      const outcome = await ingest(payloads.payloads.map((payload) => ({ kind: 'json', value: fromSnowplow(payload, request.receivedAtMs) })), request, deps, observe);
      if (!outcome.ok) return refuse(outcome.refusal, outcome.extra, outcome.headers);
      return json(200, eventsResponse(outcome.verdicts), cors);
    }
    case SNOWPLOW_PATHS.pixel: {
      const refused = onlyGet(request, refuse);
      if (refused) return refused;
      const admitted = admit(request, deps, observe);
      if (admitted) return refuse(admitted.refusal, admitted.extra, admitted.headers);
      const keyRefusal = checkWriteKey(writeKeyOf(request.headers, request.query), origin, deps.settings);
      if (keyRefusal) return refuse(keyRefusal);
      const outcome = await ingest([{ kind: 'json', value: fromSnowplow(snowplowQueryPayload(request.query), request.receivedAtMs) }], request, deps, observe);
      if (!outcome.ok) return refuse(outcome.refusal, outcome.extra, outcome.headers);
      return pixelAnswer(outcome.verdicts[0]!, cors);
    }
    default: {
      const segment = segmentRoute(request.path);
      if (segment !== undefined) {
        if (request.method !== 'POST') return refuse({ code: 'method_not_allowed', message: `${request.method} ${request.path}: send POST` }, {}, { allow: 'POST, OPTIONS' });
        const body = await readJson(request, deps, observe);
        if (!body.ok) return refuse(body.refusal, body.extra, body.headers);
        const messages = segmentMessages(segment, body.value);
        if (!messages.ok) return refuse(messages);
        if (messages.value.messages.length > deps.settings.maxEventsPerRequest) return refuse({ code: 'too_many_events', message: `${messages.value.messages.length} messages in one request, at most ${deps.settings.maxEventsPerRequest}` });
        const keyRefusal = checkWriteKey(writeKeyOf(request.headers, request.query, messages.value.writeKey), origin, deps.settings);
        if (keyRefusal) return refuse(keyRefusal);
        const events: RawEvent[] = messages.value.messages.map((message) => ({ kind: 'json', value: fromSegment(message, request.receivedAtMs, messages.value.sentAt) }));
        const outcome = await ingest(events, request, deps, observe);
        if (!outcome.ok) return refuse(outcome.refusal, outcome.extra, outcome.headers);
        // Segment's API answers { "success": true }; the verdicts come along.
        return json(200, { success: true, ...eventsResponse(outcome.verdicts) }, cors);
      }
      return refuse({ code: 'not_found', message: `no route ${request.path}: POST ${COLLECTOR_PATHS.events}, GET ${COLLECTOR_PATHS.pixel}, GET ${COLLECTOR_PATHS.tracker}, GET ${COLLECTOR_PATHS.health}; Snowplow POST ${SNOWPLOW_PATHS.post}, GET ${SNOWPLOW_PATHS.pixel}; Segment POST /v1/track|page|identify|batch|t|p|i|b` });
    }
  }
}

/** Steps of the JSON protocols: admit the sender, check the content type, parse the body. */
async function readJson(request: CollectorRequest, deps: CollectorDependencies, observe: Observe): Promise<{ ok: true; value: unknown } | { ok: false; refusal: Refusal; extra?: Partial<ErrorResponse>; headers?: Record<string, string> }> {
  const admitted = admit(request, deps, observe);
  if (admitted) return { ok: false, ...admitted };
  const contentType = checkContentType(request.headers['content-type']);
  if (contentType) return { ok: false, refusal: contentType };
  const parsed = parseJsonBody(request.body);
  return parsed.ok ? parsed : { ok: false, refusal: parsed };
}

/** A pixel's answer: the GIF, with the verdict in headers. */
function pixelAnswer(verdict: EventVerdict, cors: Record<string, string>): CollectorResponse {
  return {
    status: 200,
    headers: { ...cors, 'content-type': 'image/gif', 'cache-control': 'no-store', 'x-clickstream-status': verdict.status, ...(verdict.reason ? { 'x-clickstream-reason': verdict.reason } : {}) },
    body: PIXEL_GIF,
  };
}

type Admission = { refusal: Refusal; extra?: Partial<ErrorResponse>; headers?: Record<string, string> } | undefined;

/** Step: a browser origin must be allowed, and the client within its rate. */
export function admit(request: CollectorRequest, deps: CollectorDependencies, observe: Observe): Admission {
  const origin = request.headers.origin;
  if (origin !== undefined && !originAllowed(origin, deps.settings)) {
    return { refusal: { code: 'origin_not_allowed', message: `origin ${origin} is not allowed to send events (COLLECTOR_ALLOWED_ORIGINS)` } };
  }
  const decision = deps.rateLimiter.take(senderAddress(request, deps.settings), request.receivedAtMs);
  if (!decision.allowed) {
    observe.metrics.add('CollectorThrottledRequests', 1);
    return {
      refusal: { code: 'rate_limited', message: `too many requests from this client: at most ${deps.settings.rateLimitPerSecond} a second (bursts of ${deps.settings.rateLimitBurst})` },
      extra: { retry_after_seconds: decision.retryAfterSeconds },
      headers: { 'retry-after': String(decision.retryAfterSeconds) },
    };
  }
  return undefined;
}

export function senderAddress(request: CollectorRequest, settings: CollectorSettings): string {
  return clientAddress(request.sourceIp, request.headers['x-forwarded-for'], settings.trustedProxyHops);
}

export type IngestOutcome =
  | { ok: true; verdicts: EventVerdict[] }
  | { ok: false; refusal: Refusal; extra?: Partial<ErrorResponse>; headers?: Record<string, string> };

/**
 * Steps shared by every protocol: prepare the records, write them all, and give each event its
 * verdict. `ok` only when every record is in the stream; otherwise a 503 with what was and was
 * not written, so nothing is acknowledged that was not written.
 */
export async function ingest(events: readonly RawEvent[], request: CollectorRequest, deps: CollectorDependencies, observe: Observe): Promise<IngestOutcome> {
  const userAgent = request.headers['user-agent'];
  const globalPrivacyControl = deps.settings.honorGlobalPrivacyControl && request.headers[GPC_HEADER]?.trim() === '1';
  const policy = await deps.privacy.policy();
  const records = prepareRecords(events, { receivedAtMs: request.receivedAtMs, clientAddress: senderAddress(request, deps.settings), globalPrivacyControl, ...(userAgent === undefined ? {} : { userAgent }) }, deps.limits, policy);
  const oversized = oversizedRecord(records);
  if (oversized !== undefined) return { ok: false, refusal: { code: 'event_too_large', message: `event ${oversized} is larger than a Kinesis record (1 MiB with its partition key)` } };
  observe.metrics.add('CollectorEventsReceived', records.length);
  const collected = records.filter((record) => !record.optedOut);
  if (collected.length < records.length) observe.metrics.add('CollectorOptedOutEvents', records.length - collected.length);

  let placements: Array<RecordPlacement | undefined>;
  try {
    const result = collected.length === 0 ? { placements: [], retried: 0, failedErrorCodes: [] } : await deps.stream.write(collected);
    let next = 0;
    placements = records.map((record) => (record.optedOut ? undefined : result.placements[next++]));
    if (result.retried > 0) observe.metrics.add('CollectorPutRetries', result.retried);
    if (result.failedErrorCodes.length > 0) observe.logger.warn({ failed: result.failedErrorCodes.length, codes: [...new Set(result.failedErrorCodes)] }, 'records still failing after retries');
  } catch (error) {
    observe.logger.error({ err: error }, 'PutRecords failed');
    placements = [];
  }
  const verdicts = records.map((record, index) => verdictOf(index, record, placements[index]));
  const written = verdicts.filter((verdict) => verdict.status === 'accepted' || verdict.status === 'quarantined').length;
  observe.metrics.add('CollectorEventsWritten', written);
  for (const record of records) if (!record.verdict.ok && !record.verdict.optedOut) observe.metrics.add('CollectorInvalidEvents', 1, 'Count', { Reason: record.verdict.reason });
  if (written < collected.length) {
    observe.metrics.add('CollectorStreamUnavailable', 1);
    return {
      ok: false,
      refusal: { code: 'stream_unavailable', message: `${collected.length - written} of ${collected.length} events could not be written to the stream (throttled or unavailable): send them again` },
      extra: { retry_after_seconds: STREAM_RETRY_AFTER_SECONDS, events: verdicts },
      headers: { 'retry-after': String(STREAM_RETRY_AFTER_SECONDS) },
    };
  }
  return { ok: true, verdicts };
}

/** One event's verdict: where it went and what the consumers will decide. */
export function verdictOf(index: number, record: PreparedRecord, placement: RecordPlacement | undefined): EventVerdict {
  const derived = placement === undefined ? null : `derived:${placement.shardId}:${placement.sequenceNumber}`;
  const eventId = record.sentEventId ?? derived;
  const verdict = record.verdict;
  if (record.optedOut || (!verdict.ok && verdict.optedOut)) return { index, event_id: record.sentEventId ?? null, status: 'opted_out' };
  const base: EventVerdict = { index, event_id: eventId, status: placement === undefined ? 'not_written' : verdict.ok ? 'accepted' : 'quarantined' };
  if (verdict.ok) return base;
  return { ...base, reason: verdict.reason, ...(verdict.field === undefined ? {} : { field: verdict.field }), message: verdict.message };
}

export function eventsResponse(verdicts: readonly EventVerdict[]): EventsResponse {
  const count = (status: EventVerdict['status']) => verdicts.filter((verdict) => verdict.status === status).length;
  const optedOut = count('opted_out');
  return { received: verdicts.length, accepted: count('accepted'), quarantined: count('quarantined'), ...(optedOut === 0 ? {} : { opted_out: optedOut }), events: [...verdicts] };
}

function onlyGet(request: CollectorRequest, refuse: (refusal: Refusal, extra?: Partial<ErrorResponse>, headers?: Record<string, string>) => CollectorResponse): CollectorResponse | undefined {
  if (request.method === 'GET' || request.method === 'HEAD') return undefined;
  return refuse({ code: 'method_not_allowed', message: `${request.method} ${request.path}: send GET` }, {}, { allow: 'GET, HEAD' });
}

/** The status a refusal code answers with (for adapters that refuse before the handler runs). */
export function statusOf(code: RequestRejectionCode): number {
  return REQUEST_REJECTIONS[code];
}
