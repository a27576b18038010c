import type { Refusal } from './access';

/**
 * The body of `POST /v1/events` as a list of events, each either a parsed JSON value or (an
 * NDJSON line that is not JSON) its raw text, which still travels to the quarantine.
 *
 * Accepted shapes: a JSON array of events, `{ "events": [...] }` (optionally with `writeKey`), one
 * event object, or NDJSON (one event per line). Content types: `application/json`, `text/plain`
 * (what `navigator.sendBeacon` with a string and CORS-avoiding trackers send) and
 * `application/x-ndjson`; a missing Content-Type is read as JSON.
 */

export type RawEvent = { kind: 'json'; value: unknown } | { kind: 'text'; text: string };

export interface ParsedBody {
  events: RawEvent[];
  /** A `writeKey` field of a `{ events, writeKey }` envelope. */
  writeKey?: string;
}

const ACCEPTED_TYPES = new Set(['application/json', 'text/plain', 'application/x-ndjson', 'application/jsonl', 'application/ndjson']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Checks the Content-Type: undefined when the body may be read. */
export function checkContentType(contentType: string | undefined): Refusal | undefined {
  if (contentType === undefined || contentType.trim() === '') return undefined;
  const [type, ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (!ACCEPTED_TYPES.has(type ?? '')) {
    return { code: 'unsupported_media_type', message: `Content-Type ${type} is not accepted: send application/json, text/plain or application/x-ndjson` };
  }
  const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return { code: 'unsupported_media_type', message: `charset ${charset} is not accepted: send UTF-8` };
  return undefined;
}

/** A body that must be one JSON value (the Snowplow and Segment protocols). */
export function parseJsonBody(body: Uint8Array): { ok: true; value: unknown } | ({ ok: false } & Refusal) {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, code: 'invalid_utf8', message: 'the body is not valid UTF-8' };
  }
  if (text.trim() === '') return { ok: false, code: 'empty_body', message: 'the body is empty' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, code: 'invalid_json', message: `the body is not JSON: ${(error as Error).message}` };
  }
}

export function parseEventsBody(body: Uint8Array, maxEvents: number): { ok: true; body: ParsedBody } | ({ ok: false } & Refusal) {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, code: 'invalid_utf8', message: 'the body is not valid UTF-8' };
  }
  if (text.trim() === '') return { ok: false, code: 'empty_body', message: 'the body is empty: send a JSON array of events, { "events": [...] }, NDJSON or one event' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    if (lines.length < 2) return { ok: false, code: 'invalid_json', message: `the body is not JSON: ${(error as Error).message}` };
    return fromNdjson(lines, maxEvents);
  }
  if (Array.isArray(parsed)) return counted({ events: parsed.map(asJson) }, maxEvents);
  if (parsed !== null && typeof parsed === 'object') {
    const envelope = parsed as Record<string, unknown>;
    if ('events' in envelope) {
      if (!Array.isArray(envelope.events)) return { ok: false, code: 'not_an_event', message: '"events" must be an array of events' };
      const writeKey = typeof envelope.writeKey === 'string' ? envelope.writeKey : undefined;
      return counted({ events: envelope.events.map(asJson), ...(writeKey === undefined ? {} : { writeKey }) }, maxEvents);
    }
    return counted({ events: [asJson(parsed)] }, maxEvents);
  }
  return { ok: false, code: 'not_an_event', message: `the body is a JSON ${parsed === null ? 'null' : typeof parsed}, not an event: send an object, an array of them or { "events": [...] }` };
}

/** NDJSON: every non-blank line is one event; a line that is not JSON is kept as text (it will be quarantined). */
function fromNdjson(lines: string[], maxEvents: number): { ok: true; body: ParsedBody } | ({ ok: false } & Refusal) {
  if (lines.length > maxEvents) return tooMany(lines.length, maxEvents);
  let parsedLines = 0;
  const events = lines.map((line): RawEvent => {
    try {
      const value: unknown = JSON.parse(line);
      parsedLines++;
      return { kind: 'json', value };
    } catch {
      return { kind: 'text', text: line };
    }
  });
  if (parsedLines === 0) return { ok: false, code: 'invalid_json', message: 'the body is neither JSON nor NDJSON: no line is JSON' };
  return { ok: true, body: { events } };
}

function counted(body: ParsedBody, maxEvents: number): { ok: true; body: ParsedBody } | ({ ok: false } & Refusal) {
  if (body.events.length === 0) return { ok: false, code: 'empty_body', message: 'the request holds no events' };
  if (body.events.length > maxEvents) return tooMany(body.events.length, maxEvents);
  return { ok: true, body };
}

function tooMany(count: number, maxEvents: number): { ok: false } & Refusal {
  return { ok: false, code: 'too_many_events', message: `${count} events in one request, at most ${maxEvents}: split it` };
}

function asJson(value: unknown): RawEvent {
  return { kind: 'json', value };
}
