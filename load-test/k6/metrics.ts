/**
 * Mirrors the `k6/metrics` module: custom metrics created in the init context (top level of a
 * script) and fed with `.add(value, tags?)`.
 */
import { registry, type MetricContains, type MetricType, type Tags } from './runtime';

abstract class Metric {
  constructor(
    readonly name: string,
    type: MetricType,
    contains: MetricContains,
  ) {
    registry.metric(name, type, contains);
  }

  add(value: number | boolean, tags?: Tags): void {
    registry.add(this.name, typeof value === 'boolean' ? Number(value) : value, tags);
  }
}

/** A cumulative sum; thresholds on `count` and `rate` (per second). */
export class Counter extends Metric {
  constructor(name: string, isData = false) {
    super(name, 'counter', isData ? 'data' : 'default');
  }
}

/** The last value, with min and max; thresholds on `value`. */
export class Gauge extends Metric {
  constructor(name: string, isTime = false) {
    super(name, 'gauge', isTime ? 'time' : 'default');
  }
}

/** The share of non-zero samples; thresholds on `rate`. */
export class Rate extends Metric {
  constructor(name: string) {
    super(name, 'rate', 'default');
  }
}

/** A distribution; thresholds on `avg`, `min`, `max`, `med` and `p(N)`. `isTime` formats it in ms. */
export class Trend extends Metric {
  constructor(name: string, isTime = false) {
    super(name, 'trend', isTime ? 'time' : 'default');
  }
}
