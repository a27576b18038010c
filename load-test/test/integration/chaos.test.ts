import { faultTimeline, runChaos } from '../../chaos';

/**
 * The bounded fault suite of `npm test` (the long one is `npm run chaos -- --minutes 5`): 40 s of
 * shop traffic with the hostile corpus, through a DynamoDB outage, an S3/SNS/SQS outage,
 * throttling, answers lost after the write and a reshard (split, then merge), checked against the ledger of what was sent.
 */
it('loses nothing, counts nothing twice and discards nothing through outages, throttling and lost answers', async () => {
  const result = await runChaos({ durationMs: 40_000, eventsPerSecond: 60, shards: 2, seed: 11, drainTimeoutMs: 180_000, log: () => undefined });
  const failed = result.checks.filter((check) => !check.ok);
  expect(failed).toEqual([]);
  expect(result.checks.map((check) => check.name)).toEqual(
    expect.arrayContaining(['counters equal accepted events (events#all and per type)', 'page-metrics: page views and events per page and minute', 'archive: no event archived twice', 'event-processor: no record discarded']),
  );
  // Every fault really happened to requests.
  const effect = (name: string) => result.faults.find((fault) => fault.name === name)!.effect;
  expect(effect('DynamoDB outage').reset).toBeGreaterThan(0);
  expect(effect('S3/SNS/SQS outage').reset).toBeGreaterThan(0);
  expect(effect('DynamoDB throttling (30 %)').throttled).toBeGreaterThan(0);
  expect(effect('answers lost after the write (20 %)').lost).toBeGreaterThan(0);
  expect(effect('reshard (split, then merge)')).toEqual({ splits: 1, merges: 1, shards: 2 });
}, 300_000);

it('spreads its faults over the run, a minute of each outage in five minutes', () => {
  const timeline = faultTimeline(300_000);
  expect(timeline.filter((fault) => fault.mode.kind === 'down').map((fault) => [fault.proxy, fault.forMs])).toEqual([
    ['dynamodb', 60_000],
    ['aws', 60_000],
  ]);
  for (const fault of timeline) expect(fault.atMs + fault.forMs).toBeLessThanOrEqual(300_000);
});
