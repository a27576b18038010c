/**
 * `npm run bench` (or `npx tsx services/anomaly-detector/bench/rules.bench.ts`):
 *  1. rule evaluation throughput on one core, on demo-like shop traffic with a few bots mixed in:
 *     the pure rules alone, then the whole batch path (decode, rules, state, minutes) against an
 *     in-memory store;
 *  2. DynamoDB requests per event with the real adapter against dynalite (batches of 100).
 */
import { createDynamoDbClient, createLogger, decideBatch, decodeEvent, MetricsLogger, type ClickstreamEvent } from '@clickstream/shared';
import { startTestStack } from '../../../local/testing';
import { DEFAULT_DETECTOR_SETTINGS } from '../src/config';
import { detectBatch } from '../src/processor';
import { evaluateSession, type DetectorEvent, type SessionState } from '../src/session-rules';
import { DynamoDbDetectorStore } from '../src/store';
import { judgeClosedMinutes } from '../src/traffic-rules';
import { evaluateUser, type UserState } from '../src/travel-rule';
import { MemoryDetectorStore } from '../test/support/memory-store';
import { RecordingPublisher } from '../test/support/publisher';
import { GOOGLEBOT_UA, SequenceClock, streamRecords, type RawEvent } from '../test/support/records';
import { generateTraffic } from '../test/support/traffic';

const BATCH = 100;
const LIMITS = { maxFutureSkewMs: 300_000, maxEventAgeMs: 1e12, maxRecordBytes: 1_048_576 };
const settings = { ...DEFAULT_DETECTOR_SETTINGS, publishAlerts: true };
const quiet = { logger: createLogger({ service: 'bench', level: 'silent' }), metrics: new MetricsLogger('Bench', {}, () => undefined) };

function traffic(startMs: number, minutes: number, sessionsPerMinute: number): RawEvent[] {
  const events = generateTraffic({ startMs, minutes, sessionsPerMinute, seed: 42 });
  // About 2 % bot sessions: a crawler and a script, each fast enough to trip the rate rule.
  for (let minute = 0; minute < minutes; minute += 5) {
    for (let index = 0; index < 60; index++) {
      events.push({ event_id: `bot-${minute}-${index}`, event_type: 'page_view', session_id: `crawler-${minute}`, user_agent: GOOGLEBOT_UA, page_url: `https://shop.example.com/p/${index}`, timestamp: new Date(startMs + minute * 60_000 + index * 900).toISOString() });
    }
  }
  return events.sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
}

function rulesOnly(events: readonly RawEvent[]): { eventsPerSecond: number } {
  const clock = new SequenceClock();
  const decoded: DetectorEvent[] = events.map((raw) => {
    const sequenceNumber = clock.take();
    const result = decodeEvent(Buffer.from(JSON.stringify(raw)), { shardId: 'shardId-0', sequenceNumber }, { nowMs: Date.parse(String(raw.timestamp)) + 1_000, maxFutureSkewMs: 300_000, maxEventAgeMs: 1e12, maxRecordBytes: 1_048_576 });
    if (!result.ok) throw new Error(result.message);
    return { event: result.event as ClickstreamEvent, shardId: 'shardId-0', sequenceNumber };
  });
  const sessions = new Map<string, SessionState>();
  const users = new Map<string, UserState>();
  const started = process.hrtime.bigint();
  for (let start = 0; start < decoded.length; start += BATCH) {
    const batch = decoded.slice(start, start + BATCH);
    const bySession = new Map<string, DetectorEvent[]>();
    const byUser = new Map<string, DetectorEvent[]>();
    for (const item of batch) {
      (bySession.get(item.event.session_id) ?? bySession.set(item.event.session_id, []).get(item.event.session_id)!).push(item);
      if (item.event.user_id !== undefined) (byUser.get(item.event.user_id) ?? byUser.set(item.event.user_id, []).get(item.event.user_id)!).push(item);
    }
    for (const [id, group] of bySession) {
      const evaluation = evaluateSession(sessions.get(id), group, settings.rules);
      if (evaluation.state) sessions.set(id, evaluation.state);
    }
    for (const [id, group] of byUser) {
      const evaluation = evaluateUser(users.get(id), group, settings.rules);
      if (evaluation.state) users.set(id, evaluation.state);
    }
  }
  judgeClosedMinutes({ fromMinute: '2026-11-22T10:00', toMinute: '2026-11-22T12:00', baseline: { mean: 0, variance: 0, samples: 0, version: 0 } }, new Map(), settings.rules);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { eventsPerSecond: decoded.length / seconds };
}

