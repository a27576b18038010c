/**
 * The offline Terraform check: synthesize every stack, then `terraform init` (providers from the
 * filesystem mirror the CLI config in TF_CLI_CONFIG_FILE names), `terraform validate` and a
 * credential-free `terraform plan` with each environment's var file. Nothing reaches the
 * network: provider installation is mirror-only, the proxy variables point at a closed port,
 * and the one AWS call planning makes (STS GetCallerIdentity, for the account ID the key policy
 * and allowed_account_ids use) is answered by a stand-in on 127.0.0.1.
 *
 * Runs where terraform is on PATH and TF_CLI_CONFIG_FILE names a mirror configuration; skipped
 * with a message saying which is missing otherwise. README, "Checking the Terraform offline".
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { App } from 'cdktn';
import { createStacks } from '../../app';
import { uniformBundles } from '../../bundles';
import { ENVIRONMENTS, stackId, type EnvironmentName } from '../../environments';
import { FIXTURE_BUNDLE } from '../synth';

const OFFLINE_ACCOUNT = '123456789012';
const ENVIRONMENT_FILES = path.resolve(__dirname, '..', '..', 'environments');

function onPath(binary: string): string | undefined {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((directory) => directory !== '')
    .map((directory) => path.join(directory, binary))
    .find((candidate) => existsSync(candidate) && statSync(candidate).isFile() && (statSync(candidate).mode & 0o111) !== 0);
}

const terraform = onPath('terraform');
const cliConfig = process.env.TF_CLI_CONFIG_FILE;
const missing =
  terraform === undefined
    ? 'terraform is not on PATH'
    : cliConfig === undefined || cliConfig === ''
      ? 'TF_CLI_CONFIG_FILE is not set (it must name a CLI config whose provider_installation is a filesystem_mirror holding hashicorp/aws 6.66.0)'
      : !existsSync(cliConfig)
        ? `TF_CLI_CONFIG_FILE names ${cliConfig}, which does not exist`
        : undefined;
if (missing !== undefined) console.warn(`Offline Terraform check skipped: ${missing}. See README, "Checking the Terraform offline".`);

/** Answers GetCallerIdentity (query or JSON protocol) for a fixed offline account; counts the calls. */
function startStsStandIn(): Promise<{ server: Server; url: string; calls: () => number }> {
  let calls = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      calls += 1;
      const identity = { Account: OFFLINE_ACCOUNT, Arn: `arn:aws:iam::${OFFLINE_ACCOUNT}:user/offline-plan`, UserId: 'AIDAOFFLINEPLAN' };
      if (String(request.headers['content-type'] ?? '').includes('json')) {
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(identity));
        return;
      }
      response.writeHead(200, { 'content-type': 'text/xml' }).end(
        `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
          `<Arn>${identity.Arn}</Arn><UserId>${identity.UserId}</UserId><Account>${identity.Account}</Account>` +
          `</GetCallerIdentityResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls: () => calls })));
}

interface Run {
  status: number | null;
  output: string;
}

