/**
 * `npm run quality -- [--hour YYYY-MM-DDTHH] [--json]`: the lake's data-quality report for the
 * running local stack, per event hour (see lake-quality.ts). Exits 1 when an hour disagrees.
 */
import './quiet-warnings';
import { createDynamoDbClient, createS3Client, parseHourLabel } from '@clickstream/shared';
import { formatTable } from './format';
import { hourQuality, reportHours, type HourQuality } from './lake-quality';
import { runCommand, type CommandLine } from './cli-args';
import { manifestClientConfig, readManifest, stateDirectory } from './manifest';

const HELP = `Usage: npm run quality -- [--hour YYYY-MM-DDTHH] [--json]

Per event hour: raw lines, curated rows, accepted events in the counters table (they must equal
the curated rows), duplicates removed, malformed lines, freshness (arrival minus event time,
p50/p99/max), late events, quarantine by reason, fields the contract does not know, and the null
rate of every curated column (--json). Every hour with raw objects or curated files by default.

  --hour <hour>          one UTC event hour, e.g. 2026-11-22T14
  --json                 print the full report as JSON
  --state-dir <dir>      the local stack's state directory (default .clickstream)

Exit status 1 when an hour disagrees (not compacted, stale, or counts that differ).
`;

const COMMAND = { command: 'npm run quality', help: HELP, options: { hour: { type: 'string' }, json: { type: 'boolean', default: false }, 'state-dir': { type: 'string' } } } as const;

async function main({ values }: CommandLine<typeof COMMAND.options>): Promise<void> {
  const hourMs = values.hour === undefined ? undefined : parseHourLabel(values.hour);
  const manifest = readManifest(stateDirectory(values['state-dir']));
  const config = manifestClientConfig(manifest);
  const reader = { s3: createS3Client(config), bucket: manifest.bucket };
  const tables = { client: createDynamoDbClient(config), tables: manifest.tables };
  const report: HourQuality[] = [];
  for (const hour of await reportHours(reader, hourMs)) report.push(await hourQuality(reader, tables, hour));
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(formatTable(report.map(summaryRow)));
  if (report.some((hour) => hour.problems.length > 0)) process.exitCode = 1;
}

function summaryRow(hour: HourQuality): Record<string, unknown> {
  const nullRates = Object.entries(hour.null_rates).filter(([, rate]) => rate > 0);
  return {
    hour: hour.hour,
    raw_lines: hour.raw_lines,
    curated_rows: hour.curated_rows,
    accepted_events: hour.accepted_events,
    duplicates: hour.duplicates_removed,
    freshness_p50_ms: hour.freshness_ms?.p50,
    freshness_p99_ms: hour.freshness_ms?.p99,
    late: hour.late_events,
    quarantined: Object.values(hour.quarantine_by_reason).reduce((sum, count) => sum + count, 0),
    unknown_fields: Object.keys(hour.unknown_fields).join(',') || '-',
    most_null: nullRates.sort(([, a], [, b]) => b - a).slice(0, 2).map(([column, rate]) => `${column} ${(rate * 100).toFixed(0)}%`).join(', ') || '-',
    status: hour.problems.length === 0 ? 'ok' : hour.problems.join('; '),
  };
}

runCommand(COMMAND, main);
