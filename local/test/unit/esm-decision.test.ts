import {
  decideAfterInvoke,
  decideBeforeInvoke,
  NO_RETRIES,
  retryDelayMs,
  type AfterInvoke,
  type BatchEntry,
  type InvokeOutcome,
  type RecordRange,
  type RetrySettings,
  type RetryState,
} from '../../esm/decision';

/**
 * The mapping's after-invoke and before-invoke decisions, rule by rule, as the Lambda
 * developer guide states them for Kinesis (kinesis-on-failure-destination,
 * services-kinesis-batchfailurereporting). No timers, no emulators.
 */

const NOW = Date.parse('2026-12-01T10:00:00.000Z');

/** Records with sequence numbers 101…(100+count), arriving one second apart, the last `lastAgeS` seconds ago. */
function batch(count: number, lastAgeS = 1): BatchEntry[] {
  return Array.from({ length: count }, (_, index) => ({ sequenceNumber: String(101 + index), arrivalMs: NOW - (lastAgeS + count - 1 - index) * 1000 }));
}

const settings: RetrySettings = { bisectBatchOnFunctionError: false, maximumRetryAttempts: 2, maximumRecordAgeInSeconds: -1, retryDelayMs: 100, maxRetryDelayMs: 1_000 };
const withBisect: RetrySettings = { ...settings, bisectBatchOnFunctionError: true };
const success: InvokeOutcome = { kind: 'success' };
const error: InvokeOutcome = { kind: 'error', error: new Error('boom') };
const timeout: InvokeOutcome = { kind: 'timeout', error: new Error('Task timed out after 60.00 seconds') };
const partial = (lowest: string): InvokeOutcome => ({ kind: 'partial', lowest });
const range = (first: number, last: number): RecordRange => ({ first: String(first), last: String(last) });
const retried = (startSequence: number, attempts: number): RetryState => ({ startSequence: String(startSequence), attempts });

describe('after a successful invocation', () => {
  it('checkpoints the batch\'s last record and forgets earlier failures', () => {
    expect(decideAfterInvoke(batch(10), success, retried(101, 2), settings)).toEqual({ action: 'checkpoint', checkpoint: '110', retry: NO_RETRIES });
  });
});

describe('after a function error or timeout (no partial response)', () => {
  const cases: Array<[string, BatchEntry[], InvokeOutcome, RetryState, RetrySettings, AfterInvoke]> = [
    ['bisect on: splits the batch in two without using a retry', batch(10), error, NO_RETRIES, withBisect, { action: 'bisect', halves: [range(101, 105), range(106, 110)], retry: NO_RETRIES }],
    ['bisect on, odd size: the first half takes the extra record', batch(5), timeout, retried(101, 1), withBisect, { action: 'bisect', halves: [range(101, 103), range(104, 105)], retry: retried(101, 1) }],
    ['bisect on, one record: nothing left to split, so it is a retry', batch(1), error, NO_RETRIES, withBisect, { action: 'retry', records: range(101, 101), delayMs: 100, retry: retried(101, 1) }],
    ['bisect off: retries the whole batch', batch(10), error, NO_RETRIES, settings, { action: 'retry', records: range(101, 110), delayMs: 100, retry: retried(101, 1) }],
    ['a timeout is a function error', batch(3), timeout, NO_RETRIES, settings, { action: 'retry', records: range(101, 103), delayMs: 100, retry: retried(101, 1) }],
    ['the same batch failing again counts on', batch(10), error, retried(101, 1), settings, { action: 'retry', records: range(101, 110), delayMs: 200, retry: retried(101, 2) }],
    ['another batch starts counting afresh', batch(10), error, retried(99, 2), settings, { action: 'retry', records: range(101, 110), delayMs: 100, retry: retried(101, 1) }],
    [
      'MaximumRetryAttempts 2: the third failure discards the batch and checkpoints past it',
      batch(10),
      error,
      retried(101, 2),
      settings,
      { action: 'discard', records: range(101, 110), condition: 'RetryAttemptsExhausted', invokeCount: 3, functionError: 'Unhandled', checkpoint: '110', retry: NO_RETRIES },
    ],
    [
      'MaximumRetryAttempts 0: the first failure discards',
      batch(2),
      timeout,
      NO_RETRIES,
      { ...settings, maximumRetryAttempts: 0 },
      { action: 'discard', records: range(101, 102), condition: 'RetryAttemptsExhausted', invokeCount: 1, functionError: 'Unhandled', checkpoint: '102', retry: NO_RETRIES },
    ],
    ['MaximumRetryAttempts -1: retries without end', batch(1), error, retried(101, 10_000), { ...settings, maximumRetryAttempts: -1 }, { action: 'retry', records: range(101, 101), delayMs: 1_000, retry: retried(101, 10_001) }],
  ];
  it.each(cases)('%s', (_rule, records, outcome, retry, rules, expected) => {
    expect(decideAfterInvoke(records, outcome, retry, rules)).toEqual(expected);
  });
});

