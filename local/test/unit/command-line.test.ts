import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAwsCliVersion, putRecordCommand } from '../../aws-cli';
import { integerOption, joinNegativeValues, optionsTakenByNpm, parseCommandLine, UsageError } from '../../cli-args';
import { claimDataDirectory, clearDataDirectory, isDataDirectory } from '../../data-dir';
import { explainUnreachable, readManifest, StackNotRunningError, writeManifest, type LocalManifest } from '../../manifest';
import { prepareEvents } from '../../send';

const spec = {
  command: 'npm run query',
  help: 'usage',
  allowPositionals: true,
  options: { minutes: { type: 'string' }, json: { type: 'boolean', default: false }, 'state-dir': { type: 'string' } },
} as const;

describe('command lines', () => {
  it('reads a negative number as a value, so the command can say what range it takes', () => {
    const { values } = parseCommandLine(spec, ['events', '--minutes', '-5'], {});
    expect(values.minutes).toBe('-5');
    expect(() => integerOption(values.minutes, 'minutes', { min: 1, max: 1440, fallback: 15 })).toThrow(new UsageError('--minutes must be an integer from 1 to 1440, got "-5"'));
    expect(joinNegativeValues(['--json', '-5'], spec.options)).toEqual(['--json', '-5']);
  });

  it('names an unknown option, a missing value and --help', () => {
    expect(() => parseCommandLine(spec, ['--minuts', '5'], {})).toThrow(new UsageError('unknown option --minuts'));
    expect(() => parseCommandLine(spec, ['--minutes'], {})).toThrow(new UsageError('--minutes needs a value'));
    expect(parseCommandLine(spec, ['-h'], {}).values.help).toBe(true);
  });

  it('detects options npm took for itself (written before --) and says where they go', () => {
    const npmEnv = { npm_lifecycle_event: 'query', npm_config_json: 'true', npm_config_yes: '' };
    expect(optionsTakenByNpm(spec, ['events'], npmEnv)).toEqual(['json']);
    expect(optionsTakenByNpm(spec, ['events', '--json'], npmEnv)).toEqual([]);
    expect(optionsTakenByNpm(spec, ['events'], { npm_config_json: 'true' })).toEqual([]);
    expect(() => parseCommandLine(spec, ['events'], npmEnv)).toThrow('npm took --json for itself, so npm run query never saw it: put the command\'s options after `--`, as in `npm run query -- --json`');
  });
});

describe('the not-running message', () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'clickstream-manifest-'));
  const manifest = { pid: process.pid, startedAt: '2026-12-01T10:00:00.000Z', endpoints: { kinesis: 'http://127.0.0.1:1', dynamodb: '', s3: '', sns: '', sqs: '' } } as unknown as LocalManifest;

  it('says how to start the stack when there is no local.json, when it is marked stopped and when its process is gone', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'clickstream-none-'));
    expect(() => readManifest(empty)).toThrow(StackNotRunningError);
    expect(() => readManifest(empty)).toThrow(`the local stack is not running — start it with \`npm start -- --state-dir ${empty}\` (no ${empty}/local.json)`);
    writeManifest(stateDir, { ...manifest, status: 'stopped', stoppedAt: '2026-12-01T11:00:00.000Z' });
    expect(() => readManifest(stateDir)).toThrow('(it stopped at 2026-12-01T11:00:00.000Z)');
    writeManifest(stateDir, { ...manifest, pid: 2 ** 22 + 1 });
    expect(() => readManifest(stateDir)).toThrow(`(its process ${2 ** 22 + 1} is gone)`);
    writeManifest(stateDir, manifest);
    expect(readManifest(stateDir).status).toBe('running');
  });

  it('turns a refused connection into the same message', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4568'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 4568 });
    const explained = explainUnreachable(refused, stateDir) as Error;
    expect(explained).toBeInstanceOf(StackNotRunningError);
    expect(explained.message).toContain('(nothing answers at 127.0.0.1:4568)');
    const other = new Error('throttled');
    expect(explainUnreachable(other, stateDir)).toBe(other);
  });
});

describe('the data directory', () => {
  it('is claimed when new or the stack\'s, refused when it holds other files, and only a claimed one is emptied', () => {
    const base = mkdtempSync(path.join(tmpdir(), 'clickstream-data-'));
    const mine = path.join(base, 'mine');
    claimDataDirectory(mine);
    mkdirSync(path.join(mine, 'kinesis'));
    writeFileSync(path.join(mine, 'checkpoints.json'), '{}');
    expect(isDataDirectory(mine)).toBe(true);
    expect(clearDataDirectory(mine).map((file) => path.basename(file)).sort()).toEqual(['checkpoints.json', 'kinesis']);

    const theirs = path.join(base, 'theirs');
    mkdirSync(theirs);
    writeFileSync(path.join(theirs, 'thesis.tex'), '');
    expect(() => claimDataDirectory(theirs)).toThrow(`--data-dir ${theirs} holds files that are not the local stack's (thesis.tex): use a new or empty directory`);
    expect(() => clearDataDirectory(theirs)).toThrow('is not a local stack data directory');
  });
});

describe('the AWS CLI', () => {
  it.each([
    ['aws-cli/2.9.19 Python/3.11.2 Linux/6.1 source/x86_64.debian.12 prompt/off', { major: 2, version: '2.9.19' }],
    ['aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11', { major: 1, version: '1.45.11' }],
    ['command not found', undefined],
  ])('%s', (output, expected) => expect(parseAwsCliVersion(output)).toEqual(expected));

  it('gets v2 the flag that sends --data as raw JSON, and v1 the raw form with AWS_DEFAULT_REGION', () => {
    const target = { endpoint: 'http://127.0.0.1:4567', streamName: 's', region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    const v2 = putRecordCommand({ command: 'aws', major: 2 }, target).join('\n');
    const v1 = putRecordCommand({ command: 'aws', major: 1 }, target).join('\n');
    expect(v2).toContain('--cli-binary-format raw-in-base64-out');
    expect(v1).not.toContain('--cli-binary-format');
    for (const command of [v1, v2]) expect(command).toContain('AWS_DEFAULT_REGION=us-east-1');
  });
});

describe('npm run send, preparing events', () => {
  const nowMs = Date.parse('2026-12-01T12:00:00Z');

  it('fills a missing timestamp, keys each event by session and judges it with the services\' contract', () => {
    const [good, future, broken] = prepareEvents(
      [
        { source: 'argument 1', text: '{"event_type":"page_view","session_id":"s-1","page_url":"/p/1"}' },
        { source: 'argument 2', text: '{"event_type":"click","session_id":"s-2","timestamp":"2026-12-01T13:00:00Z"}' },
        { source: 'argument 3', text: '{"event_type":' },
      ],
      { nowMs },
    );
    expect(good).toMatchObject({ verdict: 'accepted', partitionKey: 's-1', timestampAdded: true });
    expect(JSON.parse(good!.data).timestamp).toBe('2026-12-01T12:00:00.000Z');
    expect(future).toMatchObject({ verdict: 'future_timestamp', partitionKey: 's-2', timestampAdded: false });
    expect(broken).toMatchObject({ verdict: 'invalid_json', data: '{"event_type":' });
    expect(broken!.partitionKey).toMatch(/^send-/);
  });

  it('says an event carrying the opt-out will not be collected (not quarantined)', () => {
    const [optedOut] = prepareEvents([{ source: 'argument 1', text: '{"event_type":"page_view","session_id":"s-3","page_url":"/","opt_out":true}' }], { nowMs });
    expect(optedOut).toMatchObject({ verdict: 'opted_out', partitionKey: 's-3' });
  });
});
