/**
 * k6's executors on Node: when iterations start and how many VUs run them.
 * https://grafana.com/docs/k6/latest/using-k6/scenarios/executors/
 *
 * A VU here is a concurrency slot in one Node process, not a separate JavaScript runtime: the
 * init context runs once and module state is shared by all VUs (k6 runs it once per VU).
 */
import { parseDuration } from './duration';

export interface Stage {
  duration: string;
  target: number;
}

export interface ScenarioOptions {
  executor: 'constant-arrival-rate' | 'ramping-arrival-rate' | 'ramping-vus' | 'constant-vus';
  startTime?: string;
  gracefulStop?: string;
  exec?: string;
  tags?: Record<string, string>;
  env?: Record<string, string>;
  /** constant-arrival-rate, constant-vus */
  duration?: string;
  /** constant-arrival-rate: iterations per `timeUnit`. */
  rate?: number;
  timeUnit?: string;
  preAllocatedVUs?: number;
  maxVUs?: number;
  /** ramping-arrival-rate */
  startRate?: number;
  stages?: Stage[];
  /** ramping-vus */
  startVUs?: number;
  gracefulRampDown?: string;
  /** constant-vus */
  vus?: number;
}

export const SUPPORTED_EXECUTORS = ['constant-arrival-rate', 'ramping-arrival-rate', 'ramping-vus', 'constant-vus'] as const;

/** A piecewise-linear function of time (ms since the scenario started). */
export interface Ramp {
  start: number;
  segments: Array<{ fromMs: number; toMs: number; from: number; to: number }>;
  totalMs: number;
}

export function buildRamp(start: number, stages: readonly Stage[]): Ramp {
  const segments: Ramp['segments'] = [];
  let at = 0;
  let level = start;
  for (const stage of stages) {
    const length = parseDuration(stage.duration);
    segments.push({ fromMs: at, toMs: at + length, from: level, to: stage.target });
    at += length;
    level = stage.target;
  }
  return { start, segments, totalMs: at };
}

export function rampValue(ramp: Ramp, atMs: number): number {
  for (const segment of ramp.segments) {
    if (atMs < segment.toMs) {
      const length = segment.toMs - segment.fromMs;
      return length === 0 ? segment.to : segment.from + ((segment.to - segment.from) * (atMs - segment.fromMs)) / length;
    }
  }
  return ramp.segments.at(-1)?.to ?? ramp.start;
}

/** ∫ ramp dt from 0 to `atMs` (time in ms, value per ms): iterations due by then. */
export function rampIntegral(ramp: Ramp, atMs: number): number {
  let total = 0;
  for (const segment of ramp.segments) {
    if (atMs <= segment.fromMs) break;
    const length = segment.toMs - segment.fromMs;
    const span = Math.min(atMs, segment.toMs) - segment.fromMs;
    total += segment.from * span + (length === 0 ? 0 : ((segment.to - segment.from) * span * span) / (2 * length));
  }
  return total;
}

/** Normalizes a scenario to what the scheduler runs: a ramp of arrivals per ms, or of VUs. */
export function planScenario(name: string, options: ScenarioOptions): { kind: 'arrival' | 'vus'; ramp: Ramp; preAllocatedVUs: number; maxVUs: number; startTimeMs: number; gracefulStopMs: number } {
  const startTimeMs = parseDuration(options.startTime ?? '0s');
  const gracefulStopMs = parseDuration(options.gracefulStop ?? '30s');
  switch (options.executor) {
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate': {
      const timeUnitMs = parseDuration(options.timeUnit ?? '1s');
      if (options.preAllocatedVUs === undefined) throw new Error(`scenario ${name}: ${options.executor} needs preAllocatedVUs`);
      const perMs = (rate: number) => rate / timeUnitMs;
      let ramp: Ramp;
      if (options.executor === 'constant-arrival-rate') {
        if (options.rate === undefined || options.duration === undefined) throw new Error(`scenario ${name}: constant-arrival-rate needs rate and duration`);
        ramp = buildRamp(perMs(options.rate), [{ duration: options.duration, target: perMs(options.rate) }]);
      } else {
        if (!options.stages?.length) throw new Error(`scenario ${name}: ramping-arrival-rate needs stages`);
        ramp = buildRamp(perMs(options.startRate ?? 0), options.stages.map((stage) => ({ duration: stage.duration, target: perMs(stage.target) })));
      }
      return { kind: 'arrival', ramp, preAllocatedVUs: options.preAllocatedVUs, maxVUs: Math.max(options.maxVUs ?? options.preAllocatedVUs, options.preAllocatedVUs), startTimeMs, gracefulStopMs };
    }
    case 'ramping-vus': {
      if (!options.stages?.length) throw new Error(`scenario ${name}: ramping-vus needs stages`);
      const ramp = buildRamp(options.startVUs ?? 1, options.stages);
      const peak = Math.max(ramp.start, ...ramp.segments.map((segment) => segment.to));
      return { kind: 'vus', ramp, preAllocatedVUs: peak, maxVUs: peak, startTimeMs, gracefulStopMs };
    }
    case 'constant-vus': {
      if (options.duration === undefined) throw new Error(`scenario ${name}: constant-vus needs duration`);
      const vus = options.vus ?? 1;
      return { kind: 'vus', ramp: buildRamp(vus, [{ duration: options.duration, target: vus }]), preAllocatedVUs: vus, maxVUs: vus, startTimeMs, gracefulStopMs };
    }
    default:
      throw new Error(`scenario ${name}: executor "${(options as { executor: string }).executor}" is not supported here (use ${SUPPORTED_EXECUTORS.join(', ')})`);
  }
}

