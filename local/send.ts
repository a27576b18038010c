/**
 * `npm run send -- '<json>'` (or `--file events.ndjson`): puts events into the local stack's
 * stream with the SDK (PutRecords, partition key = `session_id`), no AWS CLI needed. Each event
 * is first judged by the event contract the services apply, so the output says which events
 * the pipeline will count and which it will quarantine, and why. `npm run send -- --help`.
 */
import './quiet-warnings';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createKinesisClient, decodeEvent, loadConfig, putRecords, validationLimits, type ValidationLimits } from '@clickstream/shared';
import { runCommand, UsageError, type CommandLine } from './cli-args';
import { formatTable } from './format';
import { manifestClientConfig, readManifest, stateDirectory } from './manifest';

const HELP = `Usage: npm run send -- '<json>' ['<json>' …] [options]
       npm run send -- --file events.ndjson      (one JSON event per line; --file - reads stdin)

Puts events into the running local stack's stream (PutRecords; partition key: each event's
session_id). An event without a timestamp gets the current time. Each event is checked against
the event contract first and reported as accepted or with the reason the pipeline will
quarantine it (it is still sent: bad input is kept, never dropped).

Options:
  --file <path>             newline-delimited JSON events; - for stdin
  --partition-key <key>     one partition key for every event (default: its session_id)
  --valid-only              send only the events the contract accepts
  --dry-run                 check the events, send nothing
  --json                    print the result as JSON
  --state-dir <dir>         where local.json is (default .clickstream)
  --help                    this text

Example:
  npm run send -- '{"event_type":"page_view","session_id":"s-1","page_url":"/products/42"}'
`;

const COMMAND = {
  command: 'npm run send',
  help: HELP,
  allowPositionals: true,
  options: {
    file: { type: 'string' },
    'partition-key': { type: 'string' },
    'valid-only': { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'state-dir': { type: 'string' },
  },
} as const;

/** One event to send, as prepared from the command line. */
export interface PreparedEvent {
  /** Where it came from: `argument 1`, `line 3`. */
  source: string;
  data: string;
  partitionKey: string;
  /** `accepted`, `opted_out` (dropped by the consumers, stored nowhere), or the rejection reason. */
  verdict: 'accepted' | 'opted_out' | string;
  detail?: string;
  eventType?: string;
  sessionId?: string;
  /** True when the timestamp was filled in with the current time. */
  timestampAdded: boolean;
}

/**
 * Prepares raw texts for sending: fills a missing `timestamp`, picks the partition key and
 * judges each event with the services' own decoder (same limits, arrival time = now).
 */
export function prepareEvents(texts: ReadonlyArray<{ source: string; text: string }>, options: { nowMs: number; partitionKey?: string; limits?: ValidationLimits }): PreparedEvent[] {
  const limits = options.limits ?? validationLimits(loadConfig({}));
  return texts.map(({ source, text }, index) => {
    let data = text;
    let timestampAdded = false;
    let parsed: Record<string, unknown> | undefined;
    try {
      const value: unknown = JSON.parse(text);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) parsed = value as Record<string, unknown>;
    } catch {
      // Not JSON: sent as it is, and the decoder below says why it will be quarantined.
      parsed = undefined;
    }
    if (parsed !== undefined && parsed.timestamp === undefined) {
      parsed = { ...parsed, timestamp: new Date(options.nowMs).toISOString() };
      data = JSON.stringify(parsed);
      timestampAdded = true;
    }
    const sessionId = parsed?.session_id ?? parsed?.sessionId;
    const partitionKey = options.partitionKey ?? (typeof sessionId === 'string' && sessionId !== '' ? sessionId : `send-${randomUUID()}`);
    const verdict = decodeEvent(Buffer.from(data), { shardId: 'shardId-local', sequenceNumber: String(index) }, { nowMs: options.nowMs, ...limits });
    const eventType = parsed?.event_type ?? parsed?.eventName;
    return {
      source,
      data,
      partitionKey,
      verdict: verdict.ok ? 'accepted' : 'optedOut' in verdict ? 'opted_out' : verdict.reason,
      ...(verdict.ok ? {} : { detail: verdict.message }),
      ...(typeof eventType === 'string' ? { eventType } : {}),
      ...(typeof sessionId === 'string' ? { sessionId } : {}),
      timestampAdded,
    };
  });
}

