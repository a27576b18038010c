/**
 * steady: 1,000 events/s for 2 minutes on 2 shards (half the 2,000 records/s two shards take
 * on AWS): 2 PutRecords calls of 500 records a second.
 *   npm run load-test -- load-test/scenarios/steady.ts --verify
 */
import { check } from '../k6';
import { Counter, Gauge, Rate, Trend } from '../k6/metrics';
import { textSummary, type SummaryData } from '../k6/summary';
import { clickstream, type PipelineOptions } from '../lib/clickstream';
import { runnerReport } from '../report';

export const pipeline: PipelineOptions = { recordsPerIteration: 500, eventsPerSecond: 1000, shards: 2, seed: 2026, botShare: 0.01, invalidShare: 0.01 };

export const options = {
  scenarios: {
    steady: { executor: 'constant-arrival-rate' as const, rate: 2, timeUnit: '1s', duration: '2m', preAllocatedVUs: 4, maxVUs: 20, gracefulStop: '30s' },
  },
  thresholds: {
    put_latency: ['p(95)<200', { threshold: 'p(99)<1000', abortOnFail: true, delayAbortEval: '10s' }],
    batch_fully_accepted: ['rate==1'],
    events_failed: ['count==0'],
    dropped_iterations: ['count==0'],
    checks: ['rate==1'],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
};

const putLatency = new Trend('put_latency', true);
const batchFullyAccepted = new Rate('batch_fully_accepted');
const putCalls = new Counter('put_calls');
const eventTimeLag = new Gauge('event_time_lag', true);

export function setup() {
  return { stream: clickstream.streamName };
}

export default async function () {
  const batch = clickstream.nextBatch(pipeline.recordsPerIteration);
  eventTimeLag.add(Date.now() - batch[batch.length - 1]!.eventTimeMs);
  const outcome = await clickstream.put(batch);
  putLatency.add(outcome.durationMs);
  putCalls.add(outcome.requests);
  batchFullyAccepted.add(outcome.failed === 0);
  check(outcome, {
    'PutRecords accepted every record': (result) => result.failed === 0,
    'no entry needed a retry': (result) => result.retried === 0,
  });
}

export function handleSummary(data: SummaryData) {
  return { stdout: textSummary(data) + runnerReport(data) };
}
