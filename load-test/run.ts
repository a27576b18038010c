/**
 * `npm run load-test -- <script> [options]`: runs a k6-style scenario script on Node against the
 * local stack (in this process by default), a running `npm start`, or AWS; prints k6's
 * end-of-test summary; exits non-zero when a threshold fails (99, as k6) or, with `--verify`,
 * when the pipeline lost or double counted anything (98).
 */
import '../local/quiet-warnings';
import { AsyncLocalStorage } from 'node:async_hooks';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONSUMERS, processCapacity, TABLES, type ServiceName, type TableCapacity, type TableKey } from '@clickstream/shared';
import { integerOption, parseCommandLine, UsageError } from '../local/cli-args';
import { StackNotRunningError } from '../local/manifest';
import { costPerMillion, PRICES_AS_OF, recipeCostPerMillion, type MeasuredUsage } from './cost';
import { CpuMeter } from './cpu';
import { TrafficFeed } from './feed';
import { formatClock, parseDuration } from './k6/duration';
import { planScenario, runScenario, type ScenarioOptions, type ScenarioState } from './k6/executors';
import { registry, type Tags } from './k6/runtime';
import { buildSummaryData, textSummary, type SummaryData } from './k6/summary';
import { bindThresholds, evaluateThresholds, parseThresholds, type ThresholdOptions } from './k6/thresholds';
import { LatencyProbe } from './latency';
import { Ledger } from './ledger';
import { Trend } from './k6/metrics';
import { bind, e2eLatency, type PipelineOptions } from './lib/clickstream';
import { runnerReport, type RunnerReport } from './report';
import { openTarget, TARGETS, type Target, type TargetKind } from './targets';
import { drainByPolling, verify, type VerificationCheck } from './verify';

export const EXIT = { ok: 0, stackNotRunning: 1, usage: 2, verificationFailed: 98, thresholdsFailed: 99, scriptError: 107 } as const;


const HELP = `Usage: npm run load-test -- <script.ts> [options]

  --target local|local-running|aws   local: a local stack started in this process (default);
                                     local-running: the stack of \`npm start\` (<state-dir>/local.json);
                                     aws: the default credential chain and region
  --stream <name>                    AWS stream (default: cdktf output kinesis_stream_name, else the default name)
  --outputs-file <file>              cdktf outputs JSON (cdktn output --outputs-file) for --target aws
  --project <name> --environment <name>   resource names for --target aws
  --verify                           after the run, drain and prove nothing was lost or double counted
  --duration <d>                     override the duration of duration-based scenarios (soak: 30m, 2h)
  --summary-export <file>            write the summary data (k6 handleSummary shape) as JSON
  --out cloudwatch                   push the summary metrics to CloudWatch (PutMetricData, batched)
  -e, --env KEY=VALUE                set __ENV.KEY for the script
  --seed <n>                         traffic seed (default: the script's; random on shared targets)
  --drain-timeout <d>                how long --verify waits for the consumers (default 5m)
  --services a,b                     services the in-process stack runs (default: every registered one)
  --ingest kinesis|collector         how events go in: PutRecords (default) or the HTTP collector
                                     (POST <collector>/v1/events, NDJSON); --verify then proves the front door
  --collector-url <url> --write-key <key>   the collector on AWS (default: cdktf output collector_url)
  --state-dir <dir>                  with --target local-running: where local.json is (default .clickstream)
  --quiet                            no progress lines
  --help                             this text

Exit codes: 0 ok; 1 the stack of --target local-running is not running; 2 usage; 98 --verify
found something lost or double counted (it wins over 99, since the verification's checks also
count in \`checks\`); 99 a threshold failed; 107 the script failed.
`;

interface ScriptModule {
  options?: { scenarios?: Record<string, ScenarioOptions>; thresholds?: ThresholdOptions; vus?: number; duration?: string; summaryTrendStats?: string[] };
  pipeline?: Partial<PipelineOptions>;
  setup?: () => unknown;
  teardown?: (data: unknown) => unknown;
  handleSummary?: (data: SummaryData) => Record<string, string> | Promise<Record<string, string>>;
  default?: (data: unknown) => unknown;
  [exported: string]: unknown;
}

