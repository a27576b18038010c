/**
 * `npm run replay`: re-applies discarded batches. The event source mappings write each batch they
 * give up on to the on-failure bucket (Lambda's S3 on-failure destination: the on-failure record
 * and the whole invocation record); this command invokes the owning function again with that
 * record and moves each replayed object under `replayed/`. `npm run replay -- --help` lists the
 * options.
 */
import './quiet-warnings';
import { createLambdaClient, createS3Client, resourceNames } from '@clickstream/shared';
import { choiceOption, runCommand, type CommandLine } from './cli-args';
import { manifestClientConfig, readManifest, stateDirectory } from './manifest';
import { formatTable } from './format';
import { lambdaReplayInvoke, localReplayInvoke, replayDiscardedBatches, type ReplayOptions, type ReplayReport } from './replayer';

const HELP = `Usage: npm run replay -- [options]

Replays the batches the event source mappings discarded (kept with their records in the
on-failure bucket, <project>-<environment>-on-failure), oldest first per shard, through the
function that discarded them. The services apply a redelivered record once, so replaying is safe;
each replayed batch moves under replayed/ and is not replayed again. A batch whose replay fails
stays for the next run (exit code 1).

Options:
  --target local|aws        the local stack (default; .clickstream/local.json) or AWS (default
                            credential chain, AWS_REGION; invokes the deployed functions)
  --function <name>         only batches discarded by this function, e.g. clickstream-analytics-dev-archiver
  --dry-run                 list the batches, replay nothing
  --json                    print the report as JSON
  --project <name>          with --target aws (default clickstream-analytics)
  --environment <name>      with --target aws (default dev)
  --state-dir <dir>         with --target local: where local.json is (default .clickstream)
  --help                    this text
`;

const COMMAND = {
  command: 'npm run replay',
  help: HELP,
  options: {
    target: { type: 'string' },
    function: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    project: { type: 'string' },
    environment: { type: 'string' },
    'state-dir': { type: 'string' },
  },
} as const;

async function main({ values }: CommandLine<typeof COMMAND.options>): Promise<void> {
  const targetKind = choiceOption(values.target, 'target', ['local', 'aws'] as const, 'local');
  const filters = { ...(values.function === undefined ? {} : { functionName: values.function }), dryRun: values['dry-run'] };
  const options = targetKind === 'aws' ? awsOptions(values.project, values.environment) : localOptions(values['state-dir']);
  const report = await replayDiscardedBatches({ ...options, ...filters });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : describe(report));
  if (report.failed > 0) process.exitCode = 1;
}

function localOptions(stateDir: string | undefined): Omit<ReplayOptions, 'functionName' | 'dryRun'> {
  const manifest = readManifest(stateDirectory(stateDir));
  const s3 = createS3Client(manifestClientConfig(manifest));
  const bucket = manifest.onFailureBucket ?? resourceNames(manifest.project, manifest.environment).onFailureBucket;
  return { s3, bucket, invoke: localReplayInvoke(manifest) };
}

function awsOptions(project: string | undefined, environment: string | undefined): Omit<ReplayOptions, 'functionName' | 'dryRun'> {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (region === undefined || region === '') throw new Error('--target aws needs AWS_REGION (or AWS_DEFAULT_REGION)');
  const config = { region, awsMaxAttempts: 5, endpoints: {} };
  return { s3: createS3Client(config), bucket: resourceNames(project, environment).onFailureBucket, invoke: lambdaReplayInvoke(createLambdaClient(config)) };
}

function describe(report: ReplayReport): string {
  const rows = report.batches.map((batch) => ({
    outcome: batch.outcome,
    function: batch.functionName,
    shard: batch.shardId,
    records: batch.records,
    condition: batch.condition,
    discarded_at: batch.discardedAt,
    key: batch.key,
    ...(batch.error === undefined ? {} : { error: batch.error }),
  }));
  const verb = report.dryRun ? 'would replay' : 'replayed';
  const pending = report.batches.filter((batch) => batch.outcome === 'pending').length;
  const summary = report.dryRun
    ? `${pending} discarded batches in s3://${report.bucket} ${verb}`
    : `${report.replayed} batches (${report.recordsReplayed} records) ${verb}, ${report.failed} failed, from s3://${report.bucket}`;
  return `${rows.length === 0 ? 'No discarded batches to replay.\n' : formatTable(rows)}${summary}\n`;
}

if (require.main === module) runCommand(COMMAND, main);
