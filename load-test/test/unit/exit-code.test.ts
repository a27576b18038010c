import { EXIT, exitCode } from '../../run';

const ok = { ok: true };
const failed = { ok: false };

describe('the load test exit code', () => {
  it.each([
    ['everything held', undefined, [ok], [ok], EXIT.ok],
    ['no --verify, thresholds held', undefined, [ok], undefined, EXIT.ok],
    ['a threshold failed', undefined, [ok, failed], [ok], EXIT.thresholdsFailed],
    ['aborted by an abortOnFail threshold', 'threshold crossed', [ok], undefined, EXIT.thresholdsFailed],
    ['verification missed something', undefined, [ok], [ok, failed], EXIT.verificationFailed],
    // Its checks count in `checks` too: the miss is what the run must report.
    ['verification missed and the checks threshold failed with it', undefined, [failed], [failed], EXIT.verificationFailed],
  ])('%s', (_, aborted, thresholds, verification, expected) => {
    const lines: string[] = [];
    expect(exitCode(aborted, thresholds, verification, (line) => lines.push(line))).toBe(expected);
    expect(lines).toHaveLength(expected === EXIT.ok ? 0 : 1);
  });

  it('documents 98 for a verification miss and 99 for a failed threshold', () => {
    expect(EXIT).toMatchObject({ verificationFailed: 98, thresholdsFailed: 99, usage: 2 });
  });
});
