/**
 * `npm run query -- <question>`: the common questions, answered from DynamoDB — the local stack
 * by default (endpoints from .clickstream/local.json), AWS with `--target aws` and the usual
 * credential chain. `npm run query -- --help` lists them.
 */
import './quiet-warnings';
import path from 'node:path';
import { createDynamoDbClient, createS3Client, NAMED_QUERIES, resourceNames } from '@clickstream/shared';
import { listRecentAlerts } from '../services/anomaly-detector/src/contract';
import { eventsPerMinute, readSession, topPages, type TablesReader } from '../services/event-processor/src/contract';
import { integerOption, runCommand, UsageError, type CommandLine } from './cli-args';
import { formatTable } from './format';
import { LakeSession, syncLake } from './lake';
import { manifestClientConfig, readManifest, stateDirectory } from './manifest';

/** The tables of the running local stack (endpoints from its local.json). */
export function localReader(stateDir = stateDirectory()): TablesReader {
  const manifest = readManifest(stateDir);
  return { client: createDynamoDbClient(manifestClientConfig(manifest)), tables: manifest.tables };
}

/** The deployed tables of a project and environment (default credential chain and region). */
export function awsReader(project?: string, environment?: string): TablesReader {
  return { client: createDynamoDbClient({}), tables: resourceNames(project, environment).tables };
}

const HELP = `Usage: npm run query -- <question> [options]

Questions:
  top-pages                 most viewed pages over the last N minutes (no scan: one query per minute)
  session <session_id>      one session's metrics
  events                    events per minute by type over the last N minutes
  alerts                    anomaly alerts raised over the last N minutes (alert history, newest first)
  sql "<SQL>"               SQL over the lake with DuckDB: tables raw_events, events (curated), quarantine
  named [<name>]            run one of the named queries Athena has too (without a name: list them)

Options:
  --minutes <n>             window to look back over (default 15)
  --limit <n>               rows for top-pages (default 10)
  --json                    print JSON instead of a table (sql, named: an array of row objects)
  --target local|aws        local stack (default) or AWS (default credential chain, AWS_REGION)
  --project <name>          with --target aws (default clickstream-analytics)
  --environment <name>      with --target aws (default dev)
  --state-dir <dir>         with --target local: where local.json is (default .clickstream)
  --help                    this text
`;

const COMMAND = {
  command: 'npm run query',
  help: HELP,
  allowPositionals: true,
  options: {
    minutes: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean', default: false },
    target: { type: 'string', default: 'local' },
    project: { type: 'string' },
    environment: { type: 'string' },
    'state-dir': { type: 'string' },
  },
} as const;

async function main({ values, positionals }: CommandLine<typeof COMMAND.options>): Promise<void> {
  const [question, argument] = positionals;
  if (question === 'sql' || question === 'named') {
    await lakeQuestion(question, argument, values.json, stateDirectory(values['state-dir']));
    return;
  }
  if (question === undefined) throw new UsageError('which question? top-pages, session <id>, events, alerts, sql "<SQL>" or named');
  const minutes = integerOption(values.minutes, 'minutes', { min: 1, max: 1440, fallback: 15 });
  const limit = integerOption(values.limit, 'limit', { min: 1, fallback: 10 });
  if (values.target !== 'local' && values.target !== 'aws') throw new UsageError(`--target must be local or aws, got "${values.target}"`);
  const target = values.target === 'aws' ? awsReader(values.project, values.environment) : localReader(stateDirectory(values['state-dir']));
  const print = (rows: Array<Record<string, unknown>>) => process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : formatTable(rows));

  switch (question) {
    case 'top-pages':
      print(await topPages(target, minutes, limit) as unknown as Array<Record<string, unknown>>);
      return;
    case 'session': {
      if (argument === undefined) throw new UsageError('session needs a session id: npm run query -- session <session_id>');
      const item = await readSession(target, argument);
      if (item === undefined) {
        process.stderr.write(`session ${argument} not found\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(values.json ? `${JSON.stringify(item, null, 2)}\n` : formatTable(Object.entries(item).map(([field, value]) => ({ field, value }))));
      return;
    }
    case 'events':
      print(await eventsPerMinute(target, minutes));
      return;
    case 'alerts': {
      const alerts = await listRecentAlerts(target.client, target.tables.alerts, { limit, sinceMs: Date.now() - minutes * 60_000 });
      if (values.json) {
        process.stdout.write(`${JSON.stringify(alerts, null, 2)}\n`);
        return;
      }
      print(alerts.map((alert) => ({ incident_at: alert.incident_at, rule: alert.rule, severity: alert.severity, subject: alert.subject_key, observed: alert.observed, threshold: alert.threshold, delivery: alert.delivery })));
      return;
    }
    default:
      throw new UsageError(`unknown question "${question}"`);
  }
}

/**
 * `sql` and `named`: DuckDB over the local stack's lake (objects mirrored into
 * `<state dir>/lake-cache`), with the tables and named queries of the Athena catalog.
 */
async function lakeQuestion(question: 'sql' | 'named', argument: string | undefined, json: boolean, stateDir: string): Promise<void> {
  if (question === 'named' && argument === undefined) {
    process.stdout.write(formatTable(NAMED_QUERIES.map(({ name, description }) => ({ name, description }))));
    return;
  }
  const sql = question === 'sql' ? argument : NAMED_QUERIES.find((query) => query.name === argument)?.sql;
  if (sql === undefined || sql.trim() === '') {
    throw new UsageError(question === 'sql' ? 'sql needs a query: npm run query -- sql "<SQL>" [--json]' : `unknown named query "${argument}"; see npm run query -- named`);
  }
  const manifest = readManifest(stateDir);
  const { files } = await syncLake({ s3: createS3Client(manifestClientConfig(manifest)), bucket: manifest.bucket }, path.join(stateDir, 'lake-cache'));
  const session = await LakeSession.open(files);
  try {
    const rows = await session.query(sql);
    process.stdout.write(json ? `${JSON.stringify(rows, null, 2)}\n` : formatTable(rows));
  } finally {
    session.close();
  }
}

if (require.main === module) runCommand(COMMAND, main);
