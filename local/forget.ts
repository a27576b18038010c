/**
 * `npm run forget -- --user <user_id>`: forgets one user in the running local stack with the forget
 * function's own handler (the one `aws lambda invoke` runs on AWS), re-compacting affected hours
 * with the compactor's handler in-process. Prints what was removed; a second run removes nothing.
 */
import './quiet-warnings';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { createLogger, ENV, functionEnvironment, resourceNames, type Env, type Logger } from '@clickstream/shared';
import type { ForgetReport, ForgetRequest } from '../services/forget/src/contract';
import { createHandler, dependenciesFromEnv, SERVICE } from '../services/forget/src/handler';
import { runCommand, UsageError, type CommandLine } from './cli-args';
import { manifestCompactor } from './lake-schedule';
import { readManifest, stateDirectory, type LocalManifest } from './manifest';

const HELP = `Usage: npm run forget -- --user <user_id> [--from YYYY-MM-DDTHH --to YYYY-MM-DDTHH] [--dry-run] [--json]

  --user <user_id>     the user to forget: their session items, alert state and history, and their
                       events in the raw archive, the quarantine and the curated lake
  --from, --to         search only these UTC event hours (default: the whole archive)
  --dry-run            report what would be removed, remove nothing
  --json               print the report as JSON
  --state-dir <dir>    the local stack's state directory (default .clickstream)

On AWS: aws lambda invoke --function-name <project>-<env>-forget --cli-binary-format raw-in-base64-out \\
  --payload '{"user_id":"user-42"}' /dev/stdout
`;

/** The forget function's environment for a local stack (what cdktf gives its Lambda, plus endpoints). */
export function localForgetEnv(manifest: LocalManifest): Env {
  const names = { ...resourceNames(manifest.project, manifest.environment), tables: manifest.tables, archiveBucket: manifest.bucket };
  return {
    ...functionEnvironment({ service: SERVICE, project: manifest.project, environment: manifest.environment, names }),
    [ENV.region]: manifest.region,
    [ENV.accessKeyId]: manifest.credentials.accessKeyId,
    [ENV.secretAccessKey]: manifest.credentials.secretAccessKey,
    [ENV.endpointS3]: manifest.endpoints.s3,
    [ENV.endpointDynamoDb]: manifest.endpoints.dynamodb,
  };
}

/** Forgets a user in a running local stack; what `npm run forget` and the tests run. */
export async function forgetLocally(manifest: LocalManifest, request: ForgetRequest, logger: Logger): Promise<ForgetReport> {
  const compactor = manifestCompactor(manifest, logger);
  const handler = createHandler(
    dependenciesFromEnv(localForgetEnv(manifest), {
      logger,
      emfWriter: () => undefined,
      recompact: async (hour) => (await compactor({ hour }, { awsRequestId: `forget-compact-${hour}` } as Context)).hours[0] ?? {},
    }),
  );
  return handler(request, { awsRequestId: randomUUID() } as Context);
}

const COMMAND = {
  command: 'npm run forget',
  help: HELP,
  options: {
    user: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'state-dir': { type: 'string' },
  },
} as const;

async function main({ values }: CommandLine<typeof COMMAND.options>): Promise<void> {
  if (values.user === undefined || values.user.trim() === '') throw new UsageError('whose data? --user <user_id>');
  const stateDir = stateDirectory(values['state-dir']);
  const manifest = readManifest(stateDir);
  const request: ForgetRequest = { user_id: values.user, ...(values.from === undefined ? {} : { from: values.from }), ...(values.to === undefined ? {} : { to: values.to }), ...(values['dry-run'] ? { dry_run: true } : {}) };
  const report = await forgetLocally(manifest, request, createLogger({ service: SERVICE, level: 'warn', destination: process.stderr }));
  // `npm run query -- sql` mirrors the bucket here; the mirror of a rewritten object must not outlive it.
  if (!report.dry_run) rmSync(path.join(stateDir, 'lake-cache'), { recursive: true, force: true });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const verb = report.dry_run ? 'would remove' : 'removed';
  process.stdout.write(
    [
      `${report.dry_run ? 'dry run: ' : ''}user ${values.user} (sha256 ${report.user_id_sha256.slice(0, 16)}…), ${report.sessions} session(s)`,
      `  raw archive:  ${verb} ${report.raw.events_removed} event line(s), ${report.raw.objects_rewritten} of ${report.raw.objects_read} object(s) rewritten`,
      `  quarantine:   ${verb} ${report.quarantine.records_removed} record(s), ${report.quarantine.objects_rewritten} of ${report.quarantine.objects_read} object(s) rewritten`,
      `  curated lake: ${report.curated_hours.length === 0 ? 'no hour' : `re-compacted ${report.curated_hours.join(', ')}`}`,
      `  tables:       ${verb} ${report.session_items_deleted} session item(s), ${report.alert_items_deleted} alert item(s)`,
      ...(report.audit_key === undefined ? [] : [`  audit record: s3://${manifest.bucket}/${report.audit_key}`]),
      '',
    ].join('\n'),
  );
}

if (require.main === module) runCommand(COMMAND, main);
