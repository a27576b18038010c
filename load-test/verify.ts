/**
 * End-to-end verification: after the run has drained, compares what the services wrote with the
 * runner's ledger of what Kinesis accepted. Every comparison is one check: nothing lost, nothing
 * counted twice.
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { createLogger, hourLabel, sleep } from '@clickstream/shared';
import type { CompactorEvent } from '../services/compactor/src/handler';
import { LakeSession, syncLake } from '../local/lake';
import { hourQuality } from '../local/lake-quality';
import { manifestCompactor } from '../local/lake-schedule';
import { hourPrefixes, listArchiveKeys, readArchiveLines, type ArchiveLine, type QuarantineLine } from '../services/archiver/src/contract';
import { DEFAULT_SESSION_RATE_PER_MINUTE } from '../services/anomaly-detector/src/contract';
import { ALL_EVENTS_COUNTER, counterName, counterTotals as readCounters, pageKey, readPageMetrics, sessionEventCounts } from '../services/event-processor/src/contract';
import type { Ledger } from './ledger';
import type { Target } from './targets';

export interface VerificationCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Baseline {
  counters: Map<string, number>;
}

/** `events#<type>` and `events#all` summed over the given minutes. */
export async function counterTotals(target: Target, metricNames: readonly string[], minutes: readonly string[]): Promise<Map<string, number>> {
  if (minutes.length === 0) return new Map();
  const perWindow = await readCounters({ client: target.dynamo, tables: target.tables }, metricNames, minutes[0]!, minutes[minutes.length - 1]!);
  return new Map([...perWindow].map(([name, windows]) => [name, [...windows.values()].reduce((sum, count) => sum + count, 0)]));
}

/** The counter of every type the run sent, and the total. */
function metricNames(ledger: Ledger): Map<string, number> {
  const expected = new Map([[ALL_EVENTS_COUNTER, ledger.accepted]]);
  for (const type of [...ledger.acceptedByType.keys()].sort()) expected.set(counterName(type), ledger.acceptedByType.get(type)!);
  return expected;
}

/**
 * For targets that are not this process's stack (no `waitForIdle`): waits until `events#all` over
 * the run's minutes reaches what was accepted, or stops changing for `quietMs`.
 */
export async function drainByPolling(target: Target, ledger: Ledger, baseline: Baseline, timeoutMs: number, quietMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // The event-processor's counters first, then the archiver (it batches for up to 10 s, so its
  // objects lag the counters), each until it has everything or has not moved for `quietMs`.
  await pollUntil(
    async () => ((await counterTotals(target, [ALL_EVENTS_COUNTER], ledger.minutes())).get(ALL_EVENTS_COUNTER) ?? 0) - (baseline.counters.get(ALL_EVENTS_COUNTER) ?? 0),
    ledger.accepted,
    deadline,
    quietMs,
  );
  if (!target.services.has('archiver')) return;
  await pollUntil(
    async () => {
      const archived = await archiveContents(target, ledger);
      return archived.lines + [...archived.quarantinedByReason.values()].reduce((sum, count) => sum + count, 0);
    },
    ledger.accepted + ledger.rejected,
    deadline,
    quietMs,
  );
}

/** Polls `measure` (backing off from 1 s to 10 s) until it reaches `wanted`, stops moving for `quietMs`, or the deadline passes. */
async function pollUntil(measure: () => Promise<number>, wanted: number, deadline: number, quietMs: number): Promise<void> {
  let last = -1;
  let lastChange = Date.now();
  for (let waitMs = 1000; Date.now() < deadline; waitMs = Math.min(10_000, waitMs * 2)) {
    const value = await measure();
    if (value >= wanted) return;
    if (value !== last) {
      last = value;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > quietMs) return;
    await sleep(Math.min(waitMs, Math.max(0, deadline - Date.now())));
  }
}

