import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { awsCli, startTestStack } from '../../../../local/testing';
import type { LocalStack } from '../../../../local/stack';
import { event } from '../support/records';
import { drainAlerts } from '../support/stack';

jest.setTimeout(60_000);

describe('end to end: bot traffic through the aws CLI, the local event source mapping and SNS', () => {
  let stack: LocalStack;
  const workDir = mkdtempSync(path.join(tmpdir(), 'anomaly-e2e-'));

  beforeAll(async () => {
    stack = await startTestStack({ services: ['anomaly-detector'] });
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('raises exactly one SNS message per incident, even when the producer sends everything twice', async () => {
    const minuteStart = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 60_000;
    const botEvents = Array.from({ length: 70 }, (_, index) =>
      event({ session_id: 'e2e-bot', user_agent: 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', at: minuteStart + index * 400, page_url: `https://shop.example.com/p/${index}` }),
    );
    const stream = ['--stream-name', stack.manifest.stream.name];
    // One record the way the README shows it, then the rest with put-records.
    await awsCli(stack, ['kinesis', 'put-record', ...stream, '--partition-key', 'e2e-bot', '--data', JSON.stringify(botEvents[0]), '--cli-binary-format', 'raw-in-base64-out'], stack.manifest.endpoints.kinesis);
    const file = path.join(workDir, 'records.json');
    writeFileSync(file, JSON.stringify(botEvents.slice(1).map((raw) => ({ Data: JSON.stringify(raw), PartitionKey: 'e2e-bot' }))));
    const put = JSON.parse(await awsCli(stack, ['kinesis', 'put-records', ...stream, '--records', `file://${file}`, '--cli-binary-format', 'raw-in-base64-out'], stack.manifest.endpoints.kinesis)) as { FailedRecordCount: number };
    expect(put.FailedRecordCount).toBe(0);
    await stack.waitForIdle();

    // The producer retries the whole lot (same event ids, new records).
    await awsCli(stack, ['kinesis', 'put-records', ...stream, '--records', `file://${file}`, '--cli-binary-format', 'raw-in-base64-out'], stack.manifest.endpoints.kinesis);
    await stack.waitForIdle();

    const notifications = await drainAlerts(stack);
    expect(notifications.map((notification) => notification.alert.rule).sort()).toEqual(['bot_user_agent', 'session_rate']);
    for (const notification of notifications) {
      expect(notification.subject!.length).toBeLessThanOrEqual(100);
      expect(notification.attributes).toEqual({ severity: notification.alert.severity, rule: notification.alert.rule });
      expect(notification.alert).toEqual(
        expect.objectContaining({
          rule: expect.any(String),
          severity: expect.stringMatching(/^(low|medium|high)$/),
          subject_key: expect.any(String),
          observed: expect.any(Number),
          threshold: expect.any(Number),
          window: expect.objectContaining({ start: expect.any(String), end: expect.any(String), seconds: expect.any(Number) }),
          sample_event_ids: expect.arrayContaining([expect.stringMatching(/^evt-/)]),
        }),
      );
    }
    const rate = notifications.find((notification) => notification.alert.rule === 'session_rate')!;
    expect(rate.alert).toMatchObject({ subject_key: 'session:e2e-bot', observed: 70, threshold: 50 });
    expect(notifications.find((notification) => notification.alert.rule === 'bot_user_agent')!.alert.subject_key).toBe('bot:bingbot');
    expect(stack.mappings.get('anomaly-detector')!.stats.functionErrors).toBe(0);
  });
});
