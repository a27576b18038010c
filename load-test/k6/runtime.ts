/**
 * The shared state of a run, as k6 keeps it: every metric created in the init context, the checks
 * of the root group and its groups. The metric classes (`./metrics`) and `check` (`./index`)
 * write here; the runner reads it for thresholds and the end-of-test summary.
 */

export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';
export type MetricContains = 'default' | 'time' | 'data';
export type Tags = Record<string, string>;

/** A sub-metric: the samples of a metric whose tags match, e.g. `put_latency{scenario:spike}`. */
export interface SubMetricFilter {
  name: string;
  tags: Tags;
}

export class MetricSeries {
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** Rate: samples that were non-zero. */
  passes = 0;
  /** Gauge: the last value. */
  last = 0;
  /** Trend: every value, sorted lazily for percentiles. */
  private values: number[] = [];
  private sorted = true;

  constructor(readonly type: MetricType) {}

  add(value: number): void {
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (value !== 0) this.passes++;
    this.last = value;
    if (this.type === 'trend') {
      this.values.push(value);
      this.sorted = false;
    }
  }

  /** Percentile by k6's rule: linear interpolation between the closest ranks. */
  percentile(p: number): number {
    if (this.values.length === 0) return 0;
    if (!this.sorted) {
      this.values.sort((a, b) => a - b);
      this.sorted = true;
    }
    const rank = (p / 100) * (this.values.length - 1);
    const lower = Math.floor(rank);
    const upper = Math.ceil(rank);
    const low = this.values[lower]!;
    return low + (this.values[upper]! - low) * (rank - lower);
  }
}

export class MetricState {
  readonly series: MetricSeries;
  readonly subMetrics = new Map<string, { tags: Tags; series: MetricSeries }>();

  constructor(
    readonly name: string,
    readonly type: MetricType,
    readonly contains: MetricContains,
  ) {
    this.series = new MetricSeries(type);
  }

  add(value: number, tags: Tags): void {
    this.series.add(value);
    for (const sub of this.subMetrics.values()) {
      if (Object.entries(sub.tags).every(([key, expected]) => tags[key] === expected)) sub.series.add(value);
    }
  }
}

export interface CheckState {
  name: string;
  path: string;
  passes: number;
  fails: number;
}

export interface GroupState {
  name: string;
  path: string;
  checks: Map<string, CheckState>;
  groups: Map<string, GroupState>;
}

const METRIC_NAME = /^[a-zA-Z_][a-zA-Z0-9_.]{0,127}$/;

export class Registry {
  readonly metrics = new Map<string, MetricState>();
  readonly rootGroup: GroupState = { name: '', path: '', checks: new Map(), groups: new Map() };
  /** Tags every sample gets from where it was emitted (the scenario of the current iteration). */
  currentTags: () => Tags = () => ({});
  private groupStack: GroupState[] = [this.rootGroup];

  metric(name: string, type: MetricType, contains: MetricContains = 'default'): MetricState {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name "${name}"`);
    const existing = this.metrics.get(name);
    if (existing !== undefined) {
      if (existing.type !== type) throw new Error(`metric "${name}" already exists as a ${existing.type}`);
      return existing;
    }
    const created = new MetricState(name, type, contains);
    this.metrics.set(name, created);
    return created;
  }

  add(name: string, value: number, tags: Tags = {}): void {
    const metric = this.metrics.get(name);
    if (metric === undefined) throw new Error(`unknown metric "${name}"`);
    metric.add(value, { ...this.currentTags(), ...tags });
  }

  get currentGroup(): GroupState {
    return this.groupStack[this.groupStack.length - 1]!;
  }

  enterGroup(name: string): void {
    const parent = this.currentGroup;
    let group = parent.groups.get(name);
    if (group === undefined) {
      group = { name, path: `${parent.path}::${name}`, checks: new Map(), groups: new Map() };
      parent.groups.set(name, group);
    }
    this.groupStack.push(group);
  }

  leaveGroup(): void {
    if (this.groupStack.length > 1) this.groupStack.pop();
  }

  recordCheck(name: string, passed: boolean, group: GroupState = this.currentGroup, tags: Tags = {}): void {
    let state = group.checks.get(name);
    if (state === undefined) {
      state = { name, path: `${group.path}::${name}`, passes: 0, fails: 0 };
      group.checks.set(name, state);
    }
    if (passed) state.passes++;
    else state.fails++;
    this.add('checks', passed ? 1 : 0, { check: name, ...tags });
  }
}

/** The built-in metrics k6 always reports for an arrival-rate or VU-based test. */
export function registerBuiltins(registry: Registry): void {
  registry.metric('checks', 'rate');
  registry.metric('iterations', 'counter');
  registry.metric('iteration_duration', 'trend', 'time');
  registry.metric('dropped_iterations', 'counter');
  registry.metric('vus', 'gauge');
  registry.metric('vus_max', 'gauge');
}

/** The run's registry. One test run per process, as with k6. */
export const registry = new Registry();
registerBuiltins(registry);
