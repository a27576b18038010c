/**
 * `npm run compact -- --hour YYYY-MM-DDTHH`: compacts one event hour of the running local stack
 * now, with the compactor's own handler (the one its EventBridge schedule invokes on AWS);
 * `--due` runs what the schedule runs (every closed hour of the lookback window that changed).
 */
import './quiet-warnings';
import type { Context } from 'aws-lambda';
import { createLogger, parseHourLabel } from '@clickstream/shared';
import { formatTable } from './format';
import { manifestCompactor } from './lake-schedule';
import { integerOption, runCommand, UsageError, type CommandLine } from './cli-args';
import { readManifest, stateDirectory } from './manifest';

const HELP = `Usage: npm run compact -- --hour YYYY-MM-DDTHH [--json]
       npm run compact -- --due [--lookback-hours N] [--json]

  --hour <hour>          the UTC event hour to compact, e.g. 2026-11-22T14 (closed or not)
  --due                  every closed hour of the lookback window whose raw objects changed
  --lookback-hours <n>   with --due (default: COMPACTOR_LOOKBACK_HOURS, 3)
  --json                 print the result as JSON
  --state-dir <dir>      the local stack's state directory (default .clickstream)

On AWS, the scheduled function does this: aws lambda invoke --function-name <project>-<env>-compactor \\
  --cli-binary-format raw-in-base64-out --payload '{"hour":"2026-11-22T14"}' /dev/stdout
`;

const COMMAND = {
  command: 'npm run compact',
  help: HELP,
  options: {
    hour: { type: 'string' },
    due: { type: 'boolean', default: false },
    'lookback-hours': { type: 'string' },
    json: { type: 'boolean', default: false },
    'state-dir': { type: 'string' },
  },
} as const;

async function main({ values }: CommandLine<typeof COMMAND.options>): Promise<void> {
  if (values.hour === undefined && !values.due) throw new UsageError('which hour? --hour YYYY-MM-DDTHH, or --due');
  if (values.hour !== undefined) parseHourLabel(values.hour);
  const lookbackHours = values['lookback-hours'] === undefined ? undefined : integerOption(values['lookback-hours'], 'lookback-hours', { min: 1, fallback: 1 });
  const manifest = readManifest(stateDirectory(values['state-dir']));
  const handler = manifestCompactor(manifest, createLogger({ service: 'compactor', level: 'warn', destination: process.stderr }));
  const result = await handler(values.hour !== undefined ? { hour: values.hour } : { ...(lookbackHours === undefined ? {} : { lookbackHours }) }, { awsRequestId: 'npm-run-compact' } as Context);
  if (values.json) process.stdout.write(`${JSON.stringify(result.hours, null, 2)}\n`);
  else process.stdout.write(result.hours.length === 0 ? 'no closed hour in the lookback window\n' : formatTable(result.hours as unknown as Array<Record<string, unknown>>));
}

runCommand(COMMAND, main);
