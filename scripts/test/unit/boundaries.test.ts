import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

/** Runs the repository's rule file over a tree (the `npm test` check); returns its exit code and violations. */
async function cruise(cwd: string): Promise<{ exitCode: number; violations: string[][] }> {
  const args = [cli, '--config', path.join(root, '.dependency-cruiser.cjs'), '--output-type', 'err', 'shared', 'services', 'local'];
  const result = await run(process.execPath, args, { cwd }).then(
    ({ stdout }) => ({ exitCode: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ exitCode: error.code, stdout: error.stdout }),
  );
  const violations = [...result.stdout.matchAll(/error (\S+): (\S+) → (\S+)/g)].map((match) => [match[1]!, match[2]!, match[3]!]);
  return { exitCode: result.exitCode, violations };
}

describe('the import-boundary check', () => {
  it('fails on uphill imports, imports between services and readers that bypass a table contract', async () => {
    const { exitCode, violations } = await cruise(path.join(__dirname, '../fixtures/layers'));
    expect(exitCode).not.toBe(0);
    expect(violations.sort()).toEqual([
      ['readers-use-the-contract', 'local/query.ts', 'services/event-processor/src/store.ts'],
      ['services-are-independent', 'services/archiver/src/handler.ts', 'services/event-processor/src/store.ts'],
      ['shared-is-the-bottom', 'shared/src/event.ts', 'local/stack.ts'],
    ]);
  }, 60_000);
});
