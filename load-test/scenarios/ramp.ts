/**
 * ramp: finds the local stack's ceiling — VUs sending 500-record PutRecords calls back to back,
 * ramping from 1 to 12; the events/s where the rate stops growing (and put latency climbs) is
 * the ceiling. `--verify` then checks nothing was lost at that load.
 *   npm run load-test -- load-test/scenarios/ramp.ts --verify
 */
import { check } from '../k6';
import { Trend } from '../k6/metrics';
import { textSummary, type SummaryData } from '../k6/summary';
import { clickstream, type PipelineOptions } from '../lib/clickstream';
import { runnerReport } from '../report';

export const pipeline: PipelineOptions = { recordsPerIteration: 500, eventsPerSecond: 20000, shards: 2, seed: 2029 };

export const options = {
  scenarios: {
    ramp: {
      executor: 'ramping-vus' as const,
      startVUs: 1,
      stages: [
        { target: 4, duration: '20s' },
        { target: 12, duration: '20s' },
      ],
      gracefulRampDown: '5s',
      gracefulStop: '30s',
    },
  },
  thresholds: {
    events_failed: ['count==0'],
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
