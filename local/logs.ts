/**
 * `npm run logs -- [service] [-f]`: the local stack's function logs, readable. The files hold
 * what CloudWatch Logs would (pino JSON and EMF metric lines, `<state-dir>/logs/<service>.log`);
 * this prints one line per entry: time, level, service, message and the entry's key fields, with
 * each EMF line summarized as its metrics. `npm run logs -- --help`.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { integerOption, runCommand, UsageError, type CommandLine } from './cli-args';
import { readManifestFile, stateDirectory } from './manifest';
import { logFile } from './telemetry';

const HELP = `Usage: npm run logs -- [service] [options]

Prints the local stack's logs readably: time, level, service, message and key fields; metric
(EMF) lines are summarized. service: event-processor, anomaly-detector, archiver, collector,
compactor, kinesis, or all (default: every service, merged by time). Works while the stack runs and after it stopped.

Options:
  -f, --follow              keep printing new lines (Ctrl-C to stop)
  -n, --lines <n>           how many of the last lines to print first (default 40)
  --level <level>           only entries at this level or above: debug, info, warn, error
  --hide-metrics            leave the metric lines out
  --raw                     print the lines as stored (pino JSON and EMF)
  --state-dir <dir>         where the logs are (default .clickstream; files in <dir>/logs)
  --help                    this text
`;

const COMMAND = {
  command: 'npm run logs',
  help: HELP,
  allowPositionals: true,
  options: {
    follow: { type: 'boolean', short: 'f', default: false },
    lines: { type: 'string', short: 'n' },
    level: { type: 'string' },
    'hide-metrics': { type: 'boolean', default: false },
    raw: { type: 'boolean', default: false },
    'state-dir': { type: 'string' },
  },
} as const;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
const PINO_NUMERIC: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
/** Fields every entry has, printed in their own columns (or not at all). */
const FRAME_FIELDS = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname', 'v']);

export interface LogEntry {
  timeMs: number;
  level: string;
  service: string;
  text: string;
  raw: string;
}

export interface FormatOptions {
  hideMetrics?: boolean;
  minLevel?: string;
  raw?: boolean;
}

/** One stored line as an entry to print, or undefined when the options leave it out. */
export function parseLogLine(line: string, fileService: string, options: FormatOptions = {}): LogEntry | undefined {
  if (line.trim() === '') return undefined;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { timeMs: Number.NaN, level: 'info', service: fileService, text: line, raw: line };
  }
  const aws = parsed._aws as { Timestamp?: number; CloudWatchMetrics?: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit?: string }> }> } | undefined;
  if (aws?.CloudWatchMetrics !== undefined) {
    if (options.hideMetrics || !atLeast('info', options.minLevel)) return undefined;
    return { timeMs: aws.Timestamp ?? Number.NaN, level: 'metric', service: String(parsed.Service ?? fileService), text: summarizeMetrics(parsed, aws.CloudWatchMetrics), raw: line };
  }
  const level = typeof parsed.level === 'number' ? (PINO_NUMERIC[parsed.level] ?? String(parsed.level)) : String(parsed.level ?? 'info');
  if (!atLeast(level, options.minLevel)) return undefined;
  const timeMs = typeof parsed.time === 'number' ? parsed.time : Date.parse(String(parsed.time ?? ''));
  const fields = Object.entries(parsed)
    .filter(([key]) => !FRAME_FIELDS.has(key))
    .map(([key, value]) => `${key}=${fieldText(key, value)}`);
  return { timeMs, level, service: String(parsed.service ?? fileService), text: [String(parsed.msg ?? ''), ...fields].filter((part) => part !== '').join('  '), raw: line };
}

/** `HH:MM:SS.mmm LEVEL service  text`, in UTC like the stored times. */
export function formatEntry(entry: LogEntry, options: FormatOptions = {}): string {
  if (options.raw) return entry.raw;
  const time = Number.isNaN(entry.timeMs) ? '            ' : new Date(entry.timeMs).toISOString().slice(11, 23);
  return `${time} ${entry.level.toUpperCase().padEnd(6)} ${entry.service.padEnd(16)} ${entry.text}`;
}

function atLeast(level: string, minLevel: string | undefined): boolean {
  if (minLevel === undefined) return true;
  const index = (LEVELS as readonly string[]).indexOf(level);
  return index === -1 || index >= (LEVELS as readonly string[]).indexOf(minLevel);
}

function fieldText(key: string, value: unknown): string {
  if (key === 'err' && value !== null && typeof value === 'object') {
    const error = value as { type?: string; message?: string; code?: string };
    return JSON.stringify(`${error.type ?? 'Error'}: ${error.message ?? ''}${error.code ? ` (${error.code})` : ''}`);
  }
  const text = typeof value === 'string' ? (/\s/.test(value) ? JSON.stringify(value) : value) : JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

/** `Clickstream EventsProcessed 12 (EventType=page_view)`: the metrics of one EMF line. */
function summarizeMetrics(parsed: Record<string, unknown>, directives: ReadonlyArray<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit?: string }> }>): string {
  return directives
    .map((directive) => {
      const dimensions = [...new Set(directive.Dimensions.flat())].filter((name) => name !== 'Service').map((name) => `${name}=${String(parsed[name])}`);
      const metrics = directive.Metrics.map((metric) => {
        const value = parsed[metric.Name];
        const shown = Array.isArray(value) ? `${value.length} values` : String(value);
        return `${metric.Name} ${shown}${metric.Unit === 'Milliseconds' ? ' ms' : metric.Unit === 'Bytes' ? ' B' : ''}`;
      });
      return `${directive.Namespace} ${metrics.join(', ')}${dimensions.length > 0 ? ` (${dimensions.join(', ')})` : ''}`;
    })
    .join('; ');
}

