import { App } from 'cdktn';
import type { BackendConfig } from './backend';
import type { Bundles } from './bundles';
import { ENVIRONMENT_PROFILES, stackId } from './environments';
import { ClickstreamStack } from './stack';

export { ENVIRONMENT_PROFILES, stackId } from './environments';

export interface CreateStacksOptions {
  /** Remote state per environment (cdktf/backend.json); environments not named keep local state. */
  backends?: BackendConfig;
}

/** One stack per environment. Names and sizes come from variables; the profiles hold the per-environment defaults and guards. */
export function createStacks(app: App, bundles: Bundles, options: CreateStacksOptions = {}): ClickstreamStack[] {
  return ENVIRONMENT_PROFILES.map((profile) => new ClickstreamStack(app, stackId(profile.environment), { profile, bundles, backends: options.backends ?? {} }));
}
