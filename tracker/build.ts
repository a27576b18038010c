/**
 * Builds the browser tracker: a classic script (IIFE, defines `window.clickstream`) and an ES
 * module, minified, for browsers from 2020 on (ES2020). The collector serves them at
 * /tracker.js and /tracker.mjs; scripts/build.ts puts them next to its Lambda bundle.
 */
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export interface TrackerBuild {
  classic: string;
  module: string;
}

const source = path.join(__dirname, 'src');

export async function buildTracker(): Promise<TrackerBuild> {
  const common = { bundle: true, minify: true, write: false, target: 'es2020', legalComments: 'none', logLevel: 'warning', platform: 'browser' } as const;
  const [classic, module] = await Promise.all([
    build({ ...common, entryPoints: [path.join(source, 'classic.ts')], format: 'iife' }),
    build({ ...common, entryPoints: [path.join(source, 'module.ts')], format: 'esm' }),
  ]);
  return { classic: classic.outputFiles[0]!.text, module: module.outputFiles[0]!.text };
}

/** Gzipped size in bytes (the tracker's budget is 5 KB). */
export function gzippedBytes(text: string): number {
  return gzipSync(Buffer.from(text), { level: 9 }).byteLength;
}
