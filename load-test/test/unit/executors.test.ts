import { parseDuration } from '../../k6/duration';
import { buildRamp, planScenario, rampIntegral, rampValue } from '../../k6/executors';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['15', 15_000],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it('rejects nonsense', () => expect(() => parseDuration('soon')).toThrow(/invalid duration/));
});

describe('arrival schedules', () => {
  it('constant-arrival-rate: rate per timeUnit over the duration', () => {
    const plan = planScenario('steady', { executor: 'constant-arrival-rate', rate: 2, timeUnit: '1s', duration: '2m', preAllocatedVUs: 4, maxVUs: 20 });
    expect(plan.kind).toBe('arrival');
    expect(plan.ramp.totalMs).toBe(120_000);
    expect(rampIntegral(plan.ramp, 120_000)).toBeCloseTo(240);
    expect(plan.maxVUs).toBe(20);
  });

  it('ramping-arrival-rate: iterations are the area under the linear stages', () => {
    const plan = planScenario('spike', {
      executor: 'ramping-arrival-rate',
      startRate: 0,
      timeUnit: '1s',
      preAllocatedVUs: 2,
      stages: [
        { target: 10, duration: '10s' },
        { target: 10, duration: '10s' },
      ],
    });
    expect(rampIntegral(plan.ramp, 10_000)).toBeCloseTo(50);
    expect(rampIntegral(plan.ramp, 20_000)).toBeCloseTo(150);
    expect(rampValue(plan.ramp, 5_000) * 1000).toBeCloseTo(5);
  });

  it('ramping-vus: VUs follow the stages', () => {
    const ramp = buildRamp(1, [
      { target: 5, duration: '4s' },
      { target: 0, duration: '1s' },
    ]);
    expect(rampValue(ramp, 2_000)).toBe(3);
    expect(rampValue(ramp, 4_500)).toBe(2.5);
    expect(planScenario('ramp', { executor: 'ramping-vus', startVUs: 1, stages: [{ target: 5, duration: '4s' }] }).maxVUs).toBe(5);
  });

  it('names what a scenario lacks', () => {
    expect(() => planScenario('x', { executor: 'constant-arrival-rate', rate: 1, duration: '1s' })).toThrow(/preAllocatedVUs/);
    expect(() => planScenario('x', { executor: 'shared-iterations' } as never)).toThrow(/not supported/);
  });
});
