import { loadCompactorSettings } from '../../src/config';

describe('compactor settings', () => {
  it('defaults to a 3-hour lookback, 10 minutes of grace, 30 minutes before retiring, 200,000-row partitions', () => {
    expect(loadCompactorSettings({})).toEqual({ lookbackHours: 3, closeGraceMs: 600_000, retireAfterMs: 1_800_000, partitionRows: 200_000, freshnessP99ThresholdMs: 300_000 });
  });

  it('reads every variable and names the one that is malformed', () => {
    expect(loadCompactorSettings({ COMPACTOR_LOOKBACK_HOURS: '170', COMPACTOR_SPILL_DIR: '/tmp', COMPACTOR_PARTITION_ROWS: '50' })).toMatchObject({ lookbackHours: 170, spillDir: '/tmp', partitionRows: 50 });
    expect(() => loadCompactorSettings({ COMPACTOR_LOOKBACK_HOURS: '0' })).toThrow(/COMPACTOR_LOOKBACK_HOURS/);
    expect(() => loadCompactorSettings({ COMPACTOR_PARTITION_ROWS: '1.5' })).toThrow(/COMPACTOR_PARTITION_ROWS/);
    expect(() => loadCompactorSettings({ COMPACTOR_FRESHNESS_P99_SECONDS: 'soon' })).toThrow(/COMPACTOR_FRESHNESS_P99_SECONDS/);
  });
});