/** The services that have a log in `logDir` (`<service>.log` or a previous `<service>.1.log`). */
export function loggedServices(logDir: string): string[] {
  if (!existsSync(logDir)) return [];
  const names = readdirSync(logDir)
    .filter((file) => file.endsWith('.log'))
    .map((file) => file.replace(/(\.1)?\.log$/, ''));
  return [...new Set(names)].sort();
}

/** Resolves a service argument (`archiver`, or a function name ending in it) against the logs present. */
export function resolveServices(argument: string | undefined, available: readonly string[]): string[] {
  if (argument === undefined || argument === 'all') return [...available];
  const match = available.find((name) => argument === name || argument.endsWith(`-${name}`));
  if (match === undefined) throw new UsageError(`no logs for "${argument}"; there are logs for: ${available.join(', ') || 'nothing yet'}`);
  return [match];
}

/** The last `count` entries of the given services' current logs, merged by time. */
export function tail(logDir: string, services: readonly string[], count: number, options: FormatOptions = {}): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const service of services) {
    const file = logFile(logDir, service);
    if (!existsSync(file)) continue;
    const lines = readFileSync(file, 'utf8').split('\n');
    const mine: LogEntry[] = [];
    for (let index = lines.length - 1; index >= 0 && mine.length < count; index--) {
      const entry = parseLogLine(lines[index]!, service, options);
      if (entry !== undefined) mine.unshift(entry);
    }
    entries.push(...mine);
  }
  // A stable sort keeps each file's order for lines without a time.
  return entries.sort((a, b) => (Number.isNaN(a.timeMs) || Number.isNaN(b.timeMs) ? 0 : a.timeMs - b.timeMs)).slice(-count);
}

/**
 * Follows the services' logs from their current end, across rotation (a new run or the size
 * cap starts a new file): calls `print` for each new entry until `signal` aborts.
 */
export async function follow(logDir: string, services: readonly string[], options: FormatOptions, print: (entry: LogEntry) => void, signal: AbortSignal, pollMs = 250): Promise<void> {
  const positions = new Map<string, { ino: number; offset: number; partial: string }>();
  for (const service of services) {
    const file = logFile(logDir, service);
    if (existsSync(file)) {
      const stat = statSync(file);
      positions.set(service, { ino: stat.ino, offset: stat.size, partial: '' });
    }
  }
  while (!signal.aborted) {
    for (const service of services) {
      const file = logFile(logDir, service);
      if (!existsSync(file)) continue;
      const stat = statSync(file);
      let position = positions.get(service);
      if (position === undefined || position.ino !== stat.ino || stat.size < position.offset) {
        position = { ino: stat.ino, offset: 0, partial: '' };
        positions.set(service, position);
      }
      if (stat.size === position.offset) continue;
      const buffer = Buffer.alloc(stat.size - position.offset);
      const fd = openSync(file, 'r');
      try {
        readSync(fd, buffer, 0, buffer.length, position.offset);
      } finally {
        closeSync(fd);
      }
      position.offset = stat.size;
      const text = position.partial + buffer.toString('utf8');
      const lines = text.split('\n');
      position.partial = lines.pop() ?? '';
      for (const line of lines) {
        const entry = parseLogLine(line, service, options);
        if (entry !== undefined) print(entry);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function main({ values, positionals }: CommandLine<typeof COMMAND.options>): Promise<void> {
  if (positionals.length > 1) throw new UsageError(`one service at a time (or all), got ${positionals.join(' ')}`);
  const stateDir = stateDirectory(values['state-dir']);
  const logDir = readManifestFile(stateDir)?.logDir ?? path.join(stateDir, 'logs');
  const count = integerOption(values.lines, 'lines', { min: 0, fallback: 40 });
  if (values.level !== undefined && !(LEVELS as readonly string[]).includes(values.level)) throw new UsageError(`--level must be one of ${LEVELS.join(', ')}, got "${values.level}"`);
  const options: FormatOptions = { hideMetrics: values['hide-metrics'], raw: values.raw, ...(values.level === undefined ? {} : { minLevel: values.level }) };
  const available = loggedServices(logDir);
  if (available.length === 0 && !values.follow) {
    process.stderr.write(`no logs in ${logDir} yet: the local stack writes them while it runs (start it with \`npm start\`)\n`);
    return;
  }
  const services = values.follow && available.length === 0 && positionals[0] !== undefined && positionals[0] !== 'all' ? [positionals[0]] : resolveServices(positionals[0], available);
  const print = (entry: LogEntry) => process.stdout.write(`${formatEntry(entry, options)}\n`);
  tail(logDir, services, count, options).forEach(print);
  if (!values.follow) return;
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => stop.abort());
  // With every service, follow also the ones whose log appears later.
  const followed = positionals[0] === undefined || positionals[0] === 'all' ? [...new Set([...services, 'event-processor', 'anomaly-detector', 'archiver', 'collector', 'compactor', 'kinesis'])] : services;
  await follow(logDir, followed, options, print, stop.signal);
}

if (require.main === module) runCommand(COMMAND, main);
