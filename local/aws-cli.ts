/**
 * The AWS CLI a user has, and a `put-record` command that works with it. The two major versions
 * disagree on `--data`: v2 reads blobs as base64 unless told `--cli-binary-format
 * raw-in-base64-out` (AWS CLI 2.9 then fails with `Invalid base64`); v1 knows no such flag and
 * sends the text as given. v1 also reads the region only from `AWS_DEFAULT_REGION`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface AwsCli {
  /** How to call it: `aws` when it is the one on PATH, else its full path. */
  command: string;
  major: 1 | 2;
  version: string;
}

/** Parses `aws --version` output (`aws-cli/2.9.19 Python/3.11.2 …`). */
export function parseAwsCliVersion(output: string): { major: 1 | 2; version: string } | undefined {
  const match = /aws-cli\/(([12])\.[\d.]+)/.exec(output);
  return match === null ? undefined : { major: Number(match[2]) as 1 | 2, version: match[1]! };
}

/** Runs `<command> --version`; undefined when it is not there or not an AWS CLI. */
export async function probeAwsCli(command: string, env: NodeJS.ProcessEnv = process.env): Promise<AwsCli | undefined> {
  try {
    const { stdout, stderr } = await run(command, ['--version'], { env: { ...env, AWS_PAGER: '' }, timeout: 10_000 });
    const parsed = parseAwsCliVersion(`${stdout}${stderr}`);
    return parsed === undefined ? undefined : { command, ...parsed };
  } catch {
    // Not installed, not runnable or too slow: the caller offers `npm run send` instead.
    return undefined;
  }
}

/**
 * The AWS CLI that `aws` runs, and, when that is v1, a v2 at Debian's `/usr/bin/aws` if there
 * is one (the command to suggest for v2).
 */
export async function detectAwsCli(env: NodeJS.ProcessEnv = process.env): Promise<{ onPath?: AwsCli; v2?: AwsCli }> {
  const onPath = await probeAwsCli('aws', env);
  if (onPath?.major === 2) return { onPath, v2: onPath };
  const debian = await probeAwsCli('/usr/bin/aws', env);
  return { ...(onPath ? { onPath } : {}), ...(debian?.major === 2 ? { v2: debian } : {}) };
}

export interface PutRecordTarget {
  endpoint: string;
  streamName: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** The example event of the banner and the README, with the current time filled in by the shell. */
export const EXAMPLE_EVENT_SHELL = `{"event_id":"7d1b2f1e-0000-4000-8000-000000000001","event_type":"page_view","session_id":"session-123","user_id":"user-42","timestamp":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'","page_url":"https://shop.example.com/products/42?utm_source=newsletter","country":"US","device_type":"mobile"}`;

/**
 * Shell lines that put the example event with this CLI: the environment (both region
 * variables, which every version reads) and `put-record` with the flags its version needs.
 */
export function putRecordCommand(cli: Pick<AwsCli, 'command' | 'major'>, target: PutRecordTarget, data = EXAMPLE_EVENT_SHELL): string[] {
  const { accessKeyId, secretAccessKey } = target.credentials;
  return [
    `export AWS_ACCESS_KEY_ID=${accessKeyId} AWS_SECRET_ACCESS_KEY=${secretAccessKey} AWS_REGION=${target.region} AWS_DEFAULT_REGION=${target.region}`,
    `${cli.command} --endpoint-url ${target.endpoint} kinesis put-record --stream-name ${target.streamName} \\`,
    `  --partition-key session-123${cli.major === 2 ? ' --cli-binary-format raw-in-base64-out' : ''} \\`,
    `  --data '${data}'`,
  ];
}
