import { ARCHIVE_OBJECT_SUFFIX, ARCHIVE_PREFIXES, forgottenTallyKey, hourLabel, hourPrefixes, mapWithConcurrency, MAX_FIELD_BYTES, parseHourLabel, type ForgottenTally, type Observe } from '@clickstream/shared';
import { personalStateKeys } from '../../anomaly-detector/src/contract';
import { parseGenerationName } from '../../compactor/src/contract';
import { auditKey, userIdDigest, type AuditRecord, type ForgetReport, type ForgetRequest } from './contract';
import { ForgetRequestError, RecompactionError } from './errors';
import { archiveLineOwner, eventDigest, linesText, mergeDigests, quarantineLineOwner, rewriteLines, sessionsOfUser, type ForgetTarget, type OwnerOf, type Rewrite } from './plan';
import type { ObjectStore, TableStore } from './store';

export interface ForgetDependencies {
  objects: ObjectStore;
  tables: TableStore;
  /** Compacts one event hour (`YYYY-MM-DDTHH`) now: the compactor's own on-demand run; answers its generation and rows. */
  recompact(hour: string): Promise<{ generation?: string; rows?: number }>;
  now(): number;
  /** How far back the alert history is searched (its TTL). */
  historyDays: number;
  /** Objects read in parallel. */
  readConcurrency: number;
}

interface Zone {
  name: 'events' | 'quarantine';
  ownerOf: OwnerOf;
}

const ZONES: readonly Zone[] = [
  { name: 'events', ownerOf: archiveLineOwner },
  { name: 'quarantine', ownerOf: quarantineLineOwner },
];

interface PlannedRewrite extends Rewrite {
  key: string;
  zone: Zone['name'];
  hourMs: number;
}

/** Re-compactions of one hour before giving up: another run (the schedule's) may switch the hour in between. */
const RECOMPACT_ATTEMPTS = 3;

/**
 * Forgets one user, as named steps (README "Privacy", "Forgetting a user"):
 *
 * 1. **find** the user's sessions: session items carrying the user id, and sessions whose archived
 *    or quarantined events carry it;
 * 2. **plan** every raw and quarantine object without the user's lines (each kept line byte for
 *    byte); objects with none of them are not touched;
 * 3. **tally** the removed events per event hour (`forgotten/…`), merged by event-id digest, so the
 *    compactor's count check still adds up while the counters keep their totals;
 * 4. **rewrite** the objects under their own keys: the key is the object's sequence range, so the
 *    archiver's redelivery dedup still sees those records as archived and never writes them again;
 *    older versions of a rewritten object are deleted on a versioned bucket;
 * 5. **re-compact** each affected hour with the compactor, check that its live generation was
 *    built after the rewrite (else compact again), and delete the superseded generations at once;
 * 6. **delete** the session items and the alert state, cooldowns and history about the user or
 *    their sessions;
 * 7. **audit**: one record of what was removed, naming the user by the digest of their id.
 *
 * Each step is idempotent and the order makes a retry after a crash safe: a second run finds
 * nothing of the user and changes nothing but its own audit record.
 */
