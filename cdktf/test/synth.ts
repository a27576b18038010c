/** Test helpers: synthesize the stacks once per test file and query the JSON. */
import path from 'node:path';
import { Testing } from 'cdktn';
import { createStacks, ENVIRONMENT_PROFILES, type CreateStacksOptions } from '../app';
import { uniformBundles, type Bundles } from '../bundles';
import type { ClickstreamStack } from '../stack';

export const FIXTURE_BUNDLE = path.join(__dirname, 'fixtures', 'bundle');

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Synthesized {
  stack: ClickstreamStack;
  json: Json;
}

const cache = new Map<string, Synthesized[]>();

/** All environment stacks, synthesized from `bundles` (default: every service built from the fixture). */
export function synthAll(bundles: Bundles = uniformBundles(FIXTURE_BUNDLE), cacheKey = 'fixture', options: CreateStacksOptions = {}): Synthesized[] {
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const app = Testing.app();
  const stacks = createStacks(app, bundles, options);
  const result = stacks.map((stack) => ({ stack, json: JSON.parse(Testing.synth(stack)) as Json }));
  cache.set(cacheKey, result);
  return result;
}

export function synthEnv(environment: string, bundles?: Bundles, cacheKey?: string, options?: CreateStacksOptions): Synthesized {
  const index = ENVIRONMENT_PROFILES.findIndex((profile) => profile.environment === environment);
  if (index < 0) throw new Error(`no stack for ${environment}`);
  return synthAll(bundles, cacheKey, options)[index]!;
}

/** Every alarm of a stack, keyed by logical id. */
export function alarms(json: Json): Record<string, Json> {
  return resources(json, 'aws_cloudwatch_metric_alarm');
}

/** The alarm at construct path `observability/<id>`. */
export function alarmAt(json: Json, id: string): Json {
  return resourceAt(json, 'aws_cloudwatch_metric_alarm', `observability/${id}`);
}

/** Resources of one type, keyed by logical id. */
export function resources(json: Json, type: string): Record<string, Json> {
  return (json.resource?.[type] ?? {}) as Record<string, Json>;
}

/** Logical id of the resource of `type` at construct path `constructPath` (below the stack). */
export function logicalId(json: Json, type: string, constructPath: string): string {
  // cdktn drops a path component that repeats its parent's (stream/stream -> stream).
  const parts = constructPath.split('/').filter((part, i, all) => i === 0 || part !== all[i - 1]);
  const prefix = `${parts.join('_')}_`;
  const found = Object.keys(resources(json, type)).filter((id) => id.startsWith(prefix) && /^[0-9A-F]{8}$/.test(id.slice(prefix.length)));
  if (found.length !== 1) throw new Error(`expected one ${type} at ${constructPath}, found ${found.length}`);
  return found[0]!;
}

/** The resource of `type` at construct path `constructPath`, e.g. `archive/bucket`. */
export function resourceAt(json: Json, type: string, constructPath: string): Json {
  return resources(json, type)[logicalId(json, type, constructPath)]!;
}

/** The Terraform reference (`${type.id.attr}`) of the resource at `constructPath`. */
export function refOf(json: Json, type: string, constructPath: string, attribute: string): string {
  return `\${${type}.${logicalId(json, type, constructPath)}.${attribute}}`;
}

/** Every variable's default. */
export function variableDefaults(json: Json): Record<string, unknown> {
  return Object.fromEntries(Object.entries(json.variable as Record<string, Json>).map(([name, v]) => [name, v.default]));
}

/**
 * Evaluates the few expression shapes the stack uses for names, with every variable at its
 * default: `${var.x}` interpolation and the archive bucket name conditional.
 */
export function resolveWithDefaults(json: Json, value: string): string {
  const defaults = variableDefaults(json);
  const conditional = /^\$\{\(var\.(\w+) == ""\) \? "(.*)" : var\.\1\}$/.exec(value);
  if (conditional) {
    const chosen = defaults[conditional[1]!] === '' ? conditional[2]! : String(defaults[conditional[1]!]);
    return resolveWithDefaults(json, chosen);
  }
  const resolved = value.replace(/\$\{var\.(\w+)\}/g, (_, name: string) => {
    if (!(name in defaults)) throw new Error(`unknown variable ${name}`);
    return String(defaults[name]);
  });
  if (resolved.includes('${')) throw new Error(`cannot resolve ${value}`);
  return resolved;
}

/** Parses an IAM/S3/KMS policy document rendered by the stack. */
export function parsePolicy(policy: string): { Statement: Json[] } {
  return JSON.parse(policy) as { Statement: Json[] };
}
