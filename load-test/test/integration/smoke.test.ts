import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestStack } from '../../../local/testing';
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

  it('--target local-running --verify with a random seed: backdated events, the accepted "future" records booked in their minute', async () => {
    // The archiver's 10 s batching window shortened, so the drain does not wait for it.
    const stack = await startTestStack({ shardCount: 1, writeManifest: true, settings: { archiver: { maximumBatchingWindowInSeconds: 1 } } });
    try {
      const summaryFile = path.join(stack.stateDir, 'summary.json');

      const { code, stderr } = await runLoadTest(['load-test/test/fixtures/backdated.ts', '--target', 'local-running', '--state-dir', stack.stateDir, '--verify', '--quiet', '--summary-export', summaryFile, '--drain-timeout', '60s']);

      expect({ summary: existsSync(summaryFile), stderr: existsSync(summaryFile) ? '' : stderr }).toEqual({ summary: true, stderr: '' });
      const report = (JSON.parse(readFileSync(summaryFile, 'utf8')) as SummaryData).clickstream as unknown as RunnerReport & { ledger: { accepted: number; acceptedInvalid: number; rejectedByReason: Record<string, number>; eventTime: { first: string } } };
      expect(report.verification!.filter((check) => !check.ok)).toEqual([]);
      expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
      expect(stderr).toMatch(/seed \d+/);
      // Backdated about three days: the invalid records dated an hour ahead are accepted, not future_timestamp.
      expect(Date.now() - Date.parse(report.ledger.eventTime.first)).toBeGreaterThan(2 * 86_400_000);
      expect(report.ledger.rejectedByReason.future_timestamp).toBeUndefined();
      expect(report.ledger.acceptedInvalid).toBeGreaterThan(0);
    } finally {
      await stack.stop();
    }
  });

  it('--target local-running without a running stack says how to start it', async () => {
    const { code, stderr } = await runLoadTest(['load-test/test/fixtures/backdated.ts', '--target', 'local-running', '--state-dir', mkdtempSync(path.join(tmpdir(), 'load-test-none-'))]);

    expect(code).toBe(1);
    expect(stderr).toContain('the local stack is not running — start it with `npm start -- --state-dir');
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
