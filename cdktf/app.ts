import { App } from 'cdktn';
import type { Bundles } from './bundles';
import { ClickstreamStack } from './stack';
import type { EnvironmentProfile } from './variables';

/** One stack per environment. Names and sizes come from variables; these are the safety switches. */
export const ENVIRONMENT_PROFILES: readonly EnvironmentProfile[] = [
  { environment: 'dev', bucketForceDestroy: true, deletionProtection: false },
  { environment: 'staging', bucketForceDestroy: true, deletionProtection: false },
  { environment: 'prod', bucketForceDestroy: false, deletionProtection: true },
];

export const stackId = (environment: string) => `clickstream-${environment}`;

export function createStacks(app: App, bundles: Bundles): ClickstreamStack[] {
  return ENVIRONMENT_PROFILES.map((profile) => new ClickstreamStack(app, stackId(profile.environment), { profile, bundles }));
}
