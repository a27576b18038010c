import { createLogger, parseEmfLine } from '@clickstream/shared';
import { alertSubject, toAlertMessage, type Alert } from '../../src/alerts';
import { loadDetectorSettings } from '../../src/config';
import { createHandler, dependenciesFromEnv } from '../../src/handler';
import { MemoryDetectorStore } from '../support/memory-store';
import { RecordingPublisher } from '../support/publisher';
import { event, kinesisEvent, lambdaContext, SequenceClock, streamRecords, T0 } from '../support/records';

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:clickstream-analytics-dev-alerts';

function setup(env: Record<string, string> = {}) {
  const lines: string[] = [];
  const store = new MemoryDetectorStore();
  const publisher = new RecordingPublisher();
  const deps = dependenciesFromEnv(
    { ALERTS_TOPIC_ARN: TOPIC, AWS_REGION: 'us-east-1', ...env },
    { store, publisher, logger: createLogger({ service: 'test', level: 'silent' }), emfWriter: (line) => lines.push(line), now: () => T0 + 60_000 },
  );
  return { handler: createHandler(deps), store, publisher, lines, deps };
}

describe('handler', () => {
  it('evaluates a Kinesis batch, publishes once and emits AnomaliesDetected by rule', async () => {
    const { handler, publisher, lines } = setup();
    const records = streamRecords(Array.from({ length: 3 }, (_, index) => event({ session_id: 'bot', user_agent: 'curl/8.5.0', at: T0 + index })), new SequenceClock());
    const response = await handler(kinesisEvent(records), lambdaContext());
    expect(response).toEqual({ batchItemFailures: [] });
    expect(publisher.rules()).toEqual(['bot_user_agent']);
    const points = lines.flatMap(parseEmfLine);
    expect(points).toContainEqual(expect.objectContaining({ namespace: 'Clickstream', name: 'AnomaliesDetected', value: 1, dimensions: { Service: 'anomaly-detector', Rule: 'bot_user_agent' } }));
  });

  it('reports the lowest sequence number to redeliver when an alert cannot be published', async () => {
    const { handler, publisher } = setup();
    const records = streamRecords([event({ session_id: 'fine' }), event({ session_id: 'bot', user_agent: 'curl/8.5.0' })], new SequenceClock());
    publisher.failNext = 1;
    const response = await handler(kinesisEvent(records), lambdaContext());
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]!.sequenceNumber }] });
  });

  it('acknowledges batches without evaluating them when ENABLE_ANOMALY_DETECTION=false', async () => {
    const { handler, publisher, store } = setup({ ENABLE_ANOMALY_DETECTION: 'false' });
    const records = streamRecords([event({ session_id: 'bot', user_agent: 'curl/8.5.0' })], new SequenceClock());
    expect(await handler(kinesisEvent(records), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(publisher.published).toEqual([]);
    expect(store.sessions.size).toBe(0);
  });

  it('records alerts in history without publishing when ENABLE_SNS_ALERTS=false', async () => {
    const store = new MemoryDetectorStore();
    const deps = dependenciesFromEnv({ ALERTS_TOPIC_ARN: TOPIC, ENABLE_SNS_ALERTS: 'false' }, { store, logger: createLogger({ service: 'test', level: 'silent' }), emfWriter: () => undefined, now: () => T0 + 60_000 });
    expect(deps.publisher).toBeUndefined();
    await createHandler(deps)(kinesisEvent(streamRecords([event({ session_id: 'bot', user_agent: 'curl/8.5.0' })], new SequenceClock())), lambdaContext());
    expect(store.history.map((record) => [record.rule, record.delivery])).toEqual([['bot_user_agent', 'disabled']]);
  });
});

describe('configuration', () => {
  it.each([
    { env: {}, topic: TOPIC, publish: true },
    { env: {}, topic: undefined, publish: false },
    { env: { ENABLE_SNS_ALERTS: 'false' }, topic: TOPIC, publish: false },
    { env: { ENABLE_SNS_ALERTS: 'true' }, topic: undefined, publish: false },
  ])('ENABLE_SNS_ALERTS=$env.ENABLE_SNS_ALERTS with topic $topic publishes: $publish', ({ env, topic, publish }) => {
    expect(loadDetectorSettings(env, topic === undefined ? {} : { alertsTopicArn: topic }).publishAlerts).toBe(publish);
  });

  it('documents its defaults', () => {
    expect(loadDetectorSettings({}, {})).toMatchObject({
      enabled: true,
      cooldownMs: 15 * 60_000,
      rules: { sessionRatePerMinute: 50, botMinEvents: 1, checkoutMinPriorEvents: 3, trafficZThreshold: 3, errorRateThreshold: 0.1, travelWindowMinutes: 30 },
    });
  });

  it.each([
    ['ANOMALY_SESSION_RATE_PER_MINUTE', 'many'],
    ['ANOMALY_ERROR_RATE_THRESHOLD', '1.5'],
    ['ENABLE_ANOMALY_DETECTION', 'perhaps'],
  ])('fails loudly on %s=%s', (name, value) => {
    expect(() => loadDetectorSettings({ [name]: value }, {})).toThrow(name);
  });
});

describe('alert message', () => {
  const alert: Alert = {
    alertId: 'a1',
    rule: 'bot_user_agent',
    severity: 'low',
    subjectKey: `bot:${'x'.repeat(200)}\u00e9`,
    observed: 1,
    threshold: 1,
    comparison: 'above',
    window: { start: '2026-11-22T10:00:00.000Z', end: '2026-11-22T10:00:00.000Z', seconds: 0 },
    incidentMs: T0,
    sampleEventIds: ['e1', 'e2', 'e3', 'e4', 'e5', 'e6'],
    description: 'bot',
    context: {},
  };

  it('has a readable ASCII subject of at most 100 characters', () => {
    const subject = alertSubject(alert);
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^\[LOW\] bot_user_agent bot:x+\.\.\.$/);
    expect(alertSubject({ ...alert, subjectKey: 'session:s-\u00fc1' })).toBe('[LOW] bot_user_agent session:s-?1: 1 > 1');
  });

  it('carries the contract fields and at most 5 sample event ids', () => {
    expect(toAlertMessage(alert, T0 + 1_000)).toMatchObject({
      rule: 'bot_user_agent',
      severity: 'low',
      subject_key: alert.subjectKey,
      observed: 1,
      threshold: 1,
      window: alert.window,
      sample_event_ids: ['e1', 'e2', 'e3', 'e4', 'e5'],
      detected_at: '2026-11-22T10:00:01.000Z',
    });
  });
});