async function batchPath(events: readonly RawEvent[]): Promise<{ eventsPerSecond: number }> {
  const store = new MemoryDetectorStore();
  const deps = { store, publisher: new RecordingPublisher() };
  const records = streamRecords(events, new SequenceClock());
  const started = process.hrtime.bigint();
  for (let start = 0; start < records.length; start += BATCH) {
    const batch = records.slice(start, start + BATCH);
    const nowMs = Date.parse(String(events[Math.min(start + BATCH, events.length) - 1]!.timestamp)) + 1_000;
    await detectBatch(decideBatch(batch, LIMITS), deps, { settings, now: () => nowMs }, quiet);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { eventsPerSecond: records.length / seconds };
}

async function dynamoRequests(): Promise<{ events: number; requestsPerEvent: number; redeliveryRequestsPerEvent: number; eventsPerSecond: number }> {
  const stack = await startTestStack({ services: [] });
  try {
    const config = { region: stack.manifest.region, endpoints: { dynamodb: stack.manifest.endpoints.dynamodb }, awsMaxAttempts: 3, credentials: stack.manifest.credentials };
    const store = new DynamoDbDetectorStore(createDynamoDbClient(config), stack.manifest.tables.alerts, { stateTtlHours: 48, historyTtlDays: 30 });
    const startMs = Math.floor(Date.now() / 60_000) * 60_000 - 40 * 60_000;
    const events = traffic(startMs, 10, 20);
    const records = streamRecords(events, new SequenceClock());
    const run = async () => {
      for (let start = 0; start < records.length; start += BATCH) {
        const nowMs = Date.parse(String(events[Math.min(start + BATCH, events.length) - 1]!.timestamp)) + 1_000;
        await detectBatch(decideBatch(records.slice(start, start + BATCH), LIMITS), { store }, { settings: { ...settings, publishAlerts: false }, now: () => nowMs }, quiet);
      }
    };
    const started = process.hrtime.bigint();
    await run();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const first = store.stats.readRequests + store.stats.writeRequests;
    await run();
    const second = store.stats.readRequests + store.stats.writeRequests - first;
    return { events: records.length, requestsPerEvent: first / records.length, redeliveryRequestsPerEvent: second / records.length, eventsPerSecond: records.length / seconds };
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const startMs = Date.parse('2026-11-22T10:00:00Z');
  const events = traffic(startMs, 120, 50);
  rulesOnly(events.slice(0, 20_000));
  const pure = rulesOnly(events);
  await batchPath(events.slice(0, 20_000));
  const batch = await batchPath(events);
  const dynamo = await dynamoRequests();
  const format = (value: number) => Math.round(value).toLocaleString('en-US');
  console.log(`traffic: ${events.length} events, 120 simulated minutes, 50 sessions/min, ~2 % bot sessions, batches of ${BATCH}`);
  console.log(`| measure | result |`);
  console.log(`|---|---|`);
  console.log(`| rule evaluation only (pre-decoded, per-session + travel rules) | ${format(pure.eventsPerSecond)} events/s |`);
  console.log(`| batch path: decode + validate + rules + in-memory store | ${format(batch.eventsPerSecond)} events/s |`);
  console.log(`| DynamoDB requests per event (dynalite, ${dynamo.events} events, first delivery) | ${dynamo.requestsPerEvent.toFixed(3)} |`);
  console.log(`| DynamoDB requests per event, same batches redelivered | ${dynamo.redeliveryRequestsPerEvent.toFixed(3)} |`);
  console.log(`| end to end against dynalite (one shard, sequential batches) | ${format(dynamo.eventsPerSecond)} events/s |`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
