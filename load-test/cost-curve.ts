/**
 * `npm run cost-curve -- [--rates 10,100,1000,3000] [--out file.md] [--duration 60s]`: runs the cost-curve scenario
 * at each rate with --verify, one load test (and one local stack) after the other, and prints the
 * curve as a Markdown table: cost per million events, ours and the recipe's, beside the units per
 * event, the CPU per 1,000 events and the latency (with the load average it was measured at).
 */
import '../local/quiet-warnings';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { runCommand, type CommandLine } from '../local/cli-args';
import { total } from './cost';
import type { SummaryData } from './k6/summary';
import type { RunnerReport } from './report';

const ROOT = path.resolve(__dirname, '..');

export interface CurvePoint {
  rate: number;
  exitCode: number | null;
  summary?: SummaryData;
}

function runPoint(rate: number, summaryFile: string, drainTimeout: string, duration: string | undefined): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', 'load-test/run.ts', 'load-test/scenarios/cost-curve.ts', '-e', `RATE=${rate}`, '--verify', '--quiet', '--drain-timeout', drainTimeout, '--summary-export', summaryFile, ...(duration === undefined ? [] : ['-e', `DURATION=${duration}`])];
    process.stderr.write(`cost curve: ${rate} events/s (load average ${loadavg()[0]!.toFixed(2)})…\n`);
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

const money = (value: number) => `$${value.toFixed(2)}`;

/** The curve as a Markdown table, one row per rate. */
export function curveTable(points: readonly CurvePoint[]): string {
  const header = [
    'events/s',
    'shards',
    'events',
    '--verify',
    'ours $/M',
    'recipe $/M',
    'DynamoDB WRU/event (processor / detector)',
    'RRU/event',
    'Lambda invocations/event',
    'CPU-s per 1,000 events',
    'e2e p50 / p95',
    'load average',
  ];
  const rows = points.map(({ rate, exitCode, summary }) => {
    const report = summary?.clickstream as RunnerReport | undefined;
    const pipeline = report?.pipeline;
    if (report === undefined || pipeline === undefined) return [String(rate), '', '', `failed (exit ${exitCode})`, '', '', '', '', '', '', '', ''];
    const perEvent = pipeline.perEvent;
    const failed = (report.verification ?? []).filter((check) => !check.ok).length;
    const latency = summary!.metrics.e2e_latency?.values;
    const seconds = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);
    return [
      String(rate),
      String(pipeline.shards),
      String(Number(report.ledger.accepted ?? 0) + Number(report.ledger.rejected ?? 0)),
      failed === 0 ? `✓ ${report.verification?.length ?? 0} checks` : `✗ ${failed} failed`,
      pipeline.cost ? money(total(pipeline.cost.ours)) : '',
      pipeline.cost ? money(total(pipeline.cost.recipe)) : '',
      `${perEvent.eventProcessorWriteUnits!.toFixed(3)} / ${perEvent.detectorWriteUnits!.toFixed(3)}`,
      (perEvent.eventProcessorReadUnits! + perEvent.detectorReadUnits!).toFixed(3),
      perEvent.lambdaInvocations!.toFixed(4),
      report.cpu ? report.cpu.perThousandEvents.toFixed(2) : '—',
      `${seconds(latency?.med)} / ${seconds(latency?.['p(95)'])}`,
      report.cpu ? report.cpu.loadAverage.map((value) => value.toFixed(1)).join(' → ') : '—',
    ];
  });
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

const SPEC = {
  command: 'npm run cost-curve',
  help: [
    'Usage: npm run cost-curve -- [--rates 10,100,1000,3000] [--out file.md] [--drain-timeout 20m] [--duration 60s]',
    '',
    'Runs the cost-curve scenario at each rate with --verify, one local stack after the other, and',
    'prints cost per million events (ours and the recipe), units per event, CPU and latency as a table.',
    '',
  ].join('\n'),
  options: { rates: { type: 'string', default: '10,100,1000,3000' }, out: { type: 'string' }, 'drain-timeout': { type: 'string', default: '20m' }, duration: { type: 'string' } },
} as const;

async function main({ values }: CommandLine<typeof SPEC.options>): Promise<number> {
  const rates = values.rates.split(',').map((rate) => Number(rate.trim()));
  const dir = mkdtempSync(path.join(tmpdir(), 'cost-curve-'));
  const points: CurvePoint[] = [];
  for (const rate of rates) {
    const summaryFile = path.join(dir, `rate-${rate}.json`);
    const exitCode = await runPoint(rate, summaryFile, values['drain-timeout'], values.duration);
    let summary: SummaryData | undefined;
    try {
      summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as SummaryData;
    } catch {
      summary = undefined;
    }
    points.push({ rate, exitCode, ...(summary === undefined ? {} : { summary }) });
  }
  const table = curveTable(points);
  process.stdout.write(`\n${table}\n\nsummaries: ${dir}\n`);
  if (values.out) writeFileSync(values.out, `${table}\n`);
  return points.every((point) => point.exitCode === 0) ? 0 : 1;
}

if (require.main === module) runCommand(SPEC, main);
