import { formatCostTable, type CostLine } from './cost';
import type { SummaryData } from './k6/summary';

/** What the runner adds to k6's summary under `data.clickstream`. */
export interface RunnerReport {
  target: string;
  seed: number;
  ledger: Record<string, unknown>;
  verification?: Array<{ name: string; ok: boolean; detail: string }>;
  latencyMethod?: string;
  /** In-process stack: the most records each service had waiting during the run. */
  maxBacklog?: Record<string, number>;
  /** In-process stack: CPU seconds of every process of the stack (this one, dynalite, fauxqs) from the first put to the end of the drain. */
  cpu?: { seconds: number; wallSeconds: number; perThousandEvents: number; byProcess: Record<string, number>; loadAverage: [number, number] };
  pipeline?: {
    sustainedEventsPerSecond: number;
    shards: number;
    requests: Record<string, number>;
    perEvent: Record<string, number>;
    /** Item writes per event by table (and, for the alerts table, item kind), as sent. */
    itemWritesPerEvent?: Record<string, number>;
    cost?: { pricesAsOf: string; ours: CostLine[]; recipe: CostLine[] };
  };
}

/** The runner's part of the end-of-test output: verification details, pipeline requests, cost. */
export function runnerReport(data: SummaryData, indent = '  '): string {
  const report = data.clickstream as RunnerReport | undefined;
  if (report === undefined) return '';
  const lines: string[] = [`${indent}█ CLICKSTREAM`, '', `${indent}  target: ${report.target}, seed ${report.seed}`, `${indent}  sent: ${JSON.stringify(report.ledger)}`];
  if (report.latencyMethod) lines.push(`${indent}  e2e_latency: ${report.latencyMethod}`);
  if (report.maxBacklog) lines.push(`${indent}  max backlog (records put, not yet delivered): ${Object.entries(report.maxBacklog).map(([service, records]) => `${service} ${records}`).join(', ')}`);
  if (report.cpu) {
    const { cpu } = report;
    lines.push(
      `${indent}  cpu: ${cpu.perThousandEvents.toFixed(3)} CPU-s per 1,000 events (${cpu.seconds.toFixed(1)} CPU-s in ${cpu.wallSeconds.toFixed(0)} s: ${Object.entries(cpu.byProcess).map(([name, seconds]) => `${name} ${seconds.toFixed(1)}`).join(', ')}); load average ${cpu.loadAverage.map((value) => value.toFixed(2)).join(' → ')}`,
    );
  }
  if (report.verification) {
    lines.push('', `${indent}  end-to-end verification`);
    for (const check of report.verification) lines.push(`${indent}  ${check.ok ? '✓' : '✗'} ${check.name}: ${check.detail}`);
  }
  if (report.pipeline) {
    const p = report.pipeline;
    lines.push('', `${indent}  pipeline (wire counts of the services' requests, in-process stack)`, `${indent}  sustained ${p.sustainedEventsPerSecond.toFixed(0)} events/s on ${p.shards} shards (AWS limit ${p.shards * 1000} records/s)`);
    lines.push(`${indent}  per event: ${Object.entries(p.perEvent).map(([key, value]) => `${key}=${value.toFixed(4)}`).join('  ')}`);
    if (p.itemWritesPerEvent) lines.push(`${indent}  item writes per event: ${Object.entries(p.itemWritesPerEvent).map(([key, value]) => `${key}=${value.toFixed(4)}`).join('  ')}`);
    lines.push(`${indent}  requests: ${Object.entries(p.requests).sort().map(([key, value]) => `${key}=${value}`).join('  ')}`);
    if (p.cost) lines.push('', `${indent}  cost per million events (us-east-1 list prices as of ${p.cost.pricesAsOf})`, formatCostTable(p.cost.ours, p.cost.recipe));
  }
  return `${lines.join('\n')}\n\n`;
}