export async function verify(target: Target, ledger: Ledger, baseline: Baseline, runStartedMs: number): Promise<VerificationCheck[]> {
  const checks: VerificationCheck[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  if (ledger.unknown > 0) add('every PutRecords call answered', false, `${ledger.unknown} records in calls that threw: their fate is unknown`);

  // Counters: every accepted event counted once, per type and in total.
  const minutes = ledger.minutes();
  const expectedCounts = metricNames(ledger);
  const totals = await counterTotals(target, [...expectedCounts.keys()], minutes);
  const mismatches: string[] = [];
  for (const [name, expected] of expectedCounts) {
    const actual = (totals.get(name) ?? 0) - (baseline.counters.get(name) ?? 0);
    if (actual !== expected) mismatches.push(`${name} ${actual} ≠ ${expected}`);
  }
  add(
    'counters equal accepted events (events#all and per type)',
    mismatches.length === 0,
    mismatches.length === 0 ? `events#all = ${ledger.accepted} over ${minutes.length} minutes, ${ledger.acceptedByType.size} types` : mismatches.join('; '),
  );

  // Sessions: one item per session, its event_count equal to the events sent for it.
  const sessionIds = [...ledger.sessionEvents.keys()];
  const stored = await sessionEventCounts({ client: target.dynamo, tables: target.tables }, sessionIds);
  const found = stored.size;
  const wrongCounts: string[] = [];
  for (const [sessionId, count] of stored) {
    const expected = ledger.sessionEvents.get(sessionId);
    if (count !== expected) wrongCounts.push(wrongCounts.length < 5 ? `${sessionId} ${count} ≠ ${expected}` : '');
  }
  add('session-metrics: one item per session of the accepted events', found === sessionIds.length, `${found} of ${sessionIds.length} sessions (BatchGetItem by key)`);
  add('session-metrics: event_count equals events sent per session', wrongCounts.length === 0, wrongCounts.length === 0 ? `${sessionIds.length} sessions` : `${wrongCounts.length} sessions differ, e.g. ${wrongCounts.filter(Boolean).join('; ')}`);

  // Page metrics: page views and events per page and minute, as sent.
  if (ledger.pages.size > 0) {
    const stored = await readPageMetrics({ client: target.dynamo, tables: target.tables }, [...ledger.pages.keys()].map((key) => pageKey(...(key.split('\u0000') as [string, string]))));
    const wrongPages: string[] = [];
    for (const [key, expected] of ledger.pages) {
      const actual = stored.get(key) ?? { page_views: 0, events: 0 };
      if (actual.page_views !== expected.pageViews || actual.events !== expected.events) wrongPages.push(`${key.replace('\u0000', ' @ ')} ${actual.page_views}/${actual.events} ≠ ${expected.pageViews}/${expected.events}`);
    }
    add('page-metrics: page views and events per page and minute', wrongPages.length === 0, wrongPages.length === 0 ? `${ledger.pages.size} page-minutes` : `${wrongPages.length} differ, e.g. ${wrongPages.slice(0, 3).join('; ')}`);
  }

  if (target.services.has('archiver')) await verifyArchive(target, ledger, add);
  if (target.services.has('archiver') && target.services.has('event-processor')) await verifyLake(target, ledger, add);
  if (target.services.has('anomaly-detector')) await verifyAlerts(target, ledger, runStartedMs, add);
  return checks;
}

/** The archive lines and quarantine lines of this run's sessions and partition keys. */
async function archiveContents(target: Target, ledger: Ledger): Promise<{ objects: number; lines: number; eventIds: Set<string>; quarantinedByReason: Map<string, number> }> {
  const reader = { s3: target.s3, bucket: target.bucket };
  const eventKeys = ledger.accepted === 0 ? [] : (await Promise.all(hourPrefixes('events', ledger.firstEventMs, ledger.lastEventMs).map((prefix) => listArchiveKeys(reader, prefix)))).flat();
  let lines = 0;
  const eventIds = new Set<string>();
  await readArchiveLines<ArchiveLine>(reader, eventKeys, (line) => {
    if (!ledger.sessionEvents.has(line.session_id)) return;
    lines++;
    eventIds.add(line.event_id);
  });
  // Quarantine objects are partitioned by arrival hour: the hours of this run so far.
  const quarantineKeys = (await Promise.all(hourPrefixes('quarantine', Date.now() - 3 * 3_600_000, Date.now()).map((prefix) => listArchiveKeys(reader, prefix)))).flat();
  const quarantinedByReason = new Map<string, number>();
  await readArchiveLines<QuarantineLine>(reader, quarantineKeys, (line) => {
    if (!ledger.rejectedPartitionKeys.has(line.partition_key) && !ledger.rejectedPositions.has(`${line.shard_id}:${line.sequence_number}`)) return;
    quarantinedByReason.set(line.reason, (quarantinedByReason.get(line.reason) ?? 0) + 1);
  });
  return { objects: eventKeys.length, lines, eventIds, quarantinedByReason };
}

async function verifyArchive(target: Target, ledger: Ledger, add: (name: string, ok: boolean, detail: string) => void): Promise<void> {
  const { objects, lines, eventIds, quarantinedByReason: byReason } = await archiveContents(target, ledger);
  add('archive: one line per accepted event', lines === ledger.accepted, `${lines} lines for ${ledger.accepted} events in ${objects} objects`);
  add('archive: no event archived twice', eventIds.size === lines, `${eventIds.size} distinct event ids in ${lines} lines`);
  const reasons = [...new Set([...byReason.keys(), ...ledger.rejectedByReason.keys()])].sort();
  const differences = reasons.filter((reason) => (byReason.get(reason) ?? 0) !== (ledger.rejectedByReason.get(reason) ?? 0));
  add(
    'quarantine: one line per invalid record, by reason',
    differences.length === 0,
    reasons.map((reason) => `${reason} ${byReason.get(reason) ?? 0}/${ledger.rejectedByReason.get(reason) ?? 0}`).join(', ') || 'no invalid records',
  );
}

/**
 * The lake: every hour of the run compacted now (on demand, as `npm run compact` does), then the
 * curated zone read back with DuckDB: one row per accepted event, no event id twice, and the
 * quality report of each hour without a disagreement (curated rows = the counters' accepted events).
 */
async function verifyLake(target: Target, ledger: Ledger, add: (name: string, ok: boolean, detail: string) => void): Promise<void> {
  const compact = target.stack?.compactor
    ? (event: CompactorEvent) => target.stack!.compactor.invoke(event)
    : target.kind === 'local-running' && target.manifest !== undefined
      ? (event: CompactorEvent) => manifestCompactor(target.manifest!, createLogger({ service: 'compactor', level: 'warn' }))(event, { awsRequestId: 'load-test-verify' } as Context)
      : undefined;
  if (compact === undefined || ledger.accepted === 0) {
    add('lake: curated zone', true, compact === undefined ? 'skipped on AWS: invoke the compactor function with {"hour":"YYYY-MM-DDTHH"} and run the data-quality named query' : 'no accepted events');
    return;
  }
  const hours = hourPrefixes('events', ledger.firstEventMs, ledger.lastEventMs).map((_, index) => Math.floor(ledger.firstEventMs / 3_600_000) * 3_600_000 + index * 3_600_000);
  for (const hourMs of hours) await compact({ hour: hourLabel(hourMs) });

  const reader = { s3: target.s3, bucket: target.bucket };
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'load-test-lake-'));
  try {
    const { files } = await syncLake(reader, cacheDir);
    const session = await LakeSession.open(files);
    let rows = 0;
    const ids = new Set<string>();
    try {
      const filter = hours.map((hourMs) => `(year || '-' || month || '-' || day || 'T' || hour) = '${hourLabel(hourMs)}'`).join(' OR ');
      for (const row of await session.query(`SELECT session_id, event_id FROM events WHERE ${filter}`)) {
        if (!ledger.sessionEvents.has(String(row.session_id))) continue;
        rows++;
        ids.add(String(row.event_id));
      }
    } finally {
      session.close();
    }
    add('lake: one curated row per accepted event', rows === ledger.accepted, `${rows} rows for ${ledger.accepted} events in ${hours.length} hours (${files.curated.length} Parquet files)`);
    add('lake: no event id twice', ids.size === rows, `${ids.size} distinct event ids in ${rows} rows`);
    const reports = await Promise.all(hours.map((hourMs) => hourQuality(reader, { client: target.dynamo, tables: target.tables }, hourMs)));
    const disagreements = reports.filter((report) => report.problems.length > 0);
    add(
      'lake: quality reports no disagreement',
      disagreements.length === 0,
      disagreements.length === 0 ? reports.map((report) => `${report.hour}: ${report.curated_rows} rows = ${report.accepted_events} accepted, ${report.duplicates_removed} duplicates removed`).join('; ') : disagreements.map((report) => `${report.hour}: ${report.problems.join(', ')}`).join('; '),
    );
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

interface ReceivedAlert {
  rule: string;
  subjectKey: string;
  sessionId?: string;
  detectedAtMs: number;
}

async function receiveAlerts(target: Target): Promise<ReceivedAlert[]> {
  if (target.sqs === undefined || target.alertsQueueUrl === undefined) return [];
  const alerts: ReceivedAlert[] = [];
  for (let empty = 0; empty < 2; ) {
    const result = await target.sqs.send(new ReceiveMessageCommand({ QueueUrl: target.alertsQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    const messages = result.Messages ?? [];
    if (messages.length === 0) {
      empty++;
      continue;
    }
    for (const message of messages) {
      const envelope = JSON.parse(message.Body ?? '{}') as { Message?: string };
      const alert = JSON.parse(envelope.Message ?? message.Body ?? '{}') as { rule: string; subject_key: string; detected_at: string; context?: { session_id?: string } };
      alerts.push({
        rule: alert.rule,
        subjectKey: alert.subject_key,
        ...(alert.context?.session_id === undefined ? {} : { sessionId: alert.context.session_id }),
        detectedAtMs: Date.parse(alert.detected_at),
      });
    }
  }
  return alerts;
}

async function verifyAlerts(target: Target, ledger: Ledger, runStartedMs: number, add: (name: string, ok: boolean, detail: string) => void): Promise<void> {
  if (target.alertsQueueUrl === undefined) {
    add('alerts: read', true, 'skipped: no alerts queue on this target (AWS publishes to SNS; read the alerts table history instead)');
    return;
  }
  const alerts = (await receiveAlerts(target)).filter((alert) => alert.detectedAtMs >= runStartedMs - 1000);
  const alerted = new Set(alerts.flatMap((alert) => (alert.sessionId === undefined ? [] : [alert.sessionId])));
  // A bot session cut short by the end of the run may stay under the rate limit: only the ones
  // over it must fire (session_rate, the detector's default limit).
  const limit = DEFAULT_SESSION_RATE_PER_MINUTE;
  const due = ledger.botSessionsAbove(limit);
  const missed = due.filter((session) => !alerted.has(session));
  add(
    `alerts: every bot session over ${limit} events/min alerted`,
    missed.length === 0,
    `${due.length - missed.length} of ${due.length} (${ledger.botSessions.size} bot sessions in all, ${[...ledger.botSessions].filter((session) => alerted.has(session)).length} alerted)${missed.length ? `; missed ${missed.slice(0, 3).join(', ')}` : ''}`,
  );
  const unexpected = alerts.filter((alert) => alert.sessionId === undefined || !ledger.botSessions.has(alert.sessionId));
  const rules = new Map<string, number>();
  for (const alert of alerts) rules.set(alert.rule, (rules.get(alert.rule) ?? 0) + 1);
  add(
    'alerts: nothing but the bot sessions',
    unexpected.length === 0,
    `${alerts.length} alerts (${[...rules].map(([rule, count]) => `${rule} ${count}`).join(', ') || 'none'})${unexpected.length ? `; unexpected: ${unexpected.slice(0, 3).map((alert) => `${alert.rule} ${alert.subjectKey}`).join(', ')}` : ''}`,
  );
}
