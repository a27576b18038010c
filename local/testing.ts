/**
 * Helpers for integration and end-to-end tests: a local stack on ephemeral ports in a temp
 * directory, and the real AWS CLI v2 pointed at it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startLocalStack, type LocalStack, type LocalStackOptions } from './stack';

const run = promisify(execFile);

/**
 * Starts a stack on free 127.0.0.1 ports with its state in a fresh temp directory. The
 * event-processor's and anomaly-detector's batching windows are cut to 1 s (deployed: 3 s and
 * 5 s) so tests that wait for tables and alerts do not wait out the windows; a test's own
 * `settings` win.
 */
export async function startTestStack(options: LocalStackOptions = {}): Promise<LocalStack & { stateDir: string }> {
  const stateDir = options.stateDir ?? mkdtempSync(path.join(tmpdir(), 'clickstream-test-'));
  const stack = await startLocalStack({
    ports: { kinesis: 0, dynamodb: 0, aws: 0 },
    writeManifest: false,
    pollIntervalMs: 50,
    retryDelayMs: 20,
    logLevel: 'warn',
    ...options,
    settings: {
      ...options.settings,
      'event-processor': { maximumBatchingWindowInSeconds: 1, ...options.settings?.['event-processor'] },
      'anomaly-detector': { maximumBatchingWindowInSeconds: 1, ...options.settings?.['anomaly-detector'] },
    },
    stateDir,
  });
  return Object.assign(stack, { stateDir });
}

let cliPath: string | undefined;

/**
 * Finds an AWS CLI v2: Debian's `/usr/bin/aws` first (an older v1 often shadows it on PATH and
 * does not know `--cli-binary-format`), else `aws` on PATH if it reports version 2.
 */
export async function findAwsCliV2(): Promise<string> {
  if (cliPath) return cliPath;
  for (const candidate of ['/usr/bin/aws', '/usr/local/bin/aws', 'aws']) {
    if (candidate.startsWith('/') && !existsSync(candidate)) continue;
    try {
      const { stdout, stderr } = await run(candidate, ['--version'], { env: { ...process.env, AWS_PAGER: '' } });
      if (/aws-cli\/2\./.test(stdout + stderr)) {
        cliPath = candidate;
        return candidate;
      }
    } catch {
      // Not installed or not runnable: try the next candidate.
      continue;
    }
  }
  throw new Error('AWS CLI v2 not found: install it (apt-get install -y awscli); npm test does it first (scripts/ensure-test-deps.sh)');
}

/** Runs the real AWS CLI v2 against the stack; returns stdout, parsed as JSON when it is. */
export async function awsCli(stack: LocalStack, args: string[], endpoint: string): Promise<string> {
  const cli = await findAwsCliV2();
  const { stdout } = await run(cli, ['--endpoint-url', endpoint, '--output', 'json', ...args], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: stack.manifest.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: stack.manifest.credentials.secretAccessKey,
      AWS_DEFAULT_REGION: stack.manifest.region,
      AWS_REGION: stack.manifest.region,
      AWS_PAGER: '',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}
