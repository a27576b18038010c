/**
 * `npm start`: boots the embedded local stack (Kinesis, DynamoDB, SNS/SQS/S3 emulators on
 * 127.0.0.1), provisions the pipeline's resources and runs the services behind Lambda-like event
 * source mappings. `npm start -- --help` lists the options.
 */
import './quiet-warnings';
import path from 'node:path';
import { createKinesisClient, LOG_LEVELS, type LogLevel } from '@clickstream/shared';
import { detectAwsCli, putRecordCommand, type AwsCli } from './aws-cli';
import { displayPath, integerOption, runCommand, UsageError, type CommandLine } from './cli-args';
import { DEFAULT_COLLECTOR_PORT } from './collector';
import { DEFAULT_DASHBOARD_PORT } from './dashboard/server';
import { DemoTraffic } from './demo';
import { manifestClientConfig, MANIFEST_FILE, stateDirectory } from './manifest';
import { describeReset, resetLocalState } from './reset';
import { DEFAULT_PORTS, privacyEnvironment, startLocalStack, type LocalStack } from './stack';

const HELP = `Usage: npm start -- [options]

  --demo                 also send realistic synthetic traffic
  --demo-rate <n>        demo events per second (default 20)
  --data-dir <dir>       keep streams, tables, checkpoints and the S3 buckets on disk (default: in memory)
  --fresh                start empty: first delete --data-dir's data, local.json and the logs
  --shards <n>           shards of a new stream (default 2; a stream kept in --data-dir keeps its own)
  --kinesis-port <n>     default ${DEFAULT_PORTS.kinesis}   (env CLICKSTREAM_KINESIS_PORT)
  --dynamodb-port <n>    default ${DEFAULT_PORTS.dynamodb}   (env CLICKSTREAM_DYNAMODB_PORT)
  --aws-port <n>         SNS/SQS/S3, default ${DEFAULT_PORTS.aws} (env CLICKSTREAM_AWS_PORT)
  --dashboard-port <n>   local dashboard page, default ${DEFAULT_DASHBOARD_PORT} (env CLICKSTREAM_DASHBOARD_PORT)
  --collector-port <n>   HTTP collector, tracker and sample shop, default ${DEFAULT_COLLECTOR_PORT} (env CLICKSTREAM_COLLECTOR_PORT)
  --state-dir <dir>      where local.json and logs go (default .clickstream)
  --log-level <level>    ${LOG_LEVELS.join('|')} (default info; logs go to <state-dir>/logs)
  --help                 this text
`;

function port(flag: string | undefined, envName: string, fallback: number): number {
  const raw = flag ?? process.env[envName];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < 0 || value > 65_535) throw new UsageError(`invalid port "${raw}" (${envName} or flag): an integer from 0 to 65535`);
  return value;
}

const COMMAND = {
  command: 'npm start',
  help: HELP,
  options: {
    demo: { type: 'boolean', default: false },
    'demo-rate': { type: 'string' },
    'data-dir': { type: 'string' },
    fresh: { type: 'boolean', default: false },
    shards: { type: 'string' },
    'kinesis-port': { type: 'string' },
    'dynamodb-port': { type: 'string' },
    'aws-port': { type: 'string' },
    'dashboard-port': { type: 'string' },
    'collector-port': { type: 'string' },
    'state-dir': { type: 'string' },
    'log-level': { type: 'string' },
  },
} as const;

async function main({ values }: CommandLine<typeof COMMAND.options>): Promise<void> {
  const shardCount = values.shards === undefined ? undefined : integerOption(values.shards, 'shards', { min: 1, max: 100, fallback: 2 });
  const logLevel = (values['log-level'] ?? 'info') as LogLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${values['log-level']}"`);
  const demoRate = Number(values['demo-rate'] ?? '20');
  if (!(demoRate > 0)) throw new UsageError(`--demo-rate must be a positive number, got "${values['demo-rate']}"`);
  const stateDir = stateDirectory(values['state-dir']);
  if (values.fresh) process.stdout.write(describeReset(resetLocalState({ stateDir, dataDir: values['data-dir'] ?? null })));
  // Which AWS CLI the user has decides the put-record command the banner prints; asked while the stack starts.
  const awsCli = detectAwsCli();

  const startedAt = Date.now();
  process.stdout.write('Starting the Clickstream Analytics local stack…\n');
  const stack = await startLocalStack({
    ports: {
      kinesis: port(values['kinesis-port'], 'CLICKSTREAM_KINESIS_PORT', DEFAULT_PORTS.kinesis),
      dynamodb: port(values['dynamodb-port'], 'CLICKSTREAM_DYNAMODB_PORT', DEFAULT_PORTS.dynamodb),
      aws: port(values['aws-port'], 'CLICKSTREAM_AWS_PORT', DEFAULT_PORTS.aws),
    },
    ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
    stateDir,
    ...(shardCount === undefined ? {} : { shardCount }),
    logLevel,
    dashboardPort: port(values['dashboard-port'], 'CLICKSTREAM_DASHBOARD_PORT', DEFAULT_DASHBOARD_PORT),
    collectorPort: port(values['collector-port'], 'CLICKSTREAM_COLLECTOR_PORT', DEFAULT_COLLECTOR_PORT),
    privacyEnv: privacyEnvironment(process.env),
  });
  const readyMs = Date.now() - startedAt;
  process.stdout.write(banner(stack, readyMs, await awsCli));

  let demo: DemoTraffic | undefined;
  if (values.demo) {
    const kinesis = createKinesisClient(manifestClientConfig(stack.manifest));
    demo = new DemoTraffic(kinesis, stack.manifest.stream.name, demoRate);
    demo.start();
    process.stdout.write(`Demo traffic: about ${demoRate} events/s of shopper sessions (1% bots, 1% invalid records).\n\n`);
  }

  const status = setInterval(() => process.stdout.write(statusLine(stack, demo)), 10_000);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(status);
    demo?.stop();
    process.stdout.write(`\n${signal}: stopping the local stack…\n`);
    await stack.stop();
    process.stdout.write('Stopped.\n');
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));
  // Started by npm: if npm goes away without a signal reaching this process, stop as well.
  if (process.env.npm_lifecycle_event !== undefined) {
    const parent = process.ppid;
    setInterval(() => process.ppid !== parent && void shutdown('npm exited'), 1000).unref();
  }
}

