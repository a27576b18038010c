/**
 * Where each stack keeps its Terraform state. Backends cannot read Terraform variables (they are
 * configured before variables exist), so the choice is made at synth time from a JSON file:
 * `cdktf/backend.json` by default, or the file named by CLICKSTREAM_BACKEND_CONFIG. The file
 * maps an environment to a Terraform backend block, written exactly as in Terraform's docs:
 *
 *   { "prod": { "backend": "s3", "config": { "bucket": "acme-tfstate", "region": "eu-west-1" } } }
 *
 * For "s3", `key` defaults to `clickstream-analytics/<stack>.tfstate` and `use_lockfile` (S3
 * native lock files, Terraform >= 1.10) and `encrypt` default to true; the deprecated DynamoDB
 * lock table is refused. Any other backend name is passed through as written. An environment
 * the file does not name keeps local state next to cdktf.json; staging and prod then warn.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Construct } from 'constructs';
import { LocalBackend, TerraformBackend, type TerraformRemoteState } from 'cdktn';
import { ENVIRONMENTS, profileOf, stackId, type EnvironmentName } from './environments';

export const BACKEND_CONFIG_ENV = 'CLICKSTREAM_BACKEND_CONFIG';
export const DEFAULT_BACKEND_CONFIG = path.join(__dirname, 'backend.json');

export interface BackendChoice {
  /** A Terraform backend type: s3, gcs, azurerm, remote, http, pg, ... */
  backend: string;
  /** The backend block's arguments, snake_case as Terraform names them. */
  config: Record<string, unknown>;
}

export type BackendConfig = Partial<Record<EnvironmentName, BackendChoice>>;

export class BackendConfigError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
    this.name = 'BackendConfigError';
  }
}

/** The local state file of a stack, relative to cdktf.out/stacks/<stack>/ (terraform's working directory). */
export const localStatePath = (stack: string) => `../../../terraform.${stack}.tfstate`;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks and completes a parsed backend file; every problem names the environment and the field. */
export function parseBackendConfig(raw: unknown, source = 'backend config'): BackendConfig {
  if (!isRecord(raw)) throw new BackendConfigError(source, 'must be a JSON object keyed by environment (dev, staging, prod)');
  const result: BackendConfig = {};
  const seen = new Map<string, string>();
  for (const [environment, entry] of Object.entries(raw)) {
    if (!(ENVIRONMENTS as readonly string[]).includes(environment)) throw new BackendConfigError(source, `unknown environment "${environment}" (known: ${ENVIRONMENTS.join(', ')})`);
    if (!isRecord(entry) || typeof entry.backend !== 'string' || !/^[a-z0-9_]+$/.test(entry.backend)) {
      throw new BackendConfigError(source, `${environment}.backend must name a Terraform backend type, e.g. "s3"`);
    }
    if (entry.config !== undefined && !isRecord(entry.config)) throw new BackendConfigError(source, `${environment}.config must be an object of backend arguments`);
    const choice = completeChoice(environment as EnvironmentName, entry.backend, { ...((entry.config as Record<string, unknown> | undefined) ?? {}) }, source);
    const location = stateLocation(choice);
    if (location !== undefined) {
      const other = seen.get(location);
      if (other !== undefined) throw new BackendConfigError(source, `${environment} and ${other} would share the state ${location}`);
      seen.set(location, environment);
    }
    result[environment as EnvironmentName] = choice;
  }
  return result;
}

function completeChoice(environment: EnvironmentName, backend: string, config: Record<string, unknown>, source: string): BackendChoice {
  if (backend !== 's3') return { backend, config };
  for (const field of ['bucket', 'region']) {
    if (typeof config[field] !== 'string' || config[field] === '') throw new BackendConfigError(source, `${environment}.config.${field} is required for the s3 backend`);
  }
  if ('dynamodb_table' in config) {
    throw new BackendConfigError(source, `${environment}.config.dynamodb_table: DynamoDB state locking is deprecated; S3 lock files (use_lockfile) are used instead`);
  }
  if (config.use_lockfile === false) throw new BackendConfigError(source, `${environment}.config.use_lockfile: state locking cannot be turned off`);
  return {
    backend,
    config: { key: `clickstream-analytics/${stackId(environment)}.tfstate`, encrypt: true, use_lockfile: true, ...config },
  };
}

function stateLocation(choice: BackendChoice): string | undefined {
  if (choice.backend === 's3') return `s3://${String(choice.config.bucket)}/${String(choice.config.key)}`;
  return undefined;
}

/**
 * Reads the backend file: CLICKSTREAM_BACKEND_CONFIG when set (it must exist), otherwise
 * cdktf/backend.json when present, otherwise nothing (every stack keeps local state).
 */
export function loadBackendConfig(env: NodeJS.ProcessEnv = process.env, defaultPath = DEFAULT_BACKEND_CONFIG): { config: BackendConfig; source?: string } {
  const named = env[BACKEND_CONFIG_ENV];
  const source = named !== undefined && named !== '' ? path.resolve(named) : defaultPath;
  if (!existsSync(source)) {
    if (source !== defaultPath) throw new BackendConfigError(source, `${BACKEND_CONFIG_ENV} names a file that does not exist`);
    return { config: {} };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(source, 'utf8'));
  } catch (error) {
    throw new BackendConfigError(source, `is not valid JSON (${(error as Error).message})`);
  }
  return { config: parseBackendConfig(raw, source), source };
}

/** A backend block written as configured. Cross-stack remote state is not used by this app. */
export class ConfiguredBackend extends TerraformBackend {
  constructor(
    scope: Construct,
    private readonly choice: BackendChoice,
  ) {
    super(scope, 'backend', choice.backend);
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return { ...this.choice.config };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return { ...this.choice.config };
  }

  getRemoteStateDataSource(): TerraformRemoteState {
    throw new Error('the clickstream stacks do not read each other\'s state');
  }
}

/** Installs the backend of `environment`'s stack; returns a warning when the state stays local where it should not. */
export function applyBackend(stack: Construct, environment: EnvironmentName, config: BackendConfig): string | undefined {
  const choice = config[environment];
  if (choice !== undefined) {
    new ConfiguredBackend(stack, choice);
    return undefined;
  }
  // Relative, so the synthesized JSON names no machine path.
  new LocalBackend(stack, { path: localStatePath(stackId(environment)) });
  if (!profileOf(environment).warnOnLocalState) return undefined;
  return `${stackId(environment)} keeps its Terraform state in a local file (terraform.${stackId(environment)}.tfstate): nobody else can see or lock it. Configure a remote backend for ${environment} in cdktf/backend.json (see cdktf/backend.example.json).`;
}
