/**
 * `npm run synth` (and `cdktn synth|deploy`, through cdktf.json): bundle the handlers with esbuild,
 * then synthesize one Terraform stack per environment into cdktf.out/. Offline; no terraform binary.
 * Set CLICKSTREAM_SKIP_BUILD=1 to reuse dist/ as it is. Remote state comes from cdktf/backend.json
 * (or the file CLICKSTREAM_BACKEND_CONFIG names); see cdktf/backend.ts.
 */
import path from 'node:path';
import { App } from 'cdktn';
import { buildServices } from '../scripts/build';
import { createStacks } from './app';
import { loadBackendConfig } from './backend';
import { locateBundles, REPO_ROOT } from './bundles';

async function main(): Promise<void> {
  if (process.env.CLICKSTREAM_SKIP_BUILD !== '1') {
    const built = await buildServices();
    console.error(`bundled: ${built.map(({ service }) => service).join(', ') || '(none)'}`);
  }
  const bundles = locateBundles();
  const missing = Object.entries(bundles).filter(([, bundle]) => !bundle.built).map(([service]) => service);
  if (missing.length > 0) console.error(`no bundle yet for: ${missing.join(', ')} (placeholder deployed, event source mapping disabled)`);
  const backends = loadBackendConfig();
  console.error(backends.source === undefined ? 'state: local files (no cdktf/backend.json)' : `state: backends from ${path.relative(REPO_ROOT, backends.source) || backends.source}`);
  // The cdktn CLI sets CDKTF_OUTDIR; run directly, write next to cdktf.json.
  const app = new App({ outdir: process.env.CDKTF_OUTDIR ?? path.join(REPO_ROOT, 'cdktf.out') });
  const stacks = createStacks(app, bundles, { backends: backends.config });
  for (const stack of stacks) if (stack.backendWarning !== undefined) console.error(`WARNING: ${stack.backendWarning}`);
  app.synth();
  console.error(`synthesized ${app.outdir}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
