/**
 * Bundles each Lambda function's handler (the three consumers, the compactor, the collector and forget) with esbuild into dist/<service>/index.js
 * (CommonJS, Node 22, the runtime Lambda runs: nodejs22.x). The AWS SDK is bundled too, so the
 * deployed code runs the exact SDK version the tests ran. The collector's bundle also carries the
 * browser tracker (dist/collector/tracker.js and tracker.mjs), which it serves.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { COLLECTOR, LAMBDA_FUNCTIONS } from '@clickstream/shared';
import { buildTracker } from '../tracker/build';

const root = path.resolve(__dirname, '..');

/** Bundles one function's handler into `<outRoot>/<service>/index.js`; undefined when it has no handler. */
export async function buildService(service: (typeof LAMBDA_FUNCTIONS)[number], outRoot = path.join(root, 'dist')): Promise<string | undefined> {
  const entry = path.join(root, 'services', service, 'src', 'handler.ts');
  if (!existsSync(entry)) return undefined;
  const outfile = path.join(outRoot, service, 'index.js');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    sourcemap: true,
    minify: true,
    keepNames: true,
    legalComments: 'none',
    tsconfig: path.join(root, 'tsconfig.json'),
    logLevel: 'warning',
  });
  if (service === COLLECTOR.service) {
    const tracker = await buildTracker();
    writeFileSync(path.join(outRoot, service, 'tracker.js'), tracker.classic);
    writeFileSync(path.join(outRoot, service, 'tracker.mjs'), tracker.module);
  }
  return outfile;
}

export async function buildServices(outRoot = path.join(root, 'dist')): Promise<Array<{ service: string; outfile: string }>> {
  const built: Array<{ service: string; outfile: string }> = [];
  for (const service of LAMBDA_FUNCTIONS) {
    const outfile = await buildService(service, outRoot);
    if (outfile !== undefined) built.push({ service, outfile });
  }
  return built;
}

if (require.main === module) {
  buildServices()
    .then((built) => {
      for (const { service, outfile } of built) console.log(`built ${service} → ${path.relative(root, outfile)}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
