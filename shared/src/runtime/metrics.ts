/**
 * CloudWatch Embedded Metric Format: metrics are JSON log lines on stdout, which CloudWatch Logs
 * turns into metrics with no API call per event.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds' | 'Bytes' | 'Percent' | 'None' | 'Count/Second';

/** Where EMF lines go: stdout in Lambda, a file or an in-memory sink on the local stack. */
export type EmfWriter = (line: string) => void;

export const stdoutEmfWriter: EmfWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

interface MetricGroup {
  dimensions: Record<string, string>;
  metrics: Map<string, { unit: MetricUnit; value: number }>;
}

const MAX_METRICS_PER_LINE = 100;

/**
 * Collects metrics during one invocation and writes one EMF line per dimension set on `flush`.
 * Values of the same metric and dimensions are summed, so counting per event costs nothing.
 */
export class MetricsLogger {
  private readonly groups = new Map<string, MetricGroup>();

  constructor(
    private readonly namespace: string,
    private readonly defaultDimensions: Record<string, string>,
    private readonly write: EmfWriter = stdoutEmfWriter,
  ) {}

  add(name: string, value: number, unit: MetricUnit = 'Count', dimensions: Record<string, string> = {}): void {
    const allDimensions = { ...this.defaultDimensions, ...dimensions };
    const key = JSON.stringify(allDimensions);
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { dimensions: allDimensions, metrics: new Map() };
      this.groups.set(key, group);
    }
    const existing = group.metrics.get(name);
    if (existing === undefined) group.metrics.set(name, { unit, value });
    else existing.value += value;
  }

  /** Writes everything collected since the last flush and clears it. */
  flush(timestampMs: number = Date.now()): void {
    for (const group of this.groups.values()) {
      const entries = [...group.metrics.entries()];
      for (let start = 0; start < entries.length; start += MAX_METRICS_PER_LINE) {
        const chunk = entries.slice(start, start + MAX_METRICS_PER_LINE);
        const line: Record<string, unknown> = {
          _aws: {
            Timestamp: timestampMs,
            CloudWatchMetrics: [
              {
                Namespace: this.namespace,
                Dimensions: [Object.keys(group.dimensions)],
                Metrics: chunk.map(([name, metric]) => ({ Name: name, Unit: metric.unit })),
              },
            ],
          },
          ...group.dimensions,
        };
        for (const [name, metric] of chunk) line[name] = metric.value;
        this.write(JSON.stringify(line));
      }
    }
    this.groups.clear();
  }
}

/** One metric value read back from an EMF line (the local stack and tests read what CloudWatch would). */
export interface EmfDatapoint {
  namespace: string;
  name: string;
  unit: string;
  value: number;
  dimensions: Record<string, string>;
  timestampMs: number;
}

/** Parses an EMF line into datapoints; returns [] for lines that are not EMF. */
export function parseEmfLine(line: string): EmfDatapoint[] {
  if (!line.includes('"_aws"')) return [];
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return [];
  }
  const aws = parsed._aws as { Timestamp?: number; CloudWatchMetrics?: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit?: string }> }> } | undefined;
  if (!aws?.CloudWatchMetrics) return [];
  const points: EmfDatapoint[] = [];
  for (const directive of aws.CloudWatchMetrics) {
    for (const dimensionSet of directive.Dimensions.length > 0 ? directive.Dimensions : [[]]) {
      const dimensions = Object.fromEntries(dimensionSet.map((name) => [name, String(parsed[name])]));
      for (const metric of directive.Metrics) {
        const raw = parsed[metric.Name];
        for (const value of Array.isArray(raw) ? raw : [raw]) {
          if (typeof value !== 'number') continue;
          points.push({
            namespace: directive.Namespace,
            name: metric.Name,
            unit: metric.Unit ?? 'None',
            value,
            dimensions,
            timestampMs: aws.Timestamp ?? Date.now(),
          });
        }
      }
    }
  }
  return points;
}
