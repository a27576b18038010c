import { randomUUID } from 'node:crypto';
import { applyPrivacy, decodeEvent, isCamelCasePayload, isOptedOut, MAX_FIELD_BYTES, pseudonymizeAddress, scrubAddresses, type PrivacyPolicy, type ValidationLimits, type ValidationResult } from '@clickstream/shared';
import type { RawEvent } from './parse';

/**
 * From what a client sent to the records the collector writes: opted-out events left out, the
 * server-side fields added, the privacy policy applied (client address pseudonymized, URLs reduced
 * to the allowed query parameters: shared/src/contract/privacy.ts), the partition key chosen, and
 * each record's fate decided by the consumers' own validation (`decodeEvent`) on exactly the bytes
 * that go into the stream.
 */

/** What the request tells about its sender, added to each event. */
export interface ServerFields {
  receivedAtMs: number;
  /** The request's User-Agent header. */
  userAgent?: string;
  /** The client address, full: it is pseudonymized here before it goes anywhere. */
  clientAddress?: string;
  /** The request carried a Global Privacy Control signal (`Sec-GPC: 1`) the collector honours: nothing of it is collected. */
  globalPrivacyControl?: boolean;
}

export interface PreparedRecord {
  /** Not collected (the event's opt-out or the request's GPC signal): never written. */
  optedOut?: boolean;
  partitionKey: string;
  data: Uint8Array;
  /** The verdict at the collector's receive time (the consumers decide at the record's arrival, milliseconds later). */
  verdict: ValidationResult;
  /** The `event_id` the event carried, if a string (else the pipeline derives one from where it lands). */
  sentEventId?: string;
}

/** Kinesis' limit for data plus partition key, per record. https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecordsRequestEntry.html */
export const KINESIS_RECORD_LIMIT_BYTES = 1_048_576;
const MAX_PARTITION_KEY_CHARS = 256;
// decodeEvent needs an origin for events without an id; the collector reports the real one once written.
const NOT_YET_WRITTEN = { shardId: 'collector', sequenceNumber: '0' };

const OPTED_OUT: ValidationResult = { ok: false, optedOut: true, message: 'not collected: the event carries an opt-out (opt_out) or the request a Global Privacy Control signal' };

export function prepareRecords(events: readonly RawEvent[], server: ServerFields, limits: ValidationLimits, policy: PrivacyPolicy): PreparedRecord[] {
  const receivedAt = new Date(server.receivedAtMs).toISOString();
  const storedClient = server.clientAddress === undefined ? undefined : pseudonymizeAddress(server.clientAddress, policy);
  const userAgent = server.userAgent === undefined ? undefined : truncateUtf8(server.userAgent, MAX_FIELD_BYTES.user_agent);
  return events.map((event) => {
    let text: string;
    let partitionKey: string | undefined;
    let sentEventId: string | undefined;
    if (event.kind === 'json' && isPlainObject(event.value)) {
      const fields = event.value;
      const camel = isCamelCasePayload(fields);
      const key = (snake: string, camelName: string) => (camel ? camelName : snake);
      const eventId = fields[key('event_id', 'eventId')];
      if (server.globalPrivacyControl === true || isOptedOut(fields)) {
        return { optedOut: true, partitionKey: '', data: new Uint8Array(), verdict: OPTED_OUT, ...(typeof eventId === 'string' ? { sentEventId: eventId } : {}) };
      }
      fields.received_at = receivedAt;
      const agentKey = key('user_agent', 'userAgent');
      if (fields[agentKey] === undefined && userAgent !== undefined) fields[agentKey] = userAgent;
      const addressKey = key('ip_address', 'ipAddress');
      if (fields[addressKey] === undefined && storedClient !== undefined) fields[addressKey] = storedClient;
      applyPrivacy(fields, policy);
      const session = fields[key('session_id', 'sessionId')];
      if (typeof session === 'string' && session.trim() !== '' && session.length <= MAX_PARTITION_KEY_CHARS) partitionKey = session;
      if (typeof eventId === 'string') sentEventId = eventId;
      text = JSON.stringify(fields);
    } else {
      text = event.kind === 'json' ? JSON.stringify(event.value) : event.text;
      if (server.globalPrivacyControl === true) return { optedOut: true, partitionKey: '', data: new Uint8Array(), verdict: OPTED_OUT };
    }
    let data: Uint8Array = Buffer.from(text, 'utf8');
    let verdict = decodeEvent(data, NOT_YET_WRITTEN, { ...limits, nowMs: server.receivedAtMs });
    if (!verdict.ok) {
      // What will be quarantined keeps its bytes: no address anywhere inside them may stay whole.
      const scrubbed = scrubAddresses(data, policy);
      if (scrubbed !== data) {
        data = scrubbed;
        verdict = decodeEvent(data, NOT_YET_WRITTEN, { ...limits, nowMs: server.receivedAtMs });
      }
    }
    // A record without a usable session id still needs a key: a random one spreads them over the shards.
    const record: PreparedRecord = { partitionKey: partitionKey ?? randomUUID(), data, verdict };
    if (sentEventId !== undefined) record.sentEventId = sentEventId;
    return record;
  });
}

/** The first record too large for Kinesis, if any (its index). */
export function oversizedRecord(records: readonly PreparedRecord[]): number | undefined {
  const index = records.findIndex((record) => !record.optedOut && record.data.byteLength + Buffer.byteLength(record.partitionKey) > KINESIS_RECORD_LIMIT_BYTES);
  return index < 0 ? undefined : index;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** At most `maxBytes` of UTF-8, cut at a character boundary. */
function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let cut = text.slice(0, maxBytes);
  while (Buffer.byteLength(cut) > maxBytes) cut = cut.slice(0, -1);
  // Never end on half a surrogate pair (validation rejects lone surrogates).
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}
