/**
 * The forget function's contract with its callers (`npm run forget`, `aws lambda invoke`) and with
 * readers of what it leaves behind: the request, the report, and the audit record.
 *
 *   audit/forget/year=YYYY/month=MM/day=DD/<request id>.json   one per request: what was removed
 *
 * The audit record names the user only by the SHA-256 of the user id: enough to show, when the
 * person asks, that their request was carried out (hash the id again and look), without keeping
 * the id itself. The forget function is the only writer of `audit/`.
 */
import { createHash } from 'node:crypto';
import { FORGET_AUDIT_PREFIX } from '@clickstream/shared';

export const AUDIT_PREFIX = FORGET_AUDIT_PREFIX;

/** What a caller sends: the user, and optionally the UTC event hours to search (default: the whole archive). */
export interface ForgetRequest {
  user_id: string;
  /** First event hour to search, `YYYY-MM-DDTHH` (with `to`; both or neither). */
  from?: string;
  /** Last event hour to search, inclusive. */
  to?: string;
  /** Report what would be removed, remove nothing, write no audit record. */
  dry_run?: boolean;
}

/** What a request removed (or, for a dry run, would remove). */
export interface ForgetReport {
  request_id: string;
  /** SHA-256 of the user id, hex. */
  user_id_sha256: string;
  dry_run: boolean;
  requested_at: string;
  completed_at: string;
  /** Sessions found to be the user's (their session items, or their events in the archive). */
  sessions: number;
  raw: { objects_read: number; objects_rewritten: number; events_removed: number };
  quarantine: { objects_read: number; objects_rewritten: number; records_removed: number };
  /** Event hours whose curated Parquet was re-compacted without the user's events. */
  curated_hours: string[];
  /** Objects of superseded curated generations (which held the user's rows) deleted. */
  curated_objects_deleted: number;
  session_items_deleted: number;
  alert_items_deleted: number;
  /** Older versions of rewritten objects deleted (versioned buckets). */
  object_versions_deleted: number;
  /** Where the audit record is (absent for a dry run). */
  audit_key?: string;
}

/** The audit record: the report, as stored. */
export type AuditRecord = ForgetReport & { schema_version: 1 };

export function userIdDigest(userId: string): string {
  return createHash('sha256').update(userId, 'utf8').digest('hex');
}

export function auditKey(atMs: number, requestId: string): string {
  const iso = new Date(atMs).toISOString();
  return `${AUDIT_PREFIX}year=${iso.slice(0, 4)}/month=${iso.slice(5, 7)}/day=${iso.slice(8, 10)}/${requestId}.json`;
}
