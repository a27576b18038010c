import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbClient, minuteWindow, type StreamRecord } from '@clickstream/shared';
import { startTestStack } from '../../../../local/testing';
import { listRecentAlerts, sessionKey } from '../../src/contract';
import { event, kinesisEvent, lambdaContext, SequenceClock, streamRecords, type RawEvent } from '../support/records';
import { drainAlerts, sandbox } from '../support/stack';

jest.setTimeout(60_000);

// Event time in the recent past (validation rejects events more than 5 minutes ahead).
const minuteStart = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
const now = () => minuteStart + 4 * 60_000;
const scraper = (count: number, sessionId: string, offsetMs = 0): RawEvent[] =>
  Array.from({ length: count }, (_, index) => event({ session_id: sessionId, user_agent: 'python-requests/2.32.3', at: minuteStart + offsetMs + index * 500 }));

describe('anomaly-detector against dynalite and fauxqs', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'anomaly-detector-data-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps cooldowns across a restart, raises nothing new on redelivery, and lists the history', async () => {
    const clock = new SequenceClock();
    const batchA = streamRecords(scraper(60, 'scraper-1'), clock);

    let stack = await startTestStack({ services: [], dataDir });
    try {
      const first = sandbox(stack, now);
      expect(await first.handler(kinesisEvent(batchA), lambdaContext())).toEqual({ batchItemFailures: [] });
      const raised = await drainAlerts(stack);
      expect(raised.map((notification) => notification.alert.rule).sort()).toEqual(['bot_user_agent', 'session_rate']);
      const requestsPerEvent = (first.store.stats.readRequests + first.store.stats.writeRequests) / batchA.length;
      expect(requestsPerEvent).toBeLessThan(0.5);

      // Redelivery of the same batch, and a fresh sandbox (cold start) receiving it again.
      await first.handler(kinesisEvent(batchA), lambdaContext());
      await sandbox(stack, now).handler(kinesisEvent(batchA), lambdaContext());
      expect(await drainAlerts(stack)).toEqual([]);
      const minutes = await first.store.readMinutes(minuteWindow(minuteStart), minuteWindow(minuteStart));
      expect(minutes.get(minuteWindow(minuteStart))).toEqual({ events: 60, errors: 0 });
    } finally {
      await stack.stop();
    }

    // Restart the emulators on the same data directory: state and cooldowns are still there.
    stack = await startTestStack({ services: [], dataDir });
    try {
      const restarted = sandbox(stack, now);
      const batchB = streamRecords(
        [...scraper(60, 'scraper-1', 60_000), ...scraper(5, 'scraper-2', 60_000), event({ session_id: 'carder', event_type: 'purchase', at: minuteStart + 90_000, value: 10 })],
        clock,
      );
      expect(await restarted.handler(kinesisEvent(batchB), lambdaContext())).toEqual({ batchItemFailures: [] });
      const afterRestart = await drainAlerts(stack);
      expect(afterRestart.map((notification) => `${notification.alert.rule} ${notification.alert.subject_key}`)).toEqual(['checkout_without_browsing session:carder']);

      const history = await listRecentAlerts(createDynamoDbClient(restarted.config), restarted.config.tables.alerts, { limit: 10, sinceMs: minuteStart - 60_000 });
      // Newest incident first; the two alerts of the first minute share its start, then sort by rule.
      expect(history.map((record) => record.rule)).toEqual(['checkout_without_browsing', 'session_rate', 'bot_user_agent']);
      expect(await listRecentAlerts(createDynamoDbClient(restarted.config), restarted.config.tables.alerts, { limit: 1, sinceMs: minuteStart - 60_000 })).toHaveLength(1);
    } finally {
      await stack.stop();
    }
  });
  it('reads back from memory the sessions it wrote, and notices when another writer or a deletion made its copy stale', async () => {
    const clock = new SequenceClock();
    // A browsing session, one event every 3 s (no rule fires), in batches of ten.
    const browsing = Array.from({ length: 40 }, (_, index) => event({ session_id: 'shopper', at: minuteStart + index * 3_000 }));
    const batches = [0, 10, 20, 30].map((from) => streamRecords(browsing.slice(from, from + 10), clock));
    const [batch1, batch2, batch3, batch4] = batches as [StreamRecord[], StreamRecord[], StreamRecord[], StreamRecord[]];
    const stack = await startTestStack({ services: [] });
    try {
      const first = sandbox(stack, now);
      const second = sandbox(stack, now);
      const stored = async () => (await sandbox(stack, now).store.load({ sessionIds: ['shopper'], userIds: [] })).sessions.get('shopper');
      const failure = (records: readonly StreamRecord[]) => ({ batchItemFailures: [{ itemIdentifier: records[0]!.sequenceNumber }] });

      expect(await first.handler(kinesisEvent(batch1), lambdaContext())).toEqual({ batchItemFailures: [] });
      expect(await first.handler(kinesisEvent(batch2), lambdaContext())).toEqual({ batchItemFailures: [] });
      expect(first.store.stats.sessionsFromMemory).toBe(1);

      // The shard moves to another sandbox for one batch: the first one's copy is stale now.
      expect(await second.handler(kinesisEvent(batch3), lambdaContext())).toEqual({ batchItemFailures: [] });
      expect(await first.handler(kinesisEvent(batch4), lambdaContext())).toEqual(failure(batch4));
      expect((await stored())?.eventCount).toBe(30);
      expect(await first.handler(kinesisEvent(batch4), lambdaContext())).toEqual({ batchItemFailures: [] });
      expect((await stored())?.eventCount).toBe(40);

      // The state is deleted behind the sandbox's back (a forget, a TTL expiry): it is not brought back.
      const documents = DynamoDBDocumentClient.from(createDynamoDbClient(first.config));
      await documents.send(new DeleteCommand({ TableName: first.config.tables.alerts, Key: sessionKey('shopper') }));
      const later = streamRecords([event({ session_id: 'shopper', at: minuteStart + 130_000 })], clock);
      expect(await first.handler(kinesisEvent(later), lambdaContext())).toEqual(failure(later));
      expect(await first.handler(kinesisEvent(later), lambdaContext())).toEqual({ batchItemFailures: [] });
      expect((await stored())?.eventCount).toBe(1);
      const minutes = await first.store.readMinutes(minuteWindow(minuteStart), minuteWindow(minuteStart + 130_000));
      expect([...minutes.values()].reduce((sum, counts) => sum + counts.events, 0)).toBe(41);
    } finally {
      await stack.stop();
    }
  });
});
