/**
 * Collector benchmark (docs/BENCHMARKS.md, "collector"), driven by autocannon, a real HTTP load
 * generator: the collector runs alone in a child process in front of kinesalite (in this process,
 * with autocannon), so its figures are one core's.
 *
 *   1. throughput: 100-event NDJSON requests as fast as 16 connections go, 15 s; events/s, and
 *      events per CPU-second of the collector process (events/s per core);
 *   2. latency: single-event requests at 500 requests/s, 20 s; p50/p99 as autocannon measures them;
 *   3. baseline: the same events straight to kinesalite with PutRecords at 500/s (what the emulator alone answers in).
 *
 *   npm run bench -- services/collector/bench/collector.bench.ts
 */
import { fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { createKinesisClient, putRecords, sleep } from '@clickstream/shared';
import { manifestClientConfig } from '../../../local/manifest';
import { startTestStack } from '../../../local/testing';
import { TrafficModel } from '../../../testkit/traffic';

type Cpu = { user: number; system: number };

async function main(): Promise<void> {
  const stack = await startTestStack({ services: [], shardCount: 4 });
  const child = fork(path.join(__dirname, 'server.ts'), [stack.manifest.endpoints.kinesis, path.join(mkdtempSync(path.join(tmpdir(), 'collector-bench-')), 'collector.log')], { execArgv: ['--import', 'tsx', ...(process.env.COLLECTOR_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.COLLECTOR_BENCH_PROFILE}`] : [])], stdio: 'inherit' });
  // Whatever happens here, the collector process goes with us.
  process.on('exit', () => child.kill());
  const url = await new Promise<string>((resolve) => child.once('message', (message: { url: string }) => resolve(message.url)));
  const cpu = () => new Promise<Cpu>((resolve) => {
    child.once('message', (message: { cpu: Cpu }) => resolve(message.cpu));
    child.send({ cmd: 'cpu' });
  });

  // Valid shopper events (no invalid ones: each request's answer is 200), timestamps of now.
  const model = new TrafficModel({ seed: 2026 });
  const events: string[] = [];
  while (events.length < 20_000) for (const record of model.session(Date.now() - 60_000)) events.push(record.data);
  const batches = Array.from({ length: 200 }, (_, index) => events.slice(index * 100, index * 100 + 100).join('\n'));
  let next = 0;

  const run = (options: autocannon.Options) => new Promise<autocannon.Result>((resolve, reject) => autocannon(options, (error, result) => (error ? reject(error) : resolve(result))));

  // Warm up: JIT, sockets, kinesalite's first writes.
  await run({ url: `${url}/v1/events`, method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: batches[0]!, connections: 8, duration: 3 });

  const before = await cpu();
  const throughput = await run({
    url: `${url}/v1/events`,
    connections: 16,
    duration: 15,
    requests: [{ method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, setupRequest: (request) => ({ ...request, body: batches[next++ % batches.length]! }) }],
  });
  const after = await cpu();
  const cpuSeconds = (after.user - before.user + after.system - before.system) / 1e6;
  const eventsWritten = throughput['2xx'] * 100;
  console.log(`throughput (100-event requests, 16 connections, ${throughput.duration} s): ${throughput['2xx']} × 2xx, ${throughput.non2xx} other, errors ${throughput.errors}`);
  console.log(`  ${Math.round(eventsWritten / throughput.duration)} events/s; collector CPU ${cpuSeconds.toFixed(1)} s → ${Math.round(eventsWritten / cpuSeconds)} events per CPU-second`);
  console.log(`  request latency p50 ${throughput.latency.p50} ms, p99 ${throughput.latency.p99} ms`);

  const singles = events.slice(0, 10_000);
  let single = 0;
  const latency = await run({
    url: `${url}/v1/events`,
    connections: 20,
    overallRate: 500,
    duration: 20,
    requests: [{ method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (request) => ({ ...request, body: singles[single++ % singles.length]! }) }],
  });
  console.log(`latency (single events at 500 requests/s, 20 connections, ${latency.duration} s): ${latency['2xx']} × 2xx, ${latency.non2xx} other, errors ${latency.errors}`);
  console.log(`  ${Math.round(latency.requests.average)} requests/s; p50 ${latency.latency.p50} ms, p90 ${latency.latency.p90} ms, p99 ${latency.latency.p99} ms, max ${latency.latency.max} ms`);

  // Baseline: the same single events straight to kinesalite with PutRecords, 20 in flight at most, at most 500/s (no collector).
  const kinesis = createKinesisClient(manifestClientConfig(stack.manifest));
  const direct: number[] = [];
  const startedAt = performance.now();
  let slot = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (slot < 5000) {
        const index = slot++;
        const wait = startedAt + index * 2 - performance.now();
        if (wait > 0) await sleep(wait);
        const sent = performance.now();
        await putRecords(kinesis, stack.names.stream, [{ partitionKey: `s-${index}`, data: singles[index % singles.length]! }]);
        direct.push(performance.now() - sent);
      }
    }),
  );
  const seconds = (performance.now() - startedAt) / 1000;
  direct.sort((a, b) => a - b);
  const quantile = (q: number) => direct[Math.min(direct.length - 1, Math.floor(q * direct.length))]!.toFixed(1);
  console.log(`baseline (PutRecords of one event straight to kinesalite, 20 in flight, at most 500/s): ${Math.round(direct.length / seconds)} requests/s; p50 ${quantile(0.5)} ms, p90 ${quantile(0.9)} ms, p99 ${quantile(0.99)} ms`);

  child.send({ cmd: 'stop' });
  await new Promise((resolve) => child.once('exit', resolve));
  await stack.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
