import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The `pretest` step that makes `npm test` self-sufficient on a fresh Debian machine: it finds
 * the AWS CLI v2 and chromium, installs the missing ones with apt-get when it can (root), and
 * otherwise stops with the command to run. apt-get and the places it looks are stand-ins here.
 */
const script = path.resolve(__dirname, '../../ensure-test-deps.sh');
const execFileAsync = promisify(execFile);

async function ensure(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('bash', [script], { env: { PATH: '/usr/bin:/bin', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function machine() {
  const dir = mkdtempSync(path.join(tmpdir(), 'ensure-deps-'));
  const aws = path.join(dir, 'aws');
  const chromium = path.join(dir, 'chromium');
  const log = path.join(dir, 'apt.log');
  const aptGet = path.join(dir, 'apt-get');
  // A stand-in apt-get: records its arguments and "installs" the packages it is asked for.
  writeFileSync(
    aptGet,
    `#!/bin/sh\necho "$@" >> ${log}\nfor p in "$@"; do\n  [ "$p" = awscli ] && printf '#!/bin/sh\\necho aws-cli/2.9.19 Python/3.11.2\\n' > ${aws} && chmod +x ${aws}\n  [ "$p" = chromium ] && printf '#!/bin/sh\\n' > ${chromium} && chmod +x ${chromium}\ndone\nexit 0\n`,
  );
  chmodSync(aptGet, 0o755);
  return { dir, aws, chromium, log, aptGet, env: { ENSURE_TEST_DEPS_AWS: aws, ENSURE_TEST_DEPS_CHROMIUM: chromium, ENSURE_TEST_DEPS_APT_GET: aptGet } };
}

it('as root on a machine with only Node and npm: installs awscli and chromium with apt-get, saying so', async () => {
  const fresh = machine();

  const result = await ensure({ ...fresh.env, ENSURE_TEST_DEPS_UID: '0' });

  expect(result.code).toBe(0);
  expect(result.stdout).toContain('npm test needs the AWS CLI v2 (Debian package awscli) and chromium at');
  expect(result.stdout).toContain('installed: awscli chromium');
  expect(readFileSync(fresh.log, 'utf8').trim().split('\n')).toEqual(['update -qq', 'install -y -qq awscli chromium']);
  expect(existsSync(fresh.chromium)).toBe(true);
});

it('with both present: says nothing and installs nothing', async () => {
  const ready = machine();
  writeFileSync(ready.aws, '#!/bin/sh\necho aws-cli/2.23.0 Python/3.12\n', { mode: 0o755 });
  writeFileSync(ready.chromium, '#!/bin/sh\n', { mode: 0o755 });

  expect(await ensure({ ...ready.env, ENSURE_TEST_DEPS_UID: '0' })).toEqual({ code: 0, stdout: '', stderr: '' });
  expect(existsSync(ready.log)).toBe(false);
});

it('an AWS CLI v1 does not count; without root or sudo it stops before the tests with the exact command', async () => {
  const user = machine();
  writeFileSync(user.aws, '#!/bin/sh\necho aws-cli/1.45.11 Python/3.11.7\n', { mode: 0o755 });
  writeFileSync(user.chromium, '#!/bin/sh\n', { mode: 0o755 });

  const result = await ensure({ ...user.env, ENSURE_TEST_DEPS_UID: '1000', ENSURE_TEST_DEPS_SUDO: path.join(user.dir, 'no-sudo') });

  expect(result.code).toBe(1);
  expect(result.stderr).toContain('npm test needs the AWS CLI v2 (Debian package awscli) for its end-to-end tests, and cannot install them here');
  expect(result.stderr).toContain('  sudo apt-get update && sudo apt-get install -y awscli\n');
  expect(existsSync(user.log)).toBe(false);
});
