import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LocalManifest } from './stack';

/** Reads `.clickstream/local.json`, written by `npm start`, with a clear error when it is absent. */
export function readManifest(stateDir = process.env.CLICKSTREAM_STATE_DIR ?? '.clickstream'): LocalManifest {
  const file = path.resolve(stateDir, 'local.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LocalManifest;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${file} not found: start the local stack first with \`npm start\` (or use --target aws)`);
    }
    throw new Error(`${file} is unreadable: ${(error as Error).message}`);
  }
}