/** The texts to send: the positional arguments, or the lines of `--file` (blank lines skipped). */
export function readInputs(positionals: readonly string[], file: string | undefined): Array<{ source: string; text: string }> {
  if (file !== undefined && positionals.length > 0) throw new UsageError('give events as arguments or with --file, not both');
  if (file === undefined) {
    if (positionals.length === 0) throw new UsageError(`no events: npm run send -- '{"event_type":"page_view","session_id":"s-1","page_url":"/"}'`);
    return positionals.map((text, index) => ({ source: `argument ${index + 1}`, text }));
  }
  let content: string;
  try {
    content = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --file ${file}: ${(error as Error).message}`);
  }
  const inputs = content.split('\n').flatMap((line, index) => (line.trim() === '' ? [] : [{ source: `line ${index + 1}`, text: line.replace(/\r$/, '') }]));
  if (inputs.length === 0) throw new UsageError(`--file ${file} holds no events`);
  return inputs;
}

async function main({ values, positionals }: CommandLine<typeof COMMAND.options>): Promise<number> {
  const inputs = readInputs(positionals, values.file);
  const prepared = prepareEvents(inputs, { nowMs: Date.now(), ...(values['partition-key'] === undefined ? {} : { partitionKey: values['partition-key'] }) });
  const toSend = values['valid-only'] ? prepared.filter((event) => event.verdict === 'accepted') : prepared;
  const manifest = values['dry-run'] ? undefined : readManifest(stateDirectory(values['state-dir']));
  let failed = new Set<number>();
  if (manifest !== undefined && toSend.length > 0) {
    const kinesis = createKinesisClient(manifestClientConfig(manifest));
    try {
      const result = await putRecords(kinesis, manifest.stream.name, toSend.map((event) => ({ partitionKey: event.partitionKey, data: event.data })));
      failed = new Set(result.failedIndexes ?? []);
    } finally {
      kinesis.destroy();
    }
  }
  const sentSet = new Set(manifest === undefined ? [] : toSend.filter((_, index) => !failed.has(index)));
  const rows = prepared.map((event) => ({
    event: event.source,
    event_type: event.eventType ?? '',
    session_id: event.sessionId ?? '',
    sent: sentSet.has(event) ? 'yes' : manifest === undefined ? 'dry run' : toSend.includes(event) ? 'FAILED' : 'no (--valid-only)',
    verdict:
      event.verdict === 'accepted'
        ? `accepted${event.timestampAdded ? ' (timestamp set to now)' : ''}`
        : event.verdict === 'opted_out'
          ? 'opted out: will not be collected'
          : `will be quarantined: ${event.verdict} (${event.detail})`,
  }));
  const quarantined = prepared.filter((event) => event.verdict !== 'accepted' && event.verdict !== 'opted_out' && sentSet.has(event)).length;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ stream: manifest?.stream.name ?? null, sent: sentSet.size, failed: failed.size, willBeQuarantined: quarantined, events: prepared.map((event, index) => ({ ...rows[index], data: event.data })) }, null, 2)}\n`);
  } else {
    process.stdout.write(formatTable(rows));
    if (manifest !== undefined) {
      process.stdout.write(
        `${sentSet.size} of ${prepared.length} events sent to ${manifest.stream.name}${quarantined > 0 ? ` (${quarantined} will be quarantined)` : ''}${failed.size > 0 ? `; ${failed.size} failed` : ''}.\n` +
          `See them: npm run query -- events --minutes 5${prepared[0]?.sessionId ? `   npm run query -- session ${prepared[0].sessionId}` : ''}\n`,
      );
    }
  }
  return failed.size > 0 ? 1 : 0;
}

if (require.main === module) runCommand(COMMAND, main);