(missing === undefined ? describe : describe.skip)('offline terraform init, validate and plan', () => {
  let workdir: string;
  let sts: Awaited<ReturnType<typeof startStsStandIn>>;
  let env: NodeJS.ProcessEnv;
  const stackDir = (environment: EnvironmentName) => path.join(workdir, 'out', 'stacks', stackId(environment));
  const run = (environment: EnvironmentName, args: string[]): Run => {
    const result = spawnSync(terraform!, args, { cwd: stackDir(environment), env, encoding: 'utf8', timeout: 600_000 });
    return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
  };
  const plan = (environment: EnvironmentName, varFile: EnvironmentName, extra: string[] = []) =>
    run(environment, ['plan', '-input=false', '-no-color', '-lock=false', `-var-file=${path.join(ENVIRONMENT_FILES, `${varFile}.tfvars`)}`, `-var=allowed_account_ids=["${OFFLINE_ACCOUNT}"]`, ...extra]);

  beforeAll(async () => {
    workdir = mkdtempSync(path.join(os.tmpdir(), 'clickstream-terraform-'));
    sts = await startStsStandIn();
    const app = new App({ outdir: path.join(workdir, 'out') });
    createStacks(app, uniformBundles(FIXTURE_BUNDLE));
    app.synth();
    for (const environment of ENVIRONMENTS) {
      // Override files replace the state location and point the provider at the stand-in.
      writeFileSync(
        path.join(stackDir(environment), 'zz_offline_override.tf.json'),
        JSON.stringify({
          terraform: { backend: { local: { path: 'terraform.tfstate' } } },
          provider: {
            aws: {
              access_key: 'AKIAOFFLINEPLAN00000',
              secret_key: 'offline-plan',
              skip_metadata_api_check: true,
              skip_region_validation: true,
              endpoints: [{ sts: sts.url }],
            },
          },
        }),
      );
    }
    const pluginCache = path.join(workdir, 'plugin-cache');
    mkdirSync(pluginCache);
    env = {
      PATH: process.env.PATH,
      HOME: workdir,
      TF_CLI_CONFIG_FILE: cliConfig,
      TF_PLUGIN_CACHE_DIR: pluginCache,
      TF_IN_AUTOMATION: '1',
      CHECKPOINT_DISABLE: '1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: path.join(workdir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(workdir, 'no-aws-credentials'),
      // Anything that tries the network anyway fails fast on a closed port.
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '127.0.0.1,localhost',
    };
  }, 120_000);

  afterAll(async () => {
    await new Promise((resolve) => sts?.server.close(resolve));
    if (workdir !== undefined) rmSync(workdir, { recursive: true, force: true });
  });

  it.each(ENVIRONMENTS)('%s: init from the mirror, validate, and plan with its var file', (environment) => {
    const init = run(environment, ['init', '-input=false', '-no-color']);
    expect({ step: 'init', ...init }).toMatchObject({ status: 0 });
    const validate = run(environment, ['validate', '-no-color']);
    expect({ step: 'validate', ...validate }).toMatchObject({ status: 0 });
    const planned = plan(environment, environment, ['-out=plan.bin']);
    expect({ step: 'plan', ...planned }).toMatchObject({ status: 0 });
    const shown = run(environment, ['show', '-json', 'plan.bin']);
    expect(shown.status).toBe(0);
    const changes = (JSON.parse(shown.output.trim().split('\n')[0]!) as { resource_changes: Array<{ type: string; change: { actions: string[] } }> }).resource_changes;
    const created = changes.filter((change) => change.change.actions.includes('create'));
    expect(created.filter((change) => change.type === 'aws_lambda_event_source_mapping')).toHaveLength(3);
    expect(created.filter((change) => change.type === 'aws_s3_bucket')).toHaveLength(2);
    expect(created.length).toBeGreaterThan(60);
    // prod's var file has no alarm subscriber yet: the check block warns, the plan still succeeds.
    expect(planned.output.includes('No alarm reaches anyone')).toBe(environment === 'prod');
    expect(sts.calls()).toBeGreaterThan(0);
  }, 600_000);

  it('the prod stack refuses the dev var file', () => {
    const refused = plan('prod', 'dev');
    expect(refused.status).not.toBe(0);
    expect(refused.output).toContain('This is the prod stack');
  }, 300_000);

  it('refuses an archive lifecycle S3 would refuse at apply', () => {
    const refused = plan('dev', 'dev', ['-var=archive_transition_ia_days=60', '-var=archive_transition_glacier_days=70']);
    expect(refused.status).not.toBe(0);
    expect(refused.output).toContain('archive_transition_glacier_days must be at least archive_transition_ia_days + 30');
  }, 300_000);

  it('refuses an account outside allowed_account_ids', () => {
    const refused = plan('dev', 'dev', ['-var=allowed_account_ids=["999999999999"]']);
    expect(refused.status).not.toBe(0);
    expect(refused.output).toMatch(/not allowed/i);
  }, 300_000);
});
