import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Every command as users run it (`npm run <name>` is `node --import tsx <file>`): `--help`
 * prints its usage and exits 0, a bad value is a usage error (exit 2) that names the option, and
 * a command that needs the stack says how to start it.
 */
jest.setTimeout(60_000);
const root = path.resolve(__dirname, '../../..');
const execFileAsync = promisify(execFile);

async function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ['--import', 'tsx', file, ...args], { cwd: root, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const COMMANDS = [
  ['npm start', 'local/cli.ts'],
  ['npm run send', 'local/send.ts'],
  ['npm run logs', 'local/logs.ts'],
  ['npm run query', 'local/query.ts'],
  ['npm run alerts', 'local/alerts.ts'],
  ['npm run replay', 'local/replay.ts'],
  ['npm run reset', 'local/reset.ts'],
  ['npm run compact', 'local/compact.ts'],
  ['npm run quality', 'local/quality.ts'],
  ['npm run forget', 'local/forget.ts'],
  ['npm run load-test', 'load-test/run.ts'],
  ['npm run chaos', 'load-test/chaos.ts'],
  ['npm run bench', 'scripts/bench.ts'],
] as const;

it('every command answers --help with its usage and exit 0, doing nothing else', async () => {
  const results = await Promise.all(COMMANDS.map(async ([name, file]) => ({ name, ...(await run(file, ['--help'])) })));
  for (const result of results) {
    expect({ name: result.name, code: result.code, usage: result.stdout.startsWith(`Usage: ${result.name}`) }).toEqual({ name: result.name, code: 0, usage: true });
  }
});

it('a negative or malformed number and an unknown option are usage errors that name the option', async () => {
  const [minutes, shards, unknown] = await Promise.all([run('local/query.ts', ['events', '--minutes', '-5']), run('local/cli.ts', ['--shards', 'two']), run('local/logs.ts', ['--folow'])]);
  expect(minutes).toMatchObject({ code: 2, stderr: 'npm run query: --minutes must be an integer from 1 to 1440, got "-5" (see `npm run query -- --help`)\n' });
  expect(shards).toMatchObject({ code: 2, stderr: expect.stringContaining('--shards must be an integer from 1 to 100, got "two"') });
  expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('npm run logs: unknown option --folow') });
});

it('commands that need the stack say how to start it when there is none', async () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'clickstream-nostack-'));
  const [query, logs] = await Promise.all([run('local/query.ts', ['top-pages', '--state-dir', stateDir]), run('local/logs.ts', ['--state-dir', stateDir])]);
  expect(query).toMatchObject({ code: 1, stderr: `the local stack is not running — start it with \`npm start -- --state-dir ${stateDir}\` (no ${stateDir}/local.json)\n` });
  // Logs need no running stack; with none yet they say where they will be.
  expect(logs).toMatchObject({ code: 0, stderr: expect.stringContaining(`no logs in ${stateDir}/logs yet`) });
});