export interface IterationContext {
  scenario: string;
  vu: number;
  iterationInScenario: number;
}

export interface ScenarioState {
  name: string;
  startTimeMs: number;
  durationMs: number;
  /** VUs allocated (vus_max) and running an iteration (vus). */
  allocatedVUs: number;
  activeVUs: number;
  started: number;
  completed: number;
  interrupted: number;
  dropped: number;
  done: boolean;
}

export interface ScenarioHooks {
  iterate(context: IterationContext): Promise<void>;
  aborted(): boolean;
  onDropped(): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs one scenario to its end (plus `gracefulStop` for iterations in flight). */
export async function runScenario(name: string, options: ScenarioOptions, hooks: ScenarioHooks, state: ScenarioState): Promise<void> {
  const plan = planScenario(name, options);
  state.durationMs = plan.ramp.totalMs;
  state.allocatedVUs = plan.kind === 'arrival' ? plan.preAllocatedVUs : 0;
  if (plan.startTimeMs > 0) await sleep(plan.startTimeMs);
  const startedAt = performance.now();
  const inFlight = new Set<Promise<void>>();
  const freeVUs: number[] = plan.kind === 'arrival' ? Array.from({ length: plan.preAllocatedVUs }, (_, index) => index + 1) : [];

  const launch = (vu: number, release: () => void) => {
    const iteration = state.started++;
    state.activeVUs++;
    const promise = hooks
      .iterate({ scenario: name, vu, iterationInScenario: iteration })
      .finally(() => {
        state.activeVUs--;
        state.completed++;
        inFlight.delete(promise);
        release();
      });
    inFlight.add(promise);
  };

  if (plan.kind === 'arrival') {
    // As k6: the first iteration starts at once when the rate is above zero, then one every
    // 1/rate; `rate × duration` iterations in all.
    const first = rampValue(plan.ramp, 0) > 0 ? 1 : 0;
    const planned = Math.floor(rampIntegral(plan.ramp, plan.ramp.totalMs) + 1e-9);
    while (!hooks.aborted()) {
      const elapsed = performance.now() - startedAt;
      if (elapsed >= plan.ramp.totalMs) break;
      const due = Math.min(planned, Math.floor(rampIntegral(plan.ramp, elapsed) + 1e-9) + first);
      while (state.started + state.dropped < due) {
        let vu = freeVUs.pop();
        if (vu === undefined && state.allocatedVUs < plan.maxVUs) vu = ++state.allocatedVUs;
        if (vu === undefined) {
          state.dropped++;
          hooks.onDropped();
          continue;
        }
        const slot = vu;
        launch(slot, () => freeVUs.push(slot));
      }
      const rate = rampValue(plan.ramp, elapsed);
      await sleep(rate > 0 ? Math.min(50, Math.max(1, 1 / rate / 2)) : 50);
    }
  } else {
    const running = new Set<number>();
    const vuLoop = async (vu: number) => {
      running.add(vu);
      while (!hooks.aborted() && performance.now() - startedAt < plan.ramp.totalMs && vu <= Math.round(rampValue(plan.ramp, performance.now() - startedAt))) {
        await new Promise<void>((resolve) => launch(vu, resolve));
      }
      running.delete(vu);
    };
    while (!hooks.aborted() && performance.now() - startedAt < plan.ramp.totalMs) {
      const target = Math.round(rampValue(plan.ramp, performance.now() - startedAt));
      for (let vu = 1; vu <= target; vu++) if (!running.has(vu)) void vuLoop(vu);
      state.allocatedVUs = Math.max(state.allocatedVUs, target);
      await sleep(100);
    }
  }

  const graceful = Promise.allSettled([...inFlight]);
  const timedOut = await Promise.race([graceful.then(() => false), sleep(plan.gracefulStopMs).then(() => true)]);
  if (timedOut) state.interrupted = inFlight.size;
  state.done = true;
}
