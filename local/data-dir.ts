/**
 * The `--data-dir` of the local stack: streams (kinesalite), tables (dynalite), the S3 buckets
 * (fauxqs) and the mappings' checkpoints on disk. A marker file says the directory is the stack's, so `npm run reset` and
 * `npm start -- --fresh` only ever delete a directory the stack made its own.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const DATA_DIR_MARKER = '.clickstream-data';

/** What the stack writes into a data directory. */
const STACK_ENTRIES = new Set([DATA_DIR_MARKER, 'kinesis', 'dynamodb', 's3']);
const isStackEntry = (entry: string) => STACK_ENTRIES.has(entry) || entry.startsWith('checkpoints.json');

/**
 * Makes `dataDir` the stack's: created when absent, marked when empty or holding only what the
 * stack writes. A directory with anything else in it is refused, so a typo cannot point the
 * stack (and later a reset) at someone's files.
 */
export function claimDataDirectory(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  if (existsSync(path.join(dataDir, DATA_DIR_MARKER))) return;
  const foreign = readdirSync(dataDir).filter((entry) => !isStackEntry(entry));
  if (foreign.length > 0) {
    throw new Error(`--data-dir ${dataDir} holds files that are not the local stack's (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}): use a new or empty directory`);
  }
  writeFileSync(path.join(dataDir, DATA_DIR_MARKER), `${JSON.stringify({ createdAt: new Date().toISOString(), note: 'data of the Clickstream Analytics local stack; npm run reset deletes it' })}\n`);
}

/** Whether `dataDir` carries the stack's marker. */
export function isDataDirectory(dataDir: string): boolean {
  return existsSync(path.join(dataDir, DATA_DIR_MARKER));
}

/** Empties a data directory the stack owns (its marker stays); refuses any other directory. */
export function clearDataDirectory(dataDir: string): string[] {
  if (!existsSync(dataDir)) return [];
  if (!isDataDirectory(dataDir)) throw new Error(`${dataDir} is not a local stack data directory (no ${DATA_DIR_MARKER}): not deleting it`);
  const removed: string[] = [];
  for (const entry of readdirSync(dataDir)) {
    if (entry === DATA_DIR_MARKER) continue;
    rmSync(path.join(dataDir, entry), { recursive: true, force: true });
    removed.push(path.join(dataDir, entry));
  }
  return removed;
}
