/**
 * spike: 500 events/s, a jump to 4,000 events/s for 20 seconds (twice what 2 shards take on AWS,
 * where Kinesis throttles and the producer retries), then back.
 *   npm run load-test -- load-test/scenarios/spike.ts --verify
 */
import { check } from '../k6';
import { Trend } from '../k6/metrics';
import { textSummary, type SummaryData } from '../k6/summary';
import { clickstream, type PipelineOptions } from '../lib/clickstream';
import { runnerReport } from '../report';

export const pipeline: PipelineOptions = { recordsPerIteration: 500, eventsPerSecond: 4000, shards: 2, seed: 2027 };

export const options = {
  scenarios: {
    spike: {
      executor: 'ramping-arrival-rate' as const,
      startRate: 1,
      timeUnit: '1s',
      preAllocatedVUs: 8,
      maxVUs: 40,
      stages: [
        { target: 1, duration: '20s' },
        { target: 8, duration: '5s' },
        { target: 8, duration: '20s' },
        { target: 1, duration: '5s' },
        { target: 1, duration: '20s' },
      ],
      gracefulStop: '30s',
    },
  },
  thresholds: {
    put_latency: ['p(95)<500'],
    events_failed: ['count==0'],
    dropped_iterations: ['count==0'],
  },
};

const putLatency = new Trend('put_latency', true);

export default async function () {
  const outcome = await clickstream.put(clickstream.nextBatch(pipeline.recordsPerIteration));
  putLatency.add(outcome.durationMs);
  check(outcome, { 'PutRecords accepted every record (after retries)': (result) => result.failed === 0 });
}

export function handleSummary(data: SummaryData) {
  return { stdout: textSummary(data) + runnerReport(data) };
}
