/**
 * cost-curve: one point of the cost curve, at RATE events/s (10, 100, 1000, 2000 or 3000; default
 * 1000), with the stream sized for it (one shard up to 1,000 records/s, as Kinesis allows, then
 * two shards per 2,000) and long enough for the sessions of the traffic model to overlap as on a
 * site in full swing. `npm run cost-curve` runs every point with --verify and tabulates them.
 *   npm run load-test -- load-test/scenarios/cost-curve.ts -e RATE=100 --verify
 * DURATION (e.g. `-e DURATION=60s`) shortens or lengthens a point; the default is per point below.
 * No latency thresholds: on a shared machine they measure the neighbours. The cost comes from
 * request counts and the capacity DynamoDB reports, which do not depend on idle cores.
 */
import { check } from '../k6';
import { Trend } from '../k6/metrics';
import { textSummary, type SummaryData } from '../k6/summary';
import { clickstream, type PipelineOptions } from '../lib/clickstream';
import { runnerReport } from '../report';

/** Each point: shards, records per PutRecords call, calls per second, duration. */
export const POINTS = {
  10: { shards: 1, records: 10, perSecond: 1, duration: '10m' },
  100: { shards: 1, records: 100, perSecond: 1, duration: '5m' },
  1000: { shards: 2, records: 500, perSecond: 2, duration: '2m' },
  2000: { shards: 2, records: 500, perSecond: 4, duration: '2m' },
  3000: { shards: 4, records: 500, perSecond: 6, duration: '2m' },
} as const;

export type CostCurveRate = keyof typeof POINTS;

const requested = Number(__ENV.RATE ?? 1000);
if (!(requested in POINTS)) throw new Error(`RATE must be one of ${Object.keys(POINTS).join(', ')}, got ${__ENV.RATE}`);
const point = POINTS[requested as CostCurveRate];
const duration = __ENV.DURATION ?? point.duration;

export const pipeline: PipelineOptions = { recordsPerIteration: point.records, eventsPerSecond: requested, shards: point.shards, seed: 2026, botShare: 0.01, invalidShare: 0.01 };

export const options = {
  scenarios: {
    [`rate_${requested}`]: { executor: 'constant-arrival-rate' as const, rate: point.perSecond, timeUnit: '1s', duration, preAllocatedVUs: 4, maxVUs: 24, gracefulStop: '30s' },
  },
  thresholds: {
    events_failed: ['count==0'],
    checks: ['rate==1'],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
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
