/**
 * `npm run reset` (and `npm start -- --fresh`): clears the local stack's state so the next
 * `npm start` begins empty: the data directory (streams, tables, checkpoints) and the state
 * directory's local.json and logs. It refuses while the stack runs, and deletes only a data
 * directory the stack marked as its own. `npm run reset -- --help`.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { displayPath, runCommand, type CommandLine } from './cli-args';
import { clearDataDirectory } from './data-dir';
import { isRunning, MANIFEST_FILE, readManifestFile, stateDirectory } from './manifest';

/** Where `npm run query -- sql` keeps its copy of the lake, in the state directory. */
const LAKE_CACHE = 'lake-cache';

const HELP = `Usage: npm run reset -- [options]

Deletes the local stack's state so the next \`npm start\` begins empty: the data directory
(streams, tables, the S3 buckets and checkpoints: --data-dir, else the one the last run used)
and, in the state directory, local.json, the logs and the lake's query cache. Refuses while the
stack is running. Only a directory the stack made its own (it holds a .clickstream-data marker)
is ever emptied.

Options:
  --data-dir <dir>          the data directory to clear (default: the last run's, if it had one)
  --state-dir <dir>         the state directory (default .clickstream)
  --dry-run                 say what would be deleted, delete nothing
  --help                    this text

Same as \`npm start -- --fresh\`, which resets and then starts.
`;

const COMMAND = {
  command: 'npm run reset',
  help: HELP,
  options: {
    'data-dir': { type: 'string' },
    'state-dir': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
} as const;

export interface ResetPlan {
  stateDir: string;
  dataDir: string | null;
  /** Paths that would be deleted (or were). */
  paths: string[];
}

/**
 * Clears the state of a stack that is not running. `dataDir` defaults to the one the state
 * directory's last local.json names; null clears no data directory.
 */
export function resetLocalState(options: { stateDir: string; dataDir?: string | null; dryRun?: boolean }): ResetPlan {
  const stateDir = path.resolve(options.stateDir);
  const manifest = readManifestFile(stateDir);
  if (manifest !== undefined && isRunning(manifest)) {
    throw new Error(`the local stack is running (pid ${manifest.pid}): stop it first (Ctrl-C in its terminal, or kill ${manifest.pid}), then reset`);
  }
  const dataDir = options.dataDir === null ? null : options.dataDir !== undefined ? path.resolve(options.dataDir) : (manifest?.dataDir ?? null);
  const paths: string[] = [];
  for (const file of [MANIFEST_FILE, `${MANIFEST_FILE}.tmp`]) if (existsSync(path.join(stateDir, file))) paths.push(path.join(stateDir, file));
  const logDir = manifest?.logDir ?? path.join(stateDir, 'logs');
  if (existsSync(logDir)) paths.push(...readdirSync(logDir).filter((file) => file.endsWith('.log')).map((file) => path.join(logDir, file)));
  // The lake's local copy for DuckDB (`npm run query -- sql`): derived from the archive, gone with it.
  if (existsSync(path.join(stateDir, LAKE_CACHE))) paths.push(path.join(stateDir, LAKE_CACHE));
  if (options.dryRun) {
    if (dataDir !== null && existsSync(dataDir)) paths.push(...readdirSync(dataDir).filter((entry) => !entry.startsWith('.clickstream-data')).map((entry) => path.join(dataDir, entry)));
    return { stateDir, dataDir, paths };
  }
  // The data directory first: it refuses a directory that is not the stack's before anything is deleted.
  const removed = dataDir === null ? [] : clearDataDirectory(dataDir);
  for (const file of paths) rmSync(file, { force: true, recursive: true });
  return { stateDir, dataDir, paths: [...removed, ...paths] };
}

/** One line for the terminal: what a reset deleted. */
export function describeReset(plan: ResetPlan, dryRun = false): string {
  const verb = dryRun ? 'would delete' : 'deleted';
  if (plan.paths.length === 0) return `Nothing to reset in ${displayPath(plan.stateDir)}${plan.dataDir ? ` or ${displayPath(plan.dataDir)}` : ''}.\n`;
  const data = plan.dataDir === null ? ' (in-memory data: nothing on disk)' : ` and the data in ${displayPath(plan.dataDir)}`;
  return `Reset: ${verb} ${plan.paths.length} files and directories: local.json and logs in ${displayPath(plan.stateDir)}${data}.\n`;
}

async function main({ values }: CommandLine<typeof COMMAND.options>): Promise<void> {
  const plan = resetLocalState({ stateDir: stateDirectory(values['state-dir']), ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }), dryRun: values['dry-run'] });
  process.stdout.write(describeReset(plan, values['dry-run']));
  if (values['dry-run']) for (const file of plan.paths) process.stdout.write(`  ${displayPath(file)}\n`);
}

if (require.main === module) runCommand(COMMAND, main);
