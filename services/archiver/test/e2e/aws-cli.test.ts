import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { awsCli, findAwsCliV2, startTestStack } from '../../../../local/testing';
import { hourPartition } from '../../src/contract';
import type { ArchiveLine, QuarantineLine } from '../../src/contract';

const run = promisify(execFile);

/**
 * End to end on the local stack, with the real AWS CLI v2 only: put-record into Kinesis, the
 * archiver behind its event source mapping, `s3 ls` and `s3 cp … - | zcat` to read it back.
 */
// Each AWS CLI call starts a Python process (about half a second here).
jest.setTimeout(30_000);

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;

beforeAll(async () => {
  stack = await startTestStack({ services: ['archiver'], settings: { archiver: { maximumBatchingWindowInSeconds: 0 } } });
});

afterAll(async () => {
  await stack?.stop();
});

/** `aws s3 cp s3://bucket/key - | zcat`, through a shell, as a user would type it. */
async function s3CatGzip(key: string): Promise<string> {
  const cli = await findAwsCliV2();
  const { stdout } = await run('bash', ['-c', `set -o pipefail; "$AWS_CLI" --endpoint-url "$S3_ENDPOINT" s3 cp "s3://$BUCKET/$KEY" - | zcat`], {
    env: {
      ...process.env,
      AWS_CLI: cli,
      S3_ENDPOINT: stack.manifest.endpoints.s3,
      BUCKET: stack.manifest.bucket,
      KEY: key,
      AWS_ACCESS_KEY_ID: stack.manifest.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: stack.manifest.credentials.secretAccessKey,
      AWS_DEFAULT_REGION: stack.manifest.region,
      AWS_PAGER: '',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

async function putRecord(data: string, partitionKey: string): Promise<void> {
  await awsCli(
    stack,
    ['kinesis', 'put-record', '--stream-name', stack.manifest.stream.name, '--partition-key', partitionKey, '--data', data, '--cli-binary-format', 'raw-in-base64-out'],
    stack.manifest.endpoints.kinesis,
  );
}

it('archives events put with the aws CLI under their event hour, readable with aws s3 cp | zcat', async () => {
  const now = Date.now();
  const threeHoursAgo = now - 3 * 3_600_000;
  const events = [
    { event_id: 'cli-now', event_type: 'page_view', session_id: 'cli-session-1', timestamp: new Date(now).toISOString(), page_url: 'https://shop.example.com/p/1?x=2' },
    { event_id: 'cli-late', event_type: 'purchase', session_id: 'cli-session-2', timestamp: new Date(threeHoursAgo).toISOString(), value: 19.99 },
  ];
  for (const event of events) await putRecord(JSON.stringify(event), event.session_id);
  await putRecord('{"event_type": "click", "session_id": ', 'cli-session-3');
  await stack.waitForIdle();

  const listing = await awsCli(stack, ['s3', 'ls', `s3://${stack.manifest.bucket}/`, '--recursive'], stack.manifest.endpoints.s3);
  const keys = listing
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).pop()!);
  const nowKeys = keys.filter((key) => key.startsWith(`events/${hourPartition(now)}/`));
  const lateKeys = keys.filter((key) => key.startsWith(`events/${hourPartition(threeHoursAgo)}/`));
  const quarantineKeys = keys.filter((key) => key.startsWith('quarantine/'));
  expect(nowKeys.length).toBeGreaterThanOrEqual(1);
  expect(lateKeys).toHaveLength(1);
  expect(quarantineKeys).toHaveLength(1);

  const parse = <T>(text: string) => text.trimEnd().split('\n').map((line) => JSON.parse(line) as T);
  const nowLines = (await Promise.all(nowKeys.map(s3CatGzip))).flatMap((text) => parse<ArchiveLine>(text));
  expect(nowLines.filter((line) => line.event_id === 'cli-now')).toEqual([
    expect.objectContaining({ event_type: 'page_view', page_path: '/p/1', shard_id: expect.stringMatching(/^shardId-/), sequence_number: expect.stringMatching(/^\d+$/) }),
  ]);
  expect(parse<ArchiveLine>(await s3CatGzip(lateKeys[0]!))).toEqual([expect.objectContaining({ event_id: 'cli-late', value: 19.99, event_time: new Date(threeHoursAgo).toISOString() })]);
  const [bad] = parse<QuarantineLine>(await s3CatGzip(quarantineKeys[0]!));
  expect(Buffer.from(bad!.raw_base64, 'base64').toString()).toBe('{"event_type": "click", "session_id": ');
  expect(bad).toMatchObject({ reason: 'invalid_json', partition_key: 'cli-session-3' });
  expect(stack.telemetry.sum('Clickstream', 'QuarantinedRecords', { Service: 'archiver', Reason: 'invalid_json' })).toBe(1);
  expect(stack.telemetry.sum('Clickstream', 'ArchivedEvents', { Service: 'archiver' })).toBe(2);
});