export async function forgetUser(request: ForgetRequest, requestId: string, deps: ForgetDependencies, observe: Observe): Promise<ForgetReport> {
  const requestedAtMs = deps.now();
  const scope = checkRequest(request);
  const userId = request.user_id;
  const dryRun = request.dry_run === true;
  const report: ForgetReport = {
    request_id: requestId,
    user_id_sha256: userIdDigest(userId),
    dry_run: dryRun,
    requested_at: new Date(requestedAtMs).toISOString(),
    completed_at: '',
    sessions: 0,
    raw: { objects_read: 0, objects_rewritten: 0, events_removed: 0 },
    quarantine: { objects_read: 0, objects_rewritten: 0, records_removed: 0 },
    curated_hours: [],
    curated_objects_deleted: 0,
    session_items_deleted: 0,
    alert_items_deleted: 0,
    object_versions_deleted: 0,
  };

  // 1. find
  const objects = new Map<Zone['name'], string[]>();
  for (const zone of ZONES) objects.set(zone.name, await listZone(deps.objects, zone.name, scope));
  const sessions = new Set(await deps.tables.sessionsOfUser(userId));
  for (const zone of ZONES) {
    await mapWithConcurrency(objects.get(zone.name)!, deps.readConcurrency, async (key) => {
      sessionsOfUser((await deps.objects.readLines(key)) ?? [], userId, zone.ownerOf, sessions);
    });
  }
  report.sessions = sessions.size;
  const target: ForgetTarget = { userId, sessions };

  // 2. plan
  const planned: PlannedRewrite[] = [];
  for (const zone of ZONES) {
    const keys = objects.get(zone.name)!;
    await mapWithConcurrency(keys, deps.readConcurrency, async (key) => {
      const rewrite = rewriteLines((await deps.objects.readLines(key)) ?? [], target, zone.ownerOf);
      if (rewrite !== undefined) planned.push({ ...rewrite, key, zone: zone.name, hourMs: hourOfKey(key) });
    });
    const counts = zone.name === 'events' ? report.raw : report.quarantine;
    counts.objects_read = keys.length;
  }
  planned.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  report.raw.objects_rewritten = planned.filter((rewrite) => rewrite.zone === 'events').length;
  report.raw.events_removed = sum(planned.filter((rewrite) => rewrite.zone === 'events').map((rewrite) => rewrite.removed));
  report.quarantine.objects_rewritten = planned.filter((rewrite) => rewrite.zone === 'quarantine').length;
  report.quarantine.records_removed = sum(planned.filter((rewrite) => rewrite.zone === 'quarantine').map((rewrite) => rewrite.removed));
  const eventHours = [...new Set(planned.filter((rewrite) => rewrite.zone === 'events').map((rewrite) => rewrite.hourMs))].sort((a, b) => a - b);
  report.curated_hours = eventHours.map(hourLabel);
  const stateKeys = personalStateKeys(userId, [...sessions]);
  const historyKeys = await deps.tables.historyKeys(userId, [...sessions], requestedAtMs - deps.historyDays * 86_400_000);
  if (dryRun) {
    report.session_items_deleted = sessions.size;
    report.alert_items_deleted = historyKeys.length;
    report.completed_at = new Date(deps.now()).toISOString();
    return report;
  }

  for (const hourMs of eventHours) {
    const inHour = planned.filter((rewrite) => rewrite.zone === 'events' && rewrite.hourMs === hourMs);
    // 3. tally (before the rewrite: a crash in between finds the same events again and merges them in)
    await tally(deps, hourMs, report.user_id_sha256, inHour.flatMap((rewrite) => [...rewrite.removedEventIds]));
    // 4. rewrite
    for (const rewrite of inHour) report.object_versions_deleted += await rewriteObject(deps, rewrite);
    // 5. re-compact
    report.curated_objects_deleted += await recompact(deps, hourMs, deps.now());
  }
  for (const rewrite of planned.filter((candidate) => candidate.zone === 'quarantine')) report.object_versions_deleted += await rewriteObject(deps, rewrite);

  // 6. delete
  for (const sessionId of [...sessions].sort()) if (await deps.tables.deleteSession(sessionId, userId)) report.session_items_deleted++;
  for (const key of [...stateKeys, ...historyKeys]) if (await deps.tables.deleteAlertItem(key)) report.alert_items_deleted++;

  // 7. audit
  report.completed_at = new Date(deps.now()).toISOString();
  report.audit_key = auditKey(requestedAtMs, requestId);
  const record: AuditRecord = { schema_version: 1, ...report };
  await deps.objects.putJson(report.audit_key, record);
  observe.metrics.add('ForgottenEvents', report.raw.events_removed);
  observe.metrics.add('ForgottenQuarantinedRecords', report.quarantine.records_removed);
  observe.metrics.add('ForgottenItems', report.session_items_deleted + report.alert_items_deleted);
  observe.logger.info({ requestId, userIdSha256: report.user_id_sha256, sessions: report.sessions, eventsRemoved: report.raw.events_removed, quarantineRemoved: report.quarantine.records_removed, curatedHours: report.curated_hours, sessionItems: report.session_items_deleted, alertItems: report.alert_items_deleted, auditKey: report.audit_key }, 'user forgotten');
  return report;
}

interface Scope {
  fromMs?: number;
  toMs?: number;
}

