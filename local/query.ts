/**
 * `npm run query -- <question>`: the common questions, answered from DynamoDB — the local stack
 * by default (endpoints from .clickstream/local.json), AWS with `--target aws` and the usual
 * credential chain. `npm run query -- --help` lists them.
 */
import './quiet-warnings';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDynamoDbClient, createS3Client, NAMED_QUERIES, resourceNames } from '@clickstream/shared';
import { listRecentAlerts } from '../services/anomaly-detector/src/contract';
import { eventsPerMinute, readSession, topPages, type TablesReader } from '../services/event-processor/src/contract';
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
`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      minutes: { type: 'string', default: '15' },
      limit: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
      target: { type: 'string', default: 'local' },
      project: { type: 'string' },
      environment: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const [question, argument] = positionals;
  if (question === 'sql' || question === 'named') {
    await lakeQuestion(question, argument, values.json);
    return;
  }
  if (values.help || question === undefined) {
    process.stdout.write(HELP);
    if (question === undefined && !values.help) process.exitCode = 2;
    return;
  }
  const minutes = Number(values.minutes);
  const limit = Number(values.limit);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) throw new Error(`--minutes must be an integer from 1 to 1440, got "${values.minutes}"`);
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit must be a positive integer, got "${values.limit}"`);
  if (values.target !== 'local' && values.target !== 'aws') throw new Error(`--target must be local or aws, got "${values.target}"`);
  const target = values.target === 'aws' ? awsReader(values.project, values.environment) : localReader();
  const print = (rows: Array<Record<string, unknown>>) => process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : formatTable(rows));

  switch (question) {
    case 'top-pages':
      print(await topPages(target, minutes, limit) as unknown as Array<Record<string, unknown>>);
      return;
    case 'session': {
      if (argument === undefined) throw new Error('usage: npm run query -- session <session_id>');
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
      throw new Error(`unknown question "${question}"; see npm run query -- --help`);
  }
}

/**
 * `sql` and `named`: DuckDB over the local stack's lake (objects mirrored into
 * `<state dir>/lake-cache`), with the tables and named queries of the Athena catalog.
 */
async function lakeQuestion(question: 'sql' | 'named', argument: string | undefined, json: boolean): Promise<void> {
  if (question === 'named' && argument === undefined) {
    process.stdout.write(formatTable(NAMED_QUERIES.map(({ name, description }) => ({ name, description }))));
    return;
  }
  const sql = question === 'sql' ? argument : NAMED_QUERIES.find((query) => query.name === argument)?.sql;
  if (sql === undefined || sql.trim() === '') {
    throw new Error(question === 'sql' ? 'usage: npm run query -- sql "<SQL>" [--json]' : `unknown named query "${argument}"; see npm run query -- named`);
  }
  const stateDir = stateDirectory();
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

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`query failed: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
