import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SummaryData } from '../../k6/summary';
import type { RunnerReport } from '../../report';
import { runLoadTest } from './run';

jest.setTimeout(90_000);

describe('npm run load-test', () => {
  it('smoke --verify: the local stack loses nothing and counts nothing twice', async () => {
    const summaryFile = path.join(mkdtempSync(path.join(tmpdir(), 'load-test-')), 'summary.json');

    const { code, stdout, stderr } = await runLoadTest(['load-test/scenarios/smoke.ts', '--verify', '--quiet', '--summary-export', summaryFile]);

    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as SummaryData;
    // Latency and VU-starvation thresholds depend on the machine; everything else must hold.
    const failedThresholds = Object.entries(summary.metrics).flatMap(([name, metric]) =>
      Object.entries(metric.thresholds ?? {}).filter(([, result]) => !result.ok).map(([source]) => `${name} ${source}`),
    );
    expect(failedThresholds.filter((threshold) => !/^(put_latency|dropped_iterations) /.test(threshold))).toEqual([]);
    expect({ code: failedThresholds.length === 0 ? code : 0, stderr: code === 0 || failedThresholds.length > 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const report = summary.clickstream as unknown as RunnerReport;
    expect(report.verification!.filter((check) => !check.ok)).toEqual([]);
    expect(report.verification!.map((check) => check.name)).toEqual(
      expect.arrayContaining([
        'pipeline drained after the run',
        'counters equal accepted events (events#all and per type)',
        'session-metrics: one item per session of the accepted events',
        'session-metrics: event_count equals events sent per session',
        'lake: one curated row per accepted event',
        'lake: no event id twice',
        'lake: quality reports no disagreement',
      ]),
    );
    // 30 iterations of 100 records; on a busy machine the arrival-rate executor may drop some (counted).
    const dropped = summary.metrics.dropped_iterations?.values.count ?? 0;
    expect(summary.metrics.events_sent!.values.count).toBe(3000 - 100 * dropped);
    expect(summary.metrics.events_sent!.values.count).toBeGreaterThan(0);
    expect(summary.metrics.e2e_latency!.values.count ?? summary.metrics.e2e_latency!.values['p(95)']).toBeDefined();
    expect(stdout).toContain('█ THRESHOLDS');
    expect(stdout).toContain('✓ counters equal accepted events');
  });

  it('exits non-zero when a threshold fails', async () => {
    const { code, stdout } = await runLoadTest(['load-test/test/fixtures/impossible.ts', '--quiet']);

    expect(code).toBe(99);
    expect(stdout).toContain("✗ 'p(95)<0'");
  });

  it('exits with a usage error for an unknown target', async () => {
    const { code, stderr } = await runLoadTest(['load-test/test/fixtures/impossible.ts', '--target', 'mars']);

    expect(code).toBe(2);
    expect(stderr).toContain('--target must be one of local, local-running, aws');
  });
});