function banner(stack: LocalStack, readyMs: number, cli: { onPath?: AwsCli; v2?: AwsCli }): string {
  const m = stack.manifest;
  const target = { endpoint: m.endpoints.kinesis, streamName: m.stream.name, region: m.region, credentials: m.credentials };
  const stateDir = path.dirname(m.logDir);
  const flags = stateDir === stateDirectory() ? '' : ` --state-dir ${displayPath(stateDir)}`;
  const run = (command: string, args = '') => `npm run ${command} --${args}${flags}`;
  return `
Clickstream Analytics local stack is ready (${readyMs} ms).

  Kinesis     ${m.endpoints.kinesis}   stream ${m.stream.name} (${m.stream.shards} shards)
  DynamoDB    ${m.endpoints.dynamodb}   tables ${Object.values(m.tables).join(', ')}
  S3/SNS/SQS  ${m.endpoints.s3}   bucket ${m.bucket}, topic ${m.alertsTopicArn}
  Services    ${Object.values(m.functions).join(', ')}
  Data        ${m.dataDir ?? 'in memory (use --data-dir to keep it)'}; logs in ${displayPath(m.logDir)} (${run('logs', ' -f')})
  Resources   ${displayPath(path.join(stateDir, MANIFEST_FILE))} (endpoints and every resource name, for scripts)
  Dashboard   ${m.dashboardUrl ?? 'off'}   live metrics, top pages, sessions, funnel, alerts
  Collector   ${m.collectorUrl ?? 'off'}   POST /v1/events; tracker ${m.trackerUrl ?? 'off'}
  Sample shop ${m.collectorUrl === null ? 'off' : `${m.collectorUrl}/demo/`}   click through a funnel and watch the dashboard

Send an event:

  ${run('send', ` '{"event_type":"page_view","session_id":"session-123","page_url":"/products/42"}'`)}

${m.collectorUrl === null ? '' : `Or from a web page:

  <script src="${m.trackerUrl}"></script>
  <script>clickstream.init({ endpoint: '${m.collectorUrl}' }); clickstream.track('add_to_cart', { product: { id: 'sku-1', price: 49 } });</script>

  curl -s ${m.collectorUrl}/v1/events -H 'content-type: application/json' \\
    -d '[{"event_type":"page_view","session_id":"session-123","timestamp":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'","page_url":"/products/42"}]'

`}${cliSection(cli, target)}
See the results:

  ${run('query', ' top-pages --minutes 15')}
  ${run('query', ' session session-123')}
  ${run('query', ' events --minutes 15')}

Press Ctrl-C to stop.

`;
}

/** The put-record command for the AWS CLI the user has: v2's flags, v1's raw form, or how to get one. */
function cliSection(cli: { onPath?: AwsCli; v2?: AwsCli }, target: Parameters<typeof putRecordCommand>[1]): string {
  const indent = (lines: string[]) => lines.map((line) => `  ${line}`).join('\n');
  if (cli.onPath?.major === 2) return `With the AWS CLI v2 (aws-cli/${cli.onPath.version}):\n\n${indent(putRecordCommand(cli.onPath, target))}\n`;
  if (cli.onPath?.major === 1) {
    const v2 = cli.v2 === undefined ? '' : `\nOr with the AWS CLI v2 at ${cli.v2.command}:\n\n${indent(putRecordCommand(cli.v2, target))}\n`;
    return `With the AWS CLI v1 on PATH (aws-cli/${cli.onPath.version}: it sends --data as given, and reads the region from AWS_DEFAULT_REGION):\n\n${indent(putRecordCommand(cli.onPath, target))}\n${v2}`;
  }
  if (cli.v2 !== undefined) return `With the AWS CLI v2 at ${cli.v2.command}:\n\n${indent(putRecordCommand(cli.v2, target))}\n`;
  return 'No AWS CLI found on PATH (for the AWS CLI v2 on Debian/Ubuntu: sudo apt-get install awscli); npm run send needs none.\n';
}

function statusLine(stack: LocalStack, demo: DemoTraffic | undefined): string {
  const parts: string[] = [];
  for (const [service, mapping] of stack.mappings) {
    const { recordsDelivered, functionErrors, recordsDiscarded, batchesDiscarded } = mapping.stats;
    const discarded = recordsDiscarded === 0 ? '0 discarded' : `${recordsDiscarded} discarded in ${batchesDiscarded} batches (npm run replay)`;
    parts.push(`${service}: ${recordsDelivered} records, ${functionErrors} errors, ${discarded}, ${mapping.millisBehindLatest()} ms behind`);
  }
  // Every service sees every invalid record; the archiver's count is the one of records quarantined.
  const invalid = stack.telemetry.sum('Clickstream', 'QuarantinedRecords', { Service: 'archiver' });
  const demoPart = demo ? ` | demo sent ${demo.sent}${demo.failed ? `, ${demo.failed} failed` : ''}` : '';
  return `[${new Date().toISOString().slice(11, 19)}] ${parts.join(' | ')} | quarantined ${invalid}${demoPart}\n`;
}

runCommand(COMMAND, main);
