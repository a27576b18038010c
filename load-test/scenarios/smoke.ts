/**
 * smoke: a few hundred events/s for 10 seconds — the pipeline works end to end.
 *   npm run load-test -- load-test/scenarios/smoke.ts --verify
 */
import { check } from '../k6';
import { Trend } from '../k6/metrics';
import { textSummary, type SummaryData } from '../k6/summary';
import { clickstream, type PipelineOptions } from '../lib/clickstream';
import { runnerReport } from '../report';

export const pipeline: PipelineOptions = { recordsPerIteration: 100, eventsPerSecond: 300, shards: 2, seed: 2026, botShare: 0.02, invalidShare: 0.02 };

export const options = {
  scenarios: {
    smoke: { executor: 'constant-arrival-rate' as const, rate: 3, timeUnit: '1s', duration: '10s', preAllocatedVUs: 2, maxVUs: 6, gracefulStop: '10s' },
  },
  thresholds: {
    put_latency: ['p(95)<1000'],
    events_failed: ['count==0'],
    dropped_iterations: ['count==0'],
    checks: [{ threshold: 'rate==1', abortOnFail: false }],
  },
};

const putLatency = new Trend('put_latency', true);

export function setup() {
  return { stream: clickstream.streamName, startedAt: new Date().toISOString() };
}

export default async function () {
  const outcome = await clickstream.put(clickstream.nextBatch(pipeline.recordsPerIteration));
  putLatency.add(outcome.durationMs);
  check(outcome, { 'PutRecords accepted every record': (result) => result.failed === 0 });
}

export function teardown(data: { startedAt: string }) {
  console.error(`smoke: started ${data.startedAt}`);
}

export function handleSummary(data: SummaryData) {
  return { stdout: textSummary(data) + runnerReport(data) };
}
