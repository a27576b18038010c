import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Testing } from 'cdktn';
import { createStacks } from '../../app';
import { BACKEND_CONFIG_ENV, BackendConfigError, loadBackendConfig, parseBackendConfig, type BackendConfig } from '../../backend';
import { uniformBundles } from '../../bundles';
import { FIXTURE_BUNDLE, type Json } from '../synth';

function synthWith(backends: BackendConfig): Array<{ id: string; json: Json; warning: string | undefined }> {
  const stacks = createStacks(Testing.app(), uniformBundles(FIXTURE_BUNDLE), { backends });
  return stacks.map((stack) => ({ id: stack.node.id, json: JSON.parse(Testing.synth(stack)) as Json, warning: stack.backendWarning }));
}

describe('state without a backend file', () => {
  const stacks = synthWith({});

  it('stays in a local file per stack next to cdktf.json', () => {
    for (const { id, json } of stacks) expect(json.terraform.backend).toEqual({ local: { path: `../../../terraform.${id}.tfstate` } });
  });

  it('warns for staging and prod, not for dev', () => {
    expect(stacks.map(({ id, warning }) => [id, warning !== undefined])).toEqual([
      ['clickstream-dev', false],
      ['clickstream-staging', true],
      ['clickstream-prod', true],
    ]);
    expect(stacks[2]!.warning).toMatch(/clickstream-prod keeps its Terraform state in a local file.*cdktf\/backend\.json/);
  });

  it('shows the warning in the synthesized stack metadata (what cdktn prints)', () => {
    const app = Testing.app();
    const [, , prod] = createStacks(app, uniformBundles(FIXTURE_BUNDLE));
    expect(JSON.stringify(prod!.node.metadata)).toContain('keeps its Terraform state in a local file');
  });
});

describe('an S3 backend', () => {
  const config = parseBackendConfig({ prod: { backend: 's3', config: { bucket: 'acme-tfstate', region: 'eu-west-1' } } });
  const [dev, staging, prod] = synthWith(config);

  it('locks with an S3 lock file, encrypts, and keys the state by stack', () => {
    expect(prod!.json.terraform.backend).toEqual({
      s3: { bucket: 'acme-tfstate', region: 'eu-west-1', key: 'clickstream-analytics/clickstream-prod.tfstate', encrypt: true, use_lockfile: true },
    });
    expect(prod!.warning).toBeUndefined();
  });

  it('applies only to the environments the file names', () => {
    expect(dev!.json.terraform.backend).toHaveProperty('local');
    expect(staging!.json.terraform.backend).toHaveProperty('local');
    expect(staging!.warning).toBeDefined();
  });

  it('keeps settings the file gives, such as a key or a role to assume', () => {
    const custom = parseBackendConfig({
      staging: { backend: 's3', config: { bucket: 'b', region: 'us-east-1', key: 'team/staging.tfstate', assume_role: { role_arn: 'arn:aws:iam::111111111111:role/state' } } },
    });
    expect(custom.staging!.config).toEqual({ bucket: 'b', region: 'us-east-1', key: 'team/staging.tfstate', encrypt: true, use_lockfile: true, assume_role: { role_arn: 'arn:aws:iam::111111111111:role/state' } });
  });
});

describe('other backends', () => {
  it('are written as given', () => {
    const config = parseBackendConfig({ dev: { backend: 'gcs', config: { bucket: 'acme-state', prefix: 'clickstream/dev' } } });
    expect(synthWith(config)[0]!.json.terraform.backend).toEqual({ gcs: { bucket: 'acme-state', prefix: 'clickstream/dev' } });
  });
});

describe('a malformed backend file', () => {
  it.each([
    [[], /JSON object keyed by environment/],
    [{ qa: { backend: 's3', config: {} } }, /unknown environment "qa"/],
    [{ prod: { config: {} } }, /prod\.backend must name a Terraform backend type/],
    [{ prod: { backend: 'S3 bucket' } }, /prod\.backend must name/],
    [{ prod: { backend: 's3', config: 'bucket' } }, /prod\.config must be an object/],
    [{ prod: { backend: 's3', config: { region: 'eu-west-1' } } }, /prod\.config\.bucket is required/],
    [{ prod: { backend: 's3', config: { bucket: 'b' } } }, /prod\.config\.region is required/],
    [{ prod: { backend: 's3', config: { bucket: 'b', region: 'r', dynamodb_table: 'locks' } } }, /DynamoDB state locking is deprecated/],
    [{ prod: { backend: 's3', config: { bucket: 'b', region: 'r', use_lockfile: false } } }, /cannot be turned off/],
    [
      { staging: { backend: 's3', config: { bucket: 'b', region: 'r', key: 'state' } }, prod: { backend: 's3', config: { bucket: 'b', region: 'r', key: 'state' } } },
      /prod and staging would share the state s3:\/\/b\/state/,
    ],
  ])('is refused with a message naming the problem: %j', (raw, message) => {
    expect(() => parseBackendConfig(raw, 'cdktf/backend.json')).toThrow(BackendConfigError);
    expect(() => parseBackendConfig(raw, 'cdktf/backend.json')).toThrow(message);
  });
});

describe('loadBackendConfig', () => {
  let directory: string;
  beforeAll(() => {
    directory = mkdtempSync(path.join(os.tmpdir(), 'clickstream-backend-'));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('reads nothing when there is no file', () => {
    expect(loadBackendConfig({}, path.join(directory, 'absent.json'))).toEqual({ config: {} });
  });

  it('reads the file CLICKSTREAM_BACKEND_CONFIG names, and refuses one that does not exist', () => {
    const file = path.join(directory, 'state.json');
    writeFileSync(file, JSON.stringify({ dev: { backend: 's3', config: { bucket: 'b', region: 'eu-west-1' } } }));
    expect(loadBackendConfig({ [BACKEND_CONFIG_ENV]: file }, path.join(directory, 'absent.json')).config.dev?.config.bucket).toBe('b');
    expect(() => loadBackendConfig({ [BACKEND_CONFIG_ENV]: path.join(directory, 'missing.json') })).toThrow(/names a file that does not exist/);
  });

  it('names the file when it is not JSON', () => {
    const file = path.join(directory, 'broken.json');
    writeFileSync(file, '{ "prod": ');
    expect(() => loadBackendConfig({}, file)).toThrow(/broken\.json: is not valid JSON/);
  });

  it('accepts the documented example', () => {
    const example = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'backend.example.json'), 'utf8')) as unknown;
    const config = parseBackendConfig(example, 'cdktf/backend.example.json');
    expect(Object.keys(config)).toEqual(['staging', 'prod']);
    expect(config.prod!.config).toMatchObject({ use_lockfile: true, encrypt: true });
  });
});