describe('after a partial batch response (ReportBatchItemFailures)', () => {
  const cases: Array<[string, InvokeOutcome, RetryState, RetrySettings, AfterInvoke]> = [
    ['bisect off: checkpoints before the lowest failure and re-reads the shard from it', partial('104'), NO_RETRIES, settings, { action: 'repoll', from: '104', checkpoint: '103', delayMs: 100, retry: retried(104, 1) }],
    ['the first record failed: nothing to checkpoint, re-read from it', partial('101'), NO_RETRIES, settings, { action: 'repoll', from: '101', delayMs: 100, retry: retried(101, 1) }],
    ['bisect on: cuts the batch at the failure and retries only the remaining records', partial('107'), NO_RETRIES, withBisect, { action: 'retry', records: range(107, 110), checkpoint: '106', delayMs: 100, retry: retried(107, 1) }],
    ['the same record failing again uses up attempts', partial('104'), retried(104, 1), settings, { action: 'repoll', from: '104', checkpoint: '103', delayMs: 200, retry: retried(104, 2) }],
    ['a later failure after progress counts afresh', partial('108'), retried(104, 2), settings, { action: 'repoll', from: '108', checkpoint: '107', delayMs: 100, retry: retried(108, 1) }],
    [
      'out of attempts: discards from the failure to the end, with no functionError',
      partial('104'),
      retried(104, 2),
      settings,
      { action: 'discard', records: range(104, 110), condition: 'RetryAttemptsExhausted', invokeCount: 3, checkpoint: '110', retry: NO_RETRIES },
    ],
    ['MaximumRetryAttempts -1: never discards', partial('104'), retried(104, 500), { ...settings, maximumRetryAttempts: -1 }, { action: 'repoll', from: '104', checkpoint: '103', delayMs: 1_000, retry: retried(104, 501) }],
  ];
  it.each(cases)('%s', (_rule, outcome, retry, rules, expected) => {
    expect(decideAfterInvoke(batch(10), outcome, retry, rules)).toEqual(expected);
  });

  it('refuses a reported record that is not in the batch (the invoker turns those into errors first)', () => {
    expect(() => decideAfterInvoke(batch(3), partial('999'), NO_RETRIES, settings)).toThrow(/not in the batch/);
  });
});

describe('before each invocation: MaximumRecordAgeInSeconds', () => {
  it.each([
    ['-1 keeps records of any age', batch(3, 86_400 * 6), -1, { invoke: range(101, 103) }],
    ['records younger than the limit are all invoked', batch(3, 1), 60, { invoke: range(101, 103) }],
    ['an expired leading run is discarded first, the rest invoked', batch(5, 58), 60, { discard: { records: range(101, 102), condition: 'RecordAgeExceeded', invokeCount: 0 }, invoke: range(103, 105) }],
    ['a wholly expired batch is discarded without invoking', batch(4, 3_600), 60, { discard: { records: range(101, 104), condition: 'RecordAgeExceeded', invokeCount: 0 } }],
    ['a record exactly at the limit is still young enough', [{ sequenceNumber: '101', arrivalMs: NOW - 60_000 }], 60, { invoke: range(101, 101) }],
  ])('%s', (_rule, records, maximumRecordAgeInSeconds, expected) => {
    expect(decideBeforeInvoke(records, NO_RETRIES, { maximumRecordAgeInSeconds }, NOW)).toEqual(expected);
  });

  it('reports how often the expiring batch was invoked before', () => {
    const decision = decideBeforeInvoke(batch(2, 120), retried(101, 4), { maximumRecordAgeInSeconds: 60 }, NOW);
    expect(decision.discard).toEqual({ records: range(101, 102), condition: 'RecordAgeExceeded', invokeCount: 4 });
  });
});

describe('retry back-off', () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1_000],
    [60, 1_000],
  ])('after failure %i waits %i ms (doubling, capped)', (attempts, delay) => {
    expect(retryDelayMs(attempts, settings)).toBe(delay);
  });
});

/**
 * The decisions composed as the delivery loop composes them (bisected halves wait in order),
 * against a function that fails any batch holding a poison record.
 */
function simulate(size: number, poison: Set<string>, rules: RetrySettings) {
  const records = batch(size);
  const invocations: string[][] = [];
  const discarded: Array<{ records: RecordRange; invokeCount: number }> = [];
  const checkpoints: string[] = [];
  let retry = NO_RETRIES;
  const pending: BatchEntry[][] = [records];
  while (pending.length > 0) {
    const current = pending[0]!;
    invocations.push(current.map((entry) => entry.sequenceNumber));
    const outcome = current.some((entry) => poison.has(entry.sequenceNumber)) ? error : success;
    const decision = decideAfterInvoke(current, outcome, retry, rules);
    retry = decision.retry;
    const slice = (r: RecordRange) => current.slice(current.findIndex((e) => e.sequenceNumber === r.first), current.findIndex((e) => e.sequenceNumber === r.last) + 1);
    if (decision.action === 'bisect') pending.splice(0, 1, ...decision.halves.map(slice));
    else if (decision.action === 'retry') pending[0] = slice(decision.records);
    else {
      if (decision.action === 'discard') discarded.push({ records: decision.records, invokeCount: decision.invokeCount });
      if (decision.action === 'checkpoint' || decision.action === 'discard') checkpoints.push(decision.checkpoint);
      pending.shift();
    }
  }
  return { invocations, discarded, checkpoints };
}

describe('bisecting around a poison record', () => {
  it('isolates it, spends the retries on it alone, discards only it and checkpoints forward', () => {
    const { invocations, discarded, checkpoints } = simulate(8, new Set(['106']), withBisect);
    expect(invocations.map((records) => records.length)).toEqual([8, 4, 4, 2, 1, 1, 1, 1, 2]);
    expect(invocations.filter((records) => records.length === 1 && records[0] === '106')).toHaveLength(3);
    expect(discarded).toEqual([{ records: range(106, 106), invokeCount: 3 }]);
    expect(checkpoints).toEqual(['104', '105', '106', '108']);
  });

  it('without bisect the whole batch is retried and discarded together', () => {
    const { invocations, discarded, checkpoints } = simulate(8, new Set(['106']), settings);
    expect(invocations).toHaveLength(3);
    expect(discarded).toEqual([{ records: range(101, 108), invokeCount: 3 }]);
    expect(checkpoints).toEqual(['108']);
  });
});