function checkRequest(request: ForgetRequest): Scope {
  const userId: unknown = request?.user_id;
  if (typeof userId !== 'string' || userId.trim() === '') throw new ForgetRequestError('user_id is required: the user_id of the person to forget');
  if (Buffer.byteLength(userId) > MAX_FIELD_BYTES.user_id) throw new ForgetRequestError(`user_id is over ${MAX_FIELD_BYTES.user_id} bytes: no stored event can carry it`);
  if ((request.from === undefined) !== (request.to === undefined)) throw new ForgetRequestError('from and to go together (UTC event hours YYYY-MM-DDTHH)');
  if (request.from === undefined || request.to === undefined) return {};
  const hour = (text: string, name: string) => {
    try {
      return parseHourLabel(text);
    } catch {
      throw new ForgetRequestError(`${name} must be a UTC hour YYYY-MM-DDTHH, got ${JSON.stringify(text)}`);
    }
  };
  const fromMs = hour(request.from, 'from');
  const toMs = hour(request.to, 'to');
  if (fromMs > toMs) throw new ForgetRequestError('from must not be after to');
  return { fromMs, toMs };
}

/** The zone's objects in scope. Quarantine hours are arrival hours: searched up to a week past `to`. */
async function listZone(store: ObjectStore, zone: Zone['name'], scope: Scope): Promise<string[]> {
  const prefixes = scope.fromMs === undefined || scope.toMs === undefined ? [ARCHIVE_PREFIXES[zone]] : hourPrefixes(zone, scope.fromMs, zone === 'events' ? scope.toMs : scope.toMs + 7 * 86_400_000);
  const keys: string[] = [];
  for (const prefix of prefixes) for (const object of await store.listObjects(prefix)) if (object.key.endsWith(ARCHIVE_OBJECT_SUFFIX)) keys.push(object.key);
  return keys;
}

async function tally(deps: ForgetDependencies, hourMs: number, userDigest: string, eventIds: readonly string[]): Promise<void> {
  const key = forgottenTallyKey(hourMs, userDigest);
  const existing = (await deps.objects.readLines(key))?.map((line) => JSON.parse(line) as ForgottenTally)[0];
  const digests = mergeDigests(existing?.event_digests ?? [], eventIds.map(eventDigest));
  const line: ForgottenTally = { forgotten_at: new Date(deps.now()).toISOString(), forgotten_events: digests.length, event_digests: digests };
  await deps.objects.putLines(key, linesText([JSON.stringify(line)]));
}

async function rewriteObject(deps: ForgetDependencies, rewrite: PlannedRewrite): Promise<number> {
  await deps.objects.putLines(rewrite.key, linesText(rewrite.kept));
  return deps.objects.deleteOlderVersions(rewrite.key);
}

/** Re-compacts the hour and deletes its superseded generations; returns how many curated objects were deleted. */
async function recompact(deps: ForgetDependencies, hourMs: number, rewrittenAtMs: number): Promise<number> {
  const hour = hourLabel(hourMs);
  for (let attempt = 1; attempt <= RECOMPACT_ATTEMPTS; attempt++) {
    let compacted: { generation?: string; rows?: number };
    try {
      compacted = await deps.recompact(hour);
    } catch (error) {
      if (attempt === RECOMPACT_ATTEMPTS) throw new RecompactionError(hour, 'the compactor failed; run the request again', error);
      continue;
    }
    // Another run (the schedule's) may have switched the hour after ours; it counts only if it began after the rewrite.
    const live = await deps.objects.liveGeneration(hourMs);
    if (live === undefined ? compacted.rows === 0 : (parseGenerationName(live)?.compactedAtMs ?? 0) >= rewrittenAtMs) {
      // The superseded generations still hold the user's rows: they go now, not after the compactor's retirement delay
      // (a query reading the old generation at this moment fails and is run again).
      return deps.objects.deleteOtherGenerations(hourMs, live);
    }
  }
  throw new RecompactionError(hour, `the live generation was not built after the rewrite in ${RECOMPACT_ATTEMPTS} attempts; run the request again`);
}

function hourOfKey(key: string): number {
  const match = /year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/hour=(\d{2})\//.exec(key);
  if (match === null) throw new Error(`${key} is not in an hour partition`);
  return parseHourLabel(`${match[1]}-${match[2]}-${match[3]}T${match[4]}`);
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
