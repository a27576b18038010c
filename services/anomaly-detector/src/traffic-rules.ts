import { minuteWindow, windowStartMs } from '@clickstream/shared';
import { alertId, MAX_SAMPLE_EVENT_IDS, minuteAlertWindow, RULE_SEVERITY, type Alert } from './alerts';
import type { RuleSettings } from './config';

/** Stream-wide counts of one event-time minute (item `traffic#<day>` / `<minute>`). */
export interface MinuteCounts {
  events: number;
  errors: number;
}

/**
 * The learned traffic baseline (item `baseline#traffic`): an exponentially weighted mean and
 * variance of events per minute, and the last minute judged. Saved conditionally on `version`,
 * so when two shards close the same minute only one of them moves the baseline.
 */
export interface TrafficBaseline {
  /** Last minute judged (`YYYY-MM-DDTHH:MM`); undefined before the first. */
  cursorMinute?: string;
  mean: number;
  variance: number;
  /** Minutes learned since the last reset. */
  samples: number;
  version: number;
}

export interface MinuteSamples {
  events: string[];
  errors: string[];
}

export const MINUTE_MS = 60_000;
/** Longest stretch of closed minutes judged in one go; a longer silence restarts the baseline. */
export const MAX_CATCH_UP_MINUTES = 60;

export function emptyBaseline(): TrafficBaseline {
  return { mean: 0, variance: 0, samples: 0, version: 0 };
}

/** Minutes to judge, inclusive, and the baseline to judge them against. */
export interface ClosureRange {
  fromMinute: string;
  toMinute: string;
  baseline: TrafficBaseline;
}

export interface ClosurePlan {
  /** The baseline to start from: the stored one, or a fresh one (first batch, or after a long silence). */
  baseline: TrafficBaseline;
  /** Set when the baseline is fresh and must be saved even if no minute is closed yet. */
  restarted: boolean;
  range?: ClosureRange;
}

/**
 * Which minutes this batch may close. A minute is closed once the watermark (the batch's latest
 * event time, never ahead of the clock, minus the grace for late events and other shards) has
 * passed its end. History starts at the minute before the first batch's earliest event, not
 * with a run of empty minutes; after a silence longer than `MAX_CATCH_UP_MINUTES` (the pipeline
 * or every producer was down) learning starts afresh the same way. Undefined: nothing to do.
 */