declare global {
  // eslint-disable-next-line no-var
  var __ENV: Record<string, string | undefined>;
}

/** Records not yet handed to each in-process function, sampled every second, tagged by service. */
const consumerBacklog = new Trend('consumer_backlog');
void consumerBacklog;

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({
    command: 'npm run load-test',
    help: HELP,
    allowPositionals: true,
    options: {
      target: { type: 'string', default: 'local' },
      stream: { type: 'string' },
      'outputs-file': { type: 'string' },
      project: { type: 'string' },
      environment: { type: 'string' },
      verify: { type: 'boolean', default: false },
      duration: { type: 'string' },
      'summary-export': { type: 'string' },
      out: { type: 'string', multiple: true, default: [] },
      env: { type: 'string', short: 'e', multiple: true, default: [] },
      seed: { type: 'string' },
      'drain-timeout': { type: 'string', default: '5m' },
      'default-ports': { type: 'boolean', default: false },
      services: { type: 'string' },
      ingest: { type: 'string', default: 'kinesis' },
      'collector-url': { type: 'string' },
      'write-key': { type: 'string' },
      'state-dir': { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  }, argv);
  const scriptPath = positionals[0];
  if (values.help || scriptPath === undefined) {
    process.stdout.write(HELP);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  if (!(TARGETS as readonly string[]).includes(values.target)) throw new UsageError(`--target must be one of ${TARGETS.join(', ')}, got "${values.target}"`);
  for (const out of values.out) if (out !== 'cloudwatch') throw new UsageError(`--out supports cloudwatch, got "${out}"`);
  const targetKind = values.target as TargetKind;
  if (values.ingest !== 'kinesis' && values.ingest !== 'collector') throw new UsageError(`--ingest must be kinesis or collector, got "${values.ingest}"`);

  globalThis.__ENV = { ...process.env };
  for (const pair of values.env) {
    const separator = pair.indexOf('=');
    if (separator <= 0) throw new UsageError(`-e expects KEY=VALUE, got "${pair}"`);
    globalThis.__ENV[pair.slice(0, separator)] = pair.slice(separator + 1);
  }

  // Init context: importing the script creates its options and custom metrics.
  const script = (await import(pathToFileURL(path.resolve(scriptPath)).href)) as ScriptModule;
  const options = script.options ?? {};
  const scenarios: Record<string, ScenarioOptions> = { ...(options.scenarios ?? { default: { executor: 'constant-vus', vus: options.vus ?? 1, duration: options.duration ?? '10s' } }) };
  if (values.duration !== undefined) {
    parseDuration(values.duration);
    for (const [name, scenario] of Object.entries(scenarios)) {
      if (scenario.duration === undefined) log(`--duration does not apply to scenario ${name} (${scenario.executor} runs by stages)`);
      else scenarios[name] = { ...scenario, duration: values.duration };
    }
  }
  for (const [name, scenario] of Object.entries(scenarios)) {
    planScenario(name, scenario);
    const exec = scenario.exec ?? 'default';
    if (typeof script[exec] !== 'function') throw new UsageError(`scenario ${name}: the script exports no function "${exec}"`);
  }
  const thresholds = parseThresholds(options.thresholds);
  bindThresholds(thresholds, registry);

  const pipeline: PipelineOptions = { recordsPerIteration: 500, eventsPerSecond: 1000, ...script.pipeline };
  const shared = targetKind !== 'local';
  const seed = values.seed !== undefined ? integerOption(values.seed, 'seed', { min: 0, fallback: 0 }) : shared ? Date.now() % 1_000_000_000 : (pipeline.seed ?? 2026);
  const target = await openTarget({
    kind: targetKind,
    shards: pipeline.shards ?? 2,
    ...(values.stream ? { stream: values.stream } : {}),
    ...(values['outputs-file'] ? { outputsFile: values['outputs-file'] } : {}),
    ...(values.project ? { project: values.project } : {}),
    ...(values.environment ? { environment: values.environment } : {}),
    defaultPorts: values['default-ports'],
    ...(values.services ? { services: values.services.split(',').map((service) => service.trim()) as ServiceName[] } : {}),
    ingest: values.ingest,
    ...(values['collector-url'] ? { collectorUrl: values['collector-url'] } : {}),
    ...(values['write-key'] ? { writeKey: values['write-key'] } : {}),
    ...(values['state-dir'] ? { stateDir: values['state-dir'] } : {}),
  });
  try {
    return await execute({ script, scenarios, thresholds, pipeline, target, seed, values });
  } finally {
    await target.stop();
  }
}

type RunValues = { verify: boolean; quiet: boolean; 'summary-export'?: string; out: string[]; 'drain-timeout': string };

/** What a run is made of once the script is loaded and the target is open. */
interface RunPlan {
  script: ScriptModule;
  scenarios: Record<string, ScenarioOptions>;
  thresholds: ReturnType<typeof parseThresholds>;
  pipeline: PipelineOptions;
  target: Target;
  seed: number;
  values: RunValues;
}

/** The k6 life cycle as steps: bind the pipeline, setup, scenarios, teardown, verify, summarize. */
async function execute(plan: RunPlan): Promise<number> {
  const { script, target } = plan;
  const { ledger, probe } = bindPipeline(plan);
  log(`load test: ${Object.keys(plan.scenarios).join(', ')} → ${target.description}, stream ${target.streamName}${target.collectorUrl ? ` through the collector ${target.collectorUrl}` : ''}, seed ${plan.seed}`);

  let data: unknown;
  try {
    data = script.setup ? await script.setup() : undefined;
  } catch (error) {
    log(`setup() failed: ${(error as Error).stack ?? String(error)}`);
    return EXIT.scriptError;
  }
  const dataJson = data === undefined ? undefined : JSON.stringify(data);
  const copyOfData = () => (dataJson === undefined ? undefined : JSON.parse(dataJson));

  const runStartedMs = Date.now();
  // CPU of every process of the in-process stack, from the first put to the end of the drain.
  const cpu = target.stack !== undefined && new CpuMeter().available ? new CpuMeter() : undefined;
  const loadAtStart = loadavg()[0]!;
  cpu?.start();
  const capacityAtStart = processCapacity.snapshot();
  probe?.start();
  const run = await runScenarios(plan, ledger, probe, copyOfData);
  try {
    if (script.teardown) await script.teardown(copyOfData());
  } catch (error) {
    log(`teardown() failed: ${(error as Error).message}`);
  }

  const report: RunnerReport = { target: target.description, seed: plan.seed, ledger: {}, ...(Object.keys(run.maxBacklog).length ? { maxBacklog: run.maxBacklog } : {}) };
  const measureCpu = () => {
    if (cpu === undefined) return;
    const usage = cpu.stop();
    const events = ledger.accepted + ledger.rejected;
    report.cpu = { seconds: usage.seconds, wallSeconds: usage.wallSeconds, perThousandEvents: events === 0 ? 0 : (usage.seconds / events) * 1000, byProcess: usage.byProcess, loadAverage: [loadAtStart, loadavg()[0]!] };
  };
  const verification = plan.values.verify ? await verifyRun(plan, ledger, probe, { elapsedMs: run.elapsedMs, runStartedMs, capacityAtStart }, report, measureCpu) : (probe?.finish(0), measureCpu(), undefined);
  report.ledger = ledger.toJSON();
  const results = evaluateThresholds(plan.thresholds, registry, run.elapsedMs);
  await writeSummary(plan, results, run.elapsedMs, report);
  return exitCode(run.aborted, results, verification);
}

/** The traffic feed, the ledger of what Kinesis accepted and the latency probe, bound for the script. */
function bindPipeline(plan: RunPlan): { ledger: Ledger; probe?: LatencyProbe } {
  const { target, pipeline } = plan;
  const shared = target.kind !== 'local';
  // A shared target holds other traffic: this run's events go to minutes three days back (still
  // within the 7-day acceptance window) that nobody else writes, so its counters are its own.
  const eventStartMs = shared ? Date.now() - 3 * 86_400_000 - Math.floor(Math.random() * 720) * 60_000 : Date.now() - 180_000;
  const feed = new TrafficFeed({
    seed: plan.seed,
    eventsPerSecond: pipeline.eventsPerSecond,
    startMs: eventStartMs,
    botShare: pipeline.botShare ?? 0.01,
    invalidShare: pipeline.invalidShare ?? 0.01,
    camelCaseShare: pipeline.camelCaseShare ?? 0.1,
    stableUserCountry: true,
  });
  const ledger = new Ledger();
  const probe = plan.values.verify ? new LatencyProbe({ client: target.dynamo, tables: target.tables }, (ms) => e2eLatency.add(ms)) : undefined;
  bind({
    target: target.description,
    streamName: target.streamName,
    kinesis: target.kinesis,
    feed,
    ledger,
    ...(probe ? { probe } : {}),
    ...(target.collectorUrl ? { collector: { url: target.collectorUrl, ...(target.writeKey ? { writeKey: target.writeKey } : {}) } } : {}),
  });
  return probe === undefined ? { ledger } : { ledger, probe };
}

interface ScenarioRun {
  elapsedMs: number;
  /** Why the run stopped early (a threshold with abortOnFail), if it did. */
  aborted?: string;
  maxBacklog: Record<string, number>;
}

/** Runs every scenario to its end with a progress line a second; returns how long it took. */
async function runScenarios(plan: RunPlan, ledger: Ledger, probe: LatencyProbe | undefined, copyOfData: () => unknown): Promise<ScenarioRun> {
  const { script, scenarios } = plan;
  const context = new AsyncLocalStorage<Tags>();
  registry.currentTags = () => context.getStore() ?? {};
  const runStarted = performance.now();
  const errors = new Map<string, number>();
  const states: ScenarioState[] = Object.keys(scenarios).map((name) => ({ name, startTimeMs: 0, durationMs: 0, allocatedVUs: 0, activeVUs: 0, started: 0, completed: 0, interrupted: 0, dropped: 0, done: false }));
  const progress = new Progress(plan, ledger, probe, states, runStarted);
  const timer = setInterval(() => progress.tick(), 1000);

  await Promise.all(
    Object.entries(scenarios).map(([name, scenario], index) => {
      const fn = script[scenario.exec ?? 'default'] as (data: unknown) => unknown;
      const tags: Tags = { scenario: name, ...scenario.tags };
      return runScenario(
        name,
        scenario,
        {
          aborted: () => progress.aborted !== undefined,
          onDropped: () => registry.add('dropped_iterations', 1, tags),
          iterate: (iteration) =>
            context.run({ ...tags }, async () => {
              const started = performance.now();
              try {
                await fn(copyOfData());
              } catch (error) {
                const message = (error as Error).message ?? String(error);
                const seen = errors.get(message) ?? 0;
                errors.set(message, seen + 1);
                if (seen < 3) log(`iteration ${iteration.iterationInScenario} of ${name} (VU ${iteration.vu}) failed: ${message}`);
              }
              registry.add('iteration_duration', performance.now() - started);
              registry.add('iterations', 1);
            }),
        },
        states[index]!,
      );
    }),
  );
  const elapsedMs = performance.now() - runStarted;
  clearInterval(timer);
  progress.tick();
  if (progress.aborted) log(`test aborted: ${progress.aborted}`);
  const interrupted = states.reduce((sum, state) => sum + state.interrupted, 0);
  if (interrupted > 0) log(`${interrupted} iterations were still running after gracefulStop: interrupted`);
  return { elapsedMs, maxBacklog: progress.maxBacklog, ...(progress.aborted === undefined ? {} : { aborted: progress.aborted }) };
}

/** The per-second tick: VU gauges, abort-on-fail thresholds, consumer backlog, the progress line. */
class Progress {
  aborted?: string;
  readonly maxBacklog: Record<string, number> = {};
  private lastSent = 0;

  constructor(
    private readonly plan: RunPlan,
    private readonly ledger: Ledger,
    private readonly probe: LatencyProbe | undefined,
    private readonly states: readonly ScenarioState[],
    private readonly runStarted: number,
  ) {}

  tick(): void {
    const { states, plan } = this;
    const elapsed = performance.now() - this.runStarted;
    const active = states.reduce((sum, state) => sum + state.activeVUs, 0);
    const allocated = states.reduce((sum, state) => sum + state.allocatedVUs, 0);
    registry.add('vus', active);
    registry.add('vus_max', allocated);
    for (const result of evaluateThresholds(plan.thresholds.filter((threshold) => threshold.abortOnFail && elapsed >= threshold.delayAbortEvalMs), registry, elapsed)) {
      if (!result.ok && this.aborted === undefined) this.aborted = `threshold ${result.threshold.metricKey} '${result.threshold.source}' crossed (abortOnFail)`;
    }
    if (plan.values.quiet) return;
    const lag = backlogs(plan.target, this.ledger);
    for (const [service, records] of Object.entries(lag)) {
      registry.add('consumer_backlog', records, { service });
      this.maxBacklog[service] = Math.max(this.maxBacklog[service] ?? 0, records);
    }
    const sent = registry.metrics.get('events_sent')?.series.sum ?? 0;
    const failed = registry.metrics.get('events_failed')?.series.sum ?? 0;
    const scenarioText = states.map((state) => `${state.name} ${formatClock(Math.min(elapsed, state.durationMs))}/${formatClock(state.durationMs)}`).join(', ');
    log(
      `running (${formatClock(elapsed)}), ${String(active).padStart(2, '0')}/${String(allocated).padStart(2, '0')} VUs, ${states.reduce((sum, state) => sum + state.completed, 0)} complete iterations | ` +
        `${Math.round(sent - this.lastSent)} ev/s, sent ${sent}, failed ${failed}${this.probe ? `, e2e probes open ${this.probe.open}` : ''}` +
        `${Object.keys(lag).length ? ` | backlog ${Object.entries(lag).map(([service, records]) => `${service} ${records}`).join(', ')}` : ''} | ${scenarioText}`,
    );
    this.lastSent = sent;
  }
}

/** Drains the consumers, then checks what they wrote against the ledger; fills the report. */
async function verifyRun(
  plan: RunPlan,
  ledger: Ledger,
  probe: LatencyProbe | undefined,
  run: { elapsedMs: number; runStartedMs: number; capacityAtStart: Record<string, TableCapacity> },
  report: RunnerReport,
  drained: () => void,
): Promise<VerificationCheck[]> {
  const { elapsedMs, runStartedMs, capacityAtStart } = run;
  const { target } = plan;
  // Calls still in flight after gracefulStop may yet land: give them a moment, then drain.
  const drainStarted = Date.now();
  log(`draining: waiting for every consumer to catch up (${ledger.accepted} accepted events)…`);
  let drainError: string | undefined;
  try {
    if (target.stack) await target.stack.waitForIdle(parseDuration(plan.values['drain-timeout']));
    else await drainByPolling(target, ledger, { counters: new Map() }, parseDuration(plan.values['drain-timeout']));
  } catch (error) {
    drainError = (error as Error).message;
  }
  const drainSeconds = (Date.now() - drainStarted) / 1000;
  drained();
  log(drainError ? `not drained: ${drainError}; verifying what is there…` : `drained in ${drainSeconds.toFixed(1)} s; verifying…`);
  await probe?.finish(15_000);
  if (target.wire) report.pipeline = pipelineFigures(target, ledger, elapsedMs, capacityAtStart);
  const verification = [
    { name: 'pipeline drained after the run', ok: drainError === undefined, detail: drainError ?? `every consumer caught up ${drainSeconds.toFixed(1)} s after the last put` },
    ...(await verify(target, ledger, { counters: new Map() }, runStartedMs)),
  ];
  registry.enterGroup('end-to-end verification');
  for (const check of verification) registry.recordCheck(check.name, check.ok);
  registry.leaveGroup();
  report.verification = verification;
  report.latencyMethod = probe
    ? `put → session item shows the event: 1 probe per PutRecords batch, BatchGetItem poll every ${probe.pollMs} ms (includes the put call, ±${probe.pollMs} ms granularity); ${probe.observed} observed, ${probe.timedOut} timed out`
    : undefined;
  return verification;
}

/** k6's end-of-test summary (or the script's handleSummary), --summary-export and --out cloudwatch. */
async function writeSummary(plan: RunPlan, results: ReturnType<typeof evaluateThresholds>, elapsedMs: number, report: RunnerReport): Promise<void> {
  const { script, values } = plan;
  const summary = buildSummaryData(registry, results, elapsedMs, script.options?.summaryTrendStats);
  summary.clickstream = report as unknown as Record<string, unknown>;
  const outputs = script.handleSummary ? await script.handleSummary(summary) : { stdout: textSummary(summary) + runnerReport(summary) };
  for (const [destination, content] of Object.entries(outputs)) {
    if (destination === 'stdout') process.stdout.write(content);
    else if (destination === 'stderr') process.stderr.write(content);
    else writeFileSync(destination, content);
  }
  if (values['summary-export']) writeFileSync(values['summary-export'], `${JSON.stringify(summary, null, 2)}\n`);
  if (values.out.includes('cloudwatch')) {
    const { pushSummary } = await import('./cloudwatch');
    const calls = await pushSummary(summary, Object.keys(plan.scenarios).join('+'));
    log(`pushed the summary to CloudWatch (Clickstream/LoadTest) in ${calls} PutMetricData call(s)`);
  }
}

/**
 * The exit code of a run: a verification miss (98) comes first, since its checks also fail the
 * `checks` thresholds; then a failed threshold or an abort (99), as k6 exits.
 */
export function exitCode(aborted: string | undefined, results: ReadonlyArray<{ ok: boolean }>, verification: ReadonlyArray<{ ok: boolean }> | undefined, report: (line: string) => void = log): number {
  const thresholdsFailed = aborted !== undefined || results.some((result) => !result.ok);
  if (verification?.some((check) => !check.ok)) {
    report(`end-to-end verification failed${thresholdsFailed ? ' (and some thresholds have failed)' : ''}`);
    return EXIT.verificationFailed;
  }
  if (thresholdsFailed) {
    report('some thresholds have failed');
    return EXIT.thresholdsFailed;
  }
  return EXIT.ok;
}

/**
 * Each in-process mapping's backlog: records the stream accepted that the function has not been
 * handed yet (kinesalite reports no MillisBehindLatest, so iterator age is not observable here).
 */
function backlogs(target: Target, ledger: Ledger): Record<string, number> {
  const written = ledger.accepted + ledger.rejected;
  const backlog: Record<string, number> = {};
  for (const [service, mapping] of target.stack?.mappings ?? []) backlog[service] = Math.max(0, written - mapping.stats.recordsDelivered);
  return backlog;
}

/** Request counts and consumed capacity of the in-process stack's services, per event, and what they cost on AWS. */
function pipelineFigures(target: Target, ledger: Ledger, elapsedMs: number, capacityAtStart: Record<string, TableCapacity>): NonNullable<RunnerReport['pipeline']> {
  const stack = target.stack!;
  const wire = target.wire!.snapshot();
  const requests = wire.requests;
  const events = ledger.accepted + ledger.rejected;
  let invocations = 0;
  let gbSeconds = 0;
  for (const [service, mapping] of stack.mappings) {
    invocations += mapping.stats.invocations;
    const durationMs = stack.telemetry.sum('AWS/Lambda', 'Duration', { FunctionName: stack.manifest.functions[service as ServiceName]! });
    gbSeconds += (durationMs / 1000) * (CONSUMERS[service].memorySizeMb / 1024);
  }
  let logBytes = 0;
  for (const file of readdirSync(stack.manifest.logDir)) logBytes += statSync(path.join(stack.manifest.logDir, file)).size;
  const sum = (prefix: string) => Object.entries(requests).filter(([key]) => key.startsWith(prefix)).reduce((total, [, count]) => total + count, 0);
  const dynamoWriteRequests = ['BatchWriteItem', 'PutItem', 'UpdateItem', 'DeleteItem'].reduce((total, operation) => total + (requests[`dynamodb:${operation}`] ?? 0), 0);
  const itemWrites = Object.values(wire.itemWrites).reduce((total, count) => total + count, 0);
  // Consumed capacity as DynamoDB reports it (item sizes before and after), since the stack started.
  const capacity = processCapacity.snapshot();
  const consumed = (table: string, field: 'readUnits' | 'writeUnits') => (capacity[table]?.[field] ?? 0) - (capacityAtStart[table]?.[field] ?? 0);
  const eventProcessorTables = [target.tables.pageMetrics, target.tables.sessionMetrics, target.tables.counters];
  // dynalite reports no index writes; on AWS each item write also writes every index of its table.
  const indexWrites = (Object.keys(TABLES) as TableKey[]).reduce((total, key) => total + (wire.itemWrites[target.tables[key]] ?? 0) * TABLES[key].globalSecondaryIndexes.length, 0);
  const eventProcessorWriteUnits = eventProcessorTables.reduce((total, table) => total + consumed(table, 'writeUnits'), 0) + indexWrites;
  const eventProcessorReadUnits = eventProcessorTables.reduce((total, table) => total + consumed(table, 'readUnits'), 0);
  const detectorWriteUnits = consumed(target.tables.alerts, 'writeUnits');
  const detectorReadUnits = consumed(target.tables.alerts, 'readUnits');
  const sustained = events / (elapsedMs / 1000);
  const usage: MeasuredUsage = {
    events,
    records: events,
    putPayloadUnits: events,
    shards: target.shards ?? 2,
    eventsPerSecond: sustained,
    lambdaInvocations: invocations,
    lambdaGbSeconds: gbSeconds,
    dynamoWriteUnits: eventProcessorWriteUnits,
    detectorWriteUnits,
    dynamoReadUnits: eventProcessorReadUnits + detectorReadUnits,
    s3Requests: sum('s3:PUT') + sum('s3:GET'),
    logBytes,
    snsPublishes: requests['sns:POST'] ?? 0,
  };
  const perEventOf = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).sort().map(([key, count]) => [key, count / events]));
  return {
    sustainedEventsPerSecond: sustained,
    shards: usage.shards,
    requests: { ...requests, lambdaInvocations: invocations },
    perEvent: {
      dynamoWriteRequests: dynamoWriteRequests / events,
      dynamoItemWrites: itemWrites / events,
      eventProcessorWriteUnits: eventProcessorWriteUnits / events,
      eventProcessorReadUnits: eventProcessorReadUnits / events,
      detectorWriteUnits: detectorWriteUnits / events,
      detectorReadUnits: detectorReadUnits / events,
      indexWriteUnits: indexWrites / events,
      s3Puts: (requests['s3:PUT'] ?? 0) / events,
      lambdaInvocations: invocations / events,
    },
    itemWritesPerEvent: perEventOf(wire.itemWritesByKind),
    cost: { pricesAsOf: PRICES_AS_OF, ours: costPerMillion(usage), recipe: recipeCostPerMillion(usage) },
  };
}

if (require.main === module) {
  main(process.argv.slice(2))
    .then((code) => process.exit(code))
    .catch((error: unknown) => {
      if (error instanceof StackNotRunningError) {
        log(error.message);
        process.exit(EXIT.stackNotRunning);
      }
      log(`load test failed: ${error instanceof UsageError ? `${error.message} (see \`npm run load-test -- --help\`)` : ((error as Error).stack ?? String(error))}`);
      process.exit(error instanceof UsageError ? EXIT.usage : EXIT.scriptError);
    });
}
