/**
 * Where each function's code comes from. scripts/build.ts bundles every service that has a
 * `services/<service>/src/handler.ts` into `dist/<service>/index.js` and silently skips the rest.
 *
 * Decision for a service without a bundle (its handler is not written yet): synth still succeeds,
 * the function is deployed from `cdktf/placeholder/` (a handler that throws), its event source
 * mapping is created DISABLED so no record is consumed, failed or sent to the on-failure queue,
 * and synth prints a warning. Records stay in the stream (for its retention period); once the
 * bundle exists, the next synth + deploy swaps the code and enables the mapping, which starts at
 * TRIM_HORIZON. TerraformAsset hashes its source at construction (fs.statSync), so it cannot point
 * at a dist/<service> directory that does not exist, and creating an empty one would deploy a
 * function with no handler at all.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { LAMBDA_FUNCTIONS, type LambdaFunctionName } from '@clickstream/shared';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const PLACEHOLDER_DIR = path.join(__dirname, 'placeholder');

export interface Bundle {
  /** Directory zipped into the function's deployment package (it holds `index.js`). */
  directory: string;
  /** False when the service has no bundle yet and `directory` is the placeholder. */
  built: boolean;
}

export type Bundles = Readonly<Record<LambdaFunctionName, Bundle>>;

/** Finds `dist/<function>/index.js` for every function, falling back to the placeholder. */
export function locateBundles(distRoot = path.join(REPO_ROOT, 'dist')): Bundles {
  return Object.fromEntries(
    LAMBDA_FUNCTIONS.map((service) => {
      const directory = path.join(distRoot, service);
      return [service, existsSync(path.join(directory, 'index.js')) ? { directory, built: true } : { directory: PLACEHOLDER_DIR, built: false }];
    }),
  ) as Record<LambdaFunctionName, Bundle>;
}

/** The same bundle directory for every service (tests use a fixed fixture). */
export function uniformBundles(directory: string, built = true): Bundles {
  return Object.fromEntries(LAMBDA_FUNCTIONS.map((service) => [service, { directory, built }])) as Record<LambdaFunctionName, Bundle>;
}
