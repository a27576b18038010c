/**
 * soak: 1,000 events/s held for as long as `--duration` says (default 10m), to catch slow leaks,
 * growing iterator age and drift:
 *   npm run load-test -- load-test/scenarios/soak.ts --duration 1h --verify
 */
import { check } from '../k6';
import { Trend } from '../k6/metrics';
import { textSummary, type SummaryData } from '../k6/summary';
import { clickstream, type PipelineOptions } from '../lib/clickstream';
import { runnerReport } from '../report';

export const pipeline: PipelineOptions = { recordsPerIteration: 500, eventsPerSecond: 1000, shards: 2, seed: 2028 };

export const options = {
  scenarios: {
    soak: { executor: 'constant-arrival-rate' as const, rate: 2, timeUnit: '1s', duration: '10m', preAllocatedVUs: 4, maxVUs: 20, gracefulStop: '30s' },
  },
  thresholds: {
    put_latency: ['p(95)<200', { threshold: 'p(99)<2000', abortOnFail: true, delayAbortEval: '1m' }],
    events_failed: ['count==0'],
    dropped_iterations: ['count==0'],
  },
};

const putLatency = new Trend('put_latency', true);

export default async function () {
  const outcome = await clickstream.put(clickstream.nextBatch(pipeline.recordsPerIteration));
  putLatency.add(outcome.durationMs);
  check(outcome, { 'PutRecords accepted every record': (result) => result.failed === 0 });
}

export function handleSummary(data: SummaryData) {
  return { stdout: textSummary(data) + runnerReport(data) };
}