export function planClosure(
  stored: TrafficBaseline | undefined,
  batch: { minEventMs: number; maxEventMs: number },
  nowMs: number,
  minuteGraceMs: number,
): ClosurePlan | undefined {
  const watermarkMs = Math.min(batch.maxEventMs, nowMs) - minuteGraceMs;
  const lastClosedMs = Math.floor(watermarkMs / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
  const startOver = { ...(stored ?? emptyBaseline()), mean: 0, variance: 0, samples: 0, cursorMinute: minuteWindow(Math.floor(batch.minEventMs / MINUTE_MS) * MINUTE_MS - MINUTE_MS) };
  let baseline: TrafficBaseline;
  let restarted = false;
  if (stored?.cursorMinute === undefined) {
    baseline = startOver;
    restarted = true;
  } else if (lastClosedMs - windowStartMs(stored.cursorMinute) > MAX_CATCH_UP_MINUTES * MINUTE_MS) {
    baseline = startOver;
    restarted = true;
  } else {
    baseline = { ...stored };
  }
  const fromMs = windowStartMs(baseline.cursorMinute!) + MINUTE_MS;
  if (fromMs > lastClosedMs) return restarted ? { baseline, restarted } : undefined;
  return { baseline, restarted, range: { fromMinute: minuteWindow(fromMs), toMinute: minuteWindow(lastClosedMs), baseline } };
}

export interface ClosureResult {
  baseline: TrafficBaseline;
  alerts: Alert[];
}

/**
 * Judges closed minutes in order against the baseline, then learns each one:
 *  - traffic_anomaly: z = (count − mean) / σ with σ = max(√variance, √mean, 1) (a Poisson floor,
 *    so a quiet, steady stream does not look infinitely certain); fires on |z| > trafficZThreshold
 *    once `trafficMinHistoryMinutes` minutes are learned, for spikes of at least
 *    `trafficMinEventsPerMinute` events and drops from a baseline at least that high, and only
 *    when the change is at least `trafficMinChangeRatio` of the mean (a very steady stream makes
 *    tiny changes statistically significant but not worth waking anyone for);
 *  - error_rate: share of `error` events above `errorRateThreshold` in a minute holding at least
 *    `errorRateMinEvents` events.
 * Minutes missing from `counts` had no events. Pure.
 */
export function judgeClosedMinutes(
  plan: ClosureRange,
  counts: ReadonlyMap<string, MinuteCounts>,
  rules: RuleSettings,
  samples: ReadonlyMap<string, MinuteSamples> = new Map(),
): ClosureResult {
  const baseline = { ...plan.baseline };
  const alerts: Alert[] = [];
  const endMs = windowStartMs(plan.toMinute);
  for (let minuteMs = windowStartMs(plan.fromMinute); minuteMs <= endMs; minuteMs += MINUTE_MS) {
    const minute = minuteWindow(minuteMs);
    const { events, errors } = counts.get(minute) ?? { events: 0, errors: 0 };
    const minuteSamples = samples.get(minute);

    if (baseline.samples >= rules.trafficMinHistoryMinutes) {
      const sigma = Math.max(Math.sqrt(baseline.variance), Math.sqrt(baseline.mean), 1);
      const z = (events - baseline.mean) / sigma;
      const bigEnough = Math.abs(events - baseline.mean) >= rules.trafficMinChangeRatio * baseline.mean;
      const spike = bigEnough && z > rules.trafficZThreshold && events >= rules.trafficMinEventsPerMinute;
      const drop = bigEnough && z < -rules.trafficZThreshold && baseline.mean >= rules.trafficMinEventsPerMinute;
      if (spike || drop) alerts.push(trafficAlert(minute, minuteMs, events, baseline, sigma, z, spike ? 'spike' : 'drop', rules, minuteSamples));
    }
    if (events >= rules.errorRateMinEvents && errors / events > rules.errorRateThreshold) {
      alerts.push(errorRateAlert(minute, minuteMs, events, errors, rules, minuteSamples));
    }
    learn(baseline, events, rules.trafficEwmaAlpha);
    baseline.cursorMinute = minute;
  }
  return { baseline, alerts };
}

/** Incremental EWMA mean and variance (Finch, "Incremental calculation of weighted mean and variance", 2009). */
function learn(baseline: TrafficBaseline, value: number, alpha: number): void {
  if (baseline.samples === 0) {
    baseline.mean = value;
    baseline.variance = 0;
  } else {
    const diff = value - baseline.mean;
    const increment = alpha * diff;
    baseline.mean += increment;
    baseline.variance = (1 - alpha) * (baseline.variance + diff * increment);
  }
  baseline.samples += 1;
}

function trafficAlert(
  minute: string,
  minuteMs: number,
  events: number,
  baseline: TrafficBaseline,
  sigma: number,
  z: number,
  direction: 'spike' | 'drop',
  rules: RuleSettings,
  samples: MinuteSamples | undefined,
): Alert {
  const subjectKey = `traffic:${direction}`;
  const bound = baseline.mean + (direction === 'spike' ? 1 : -1) * rules.trafficZThreshold * sigma;
  return {
    alertId: alertId('traffic_anomaly', subjectKey, minute),
    rule: 'traffic_anomaly',
    severity: RULE_SEVERITY.traffic_anomaly,
    subjectKey,
    observed: events,
    threshold: round(Math.max(0, bound)),
    comparison: direction === 'spike' ? 'above' : 'below',
    window: minuteAlertWindow(minuteMs),
    incidentMs: minuteMs,
    sampleEventIds: (samples?.events ?? []).slice(0, MAX_SAMPLE_EVENT_IDS),
    description: `traffic ${direction}: ${events} events in the minute from ${minute}Z against a baseline of ${round(baseline.mean)}/min (z = ${round(z)}, limit |z| > ${rules.trafficZThreshold})`,
    context: { minute, baseline_mean: round(baseline.mean), baseline_sigma: round(sigma), z_score: round(z), z_threshold: rules.trafficZThreshold },
  };
}

function errorRateAlert(minute: string, minuteMs: number, events: number, errors: number, rules: RuleSettings, samples: MinuteSamples | undefined): Alert {
  const subjectKey = 'errors:all';
  const share = errors / events;
  return {
    alertId: alertId('error_rate', subjectKey, minute),
    rule: 'error_rate',
    severity: RULE_SEVERITY.error_rate,
    subjectKey,
    observed: round(share),
    threshold: rules.errorRateThreshold,
    comparison: 'above',
    window: minuteAlertWindow(minuteMs),
    incidentMs: minuteMs,
    sampleEventIds: (samples?.errors ?? []).slice(0, MAX_SAMPLE_EVENT_IDS),
    description: `${errors} of ${events} events in the minute from ${minute}Z were errors (${round(share * 100)}%, limit ${round(rules.errorRateThreshold * 100)}%)`,
    context: { minute, events, errors, min_events: rules.errorRateMinEvents },
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
