/**
 * `npm start`: boots the embedded local stack (Kinesis, DynamoDB, SNS/SQS/S3 emulators on
 * 127.0.0.1), provisions the pipeline's resources and runs the services behind Lambda-like event
 * source mappings. `npm start -- --help` lists the options.
 */
import './quiet-warnings';
import { parseArgs } from 'node:util';
import { createKinesisClient, LOG_LEVELS, type LogLevel } from '@clickstream/shared';
import { DEFAULT_COLLECTOR_PORT } from './collector';
import { DEFAULT_DASHBOARD_PORT } from './dashboard/server';
import { DemoTraffic } from './demo';
import { manifestClientConfig } from './manifest';
import { DEFAULT_PORTS, startLocalStack, type LocalStack } from './stack';

const HELP = `Usage: npm start -- [options]

  --demo                 also send realistic synthetic traffic
  --demo-rate <n>        demo events per second (default 20)
  --data-dir <dir>       keep streams, tables, checkpoints and the S3 buckets on disk (default: in memory)
  --shards <n>           shards of the stream (default 2)
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
  if (!Number.isInteger(value) || value < 0 || value > 65_535) throw new Error(`invalid port "${raw}" (${envName} or flag)`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      demo: { type: 'boolean', default: false },
      'demo-rate': { type: 'string' },
      'data-dir': { type: 'string' },
      shards: { type: 'string' },
      'kinesis-port': { type: 'string' },
      'dynamodb-port': { type: 'string' },
      'aws-port': { type: 'string' },
      'dashboard-port': { type: 'string' },
      'collector-port': { type: 'string' },
      'state-dir': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const shardCount = Number(values.shards ?? '2');
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > 100) throw new Error(`--shards must be an integer from 1 to 100, got "${values.shards}"`);
  const logLevel = (values['log-level'] ?? 'info') as LogLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const demoRate = Number(values['demo-rate'] ?? '20');
  if (!(demoRate > 0)) throw new Error(`--demo-rate must be a positive number, got "${values['demo-rate']}"`);

  const startedAt = Date.now();
  process.stdout.write('Starting the Clickstream Analytics local stack…\n');
  const stack = await startLocalStack({
    ports: {
      kinesis: port(values['kinesis-port'], 'CLICKSTREAM_KINESIS_PORT', DEFAULT_PORTS.kinesis),
      dynamodb: port(values['dynamodb-port'], 'CLICKSTREAM_DYNAMODB_PORT', DEFAULT_PORTS.dynamodb),
      aws: port(values['aws-port'], 'CLICKSTREAM_AWS_PORT', DEFAULT_PORTS.aws),
    },
    ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
    ...(values['state-dir'] === undefined ? {} : { stateDir: values['state-dir'] }),
    shardCount,
    logLevel,
    dashboardPort: port(values['dashboard-port'], 'CLICKSTREAM_DASHBOARD_PORT', DEFAULT_DASHBOARD_PORT),
    collectorPort: port(values['collector-port'], 'CLICKSTREAM_COLLECTOR_PORT', DEFAULT_COLLECTOR_PORT),
  });
  process.stdout.write(banner(stack, Date.now() - startedAt));

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
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

function banner(stack: LocalStack, readyMs: number): string {
  const m = stack.manifest;
  const example = JSON.stringify({
    event_id: '7d1b2f1e-0000-4000-8000-000000000001',
    event_type: 'page_view',
    session_id: 'session-123',
    user_id: 'user-42',
    timestamp: '<now>',
    page_url: 'https://shop.example.com/products/42?utm_source=newsletter',
    country: 'US',
    device_type: 'mobile',
  });
  const env = `AWS_ACCESS_KEY_ID=${m.credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${m.credentials.secretAccessKey} AWS_REGION=${m.region}`;
  return `
Clickstream Analytics local stack is ready (${readyMs} ms).

  Kinesis     ${m.endpoints.kinesis}   stream ${m.stream.name} (${m.stream.shards} shards)
  DynamoDB    ${m.endpoints.dynamodb}   tables ${Object.values(m.tables).join(', ')}
  S3/SNS/SQS  ${m.endpoints.s3}   bucket ${m.bucket}, topic ${m.alertsTopicArn}
  Services    ${Object.values(m.functions).join(', ')}
  Data        ${m.dataDir ?? 'in memory (use --data-dir to keep it)'}; logs in ${m.logDir}
  Resources   .clickstream/local.json (endpoints and every resource name, for scripts)
  Dashboard   ${m.dashboardUrl ?? 'off'}   live metrics, top pages, sessions, funnel, alerts
  Collector   ${m.collectorUrl ?? 'off'}   POST /v1/events; tracker ${m.trackerUrl ?? 'off'}
  Sample shop ${m.collectorUrl === null ? 'off' : `${m.collectorUrl}/demo/`}   click through a funnel and watch the dashboard

Send an event (AWS CLI v2):

  export ${env}
  aws --endpoint-url ${m.endpoints.kinesis} kinesis put-record --stream-name ${m.stream.name} \\
    --partition-key session-123 --cli-binary-format raw-in-base64-out \\
    --data '${example.replace('<now>', '\'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"\'')}'

${m.collectorUrl === null ? '' : `Or from a web page:

  <script src="${m.trackerUrl}"></script>
  <script>clickstream.init({ endpoint: '${m.collectorUrl}' }); clickstream.track('add_to_cart', { product: { id: 'sku-1', price: 49 } });</script>

  curl -s ${m.collectorUrl}/v1/events -H 'content-type: application/json' \\
    -d '[{"event_type":"page_view","session_id":"session-123","timestamp":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'","page_url":"/products/42"}]'

`}See the results:

  npm run query -- top-pages --minutes 15
  npm run query -- session session-123
  npm run query -- events --minutes 15
  aws --endpoint-url ${m.endpoints.dynamodb} dynamodb scan --table-name ${m.tables.counters}

Press Ctrl-C to stop.

`;
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

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${(error as Error).message}\n`);
  process.exit(1);
});
