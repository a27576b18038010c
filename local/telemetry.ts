import { createWriteStream, mkdirSync, openSync, readdirSync, renameSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { parseEmfLine, type EmfDatapoint, type EmfWriter } from '@clickstream/shared';

/** Past this size a log file is rotated to `<name>.1.log` and started again. */
export const MAX_LOG_BYTES = 10 * 1024 * 1024;

/** `<logDir>/<name>.log`, the current run's log of one service (or `kinesis`). */
export function logFile(logDir: string, name: string): string {
  return path.join(logDir, `${name}.log`);
}

/** The log before the current one: the previous run's, or this run's first part past the size cap. */
export function previousLogFile(logDir: string, name: string): string {
  return path.join(logDir, `${name}.1.log`);
}

/**
 * The local stand-in for CloudWatch Logs: each service's log lines (pino JSON and EMF, as
 * CloudWatch Logs holds them) go to `<logDir>/<service>.log`, and EMF lines are read back into
 * metric datapoints, as CloudWatch does, so local tools see the same metrics the services emit
 * on AWS. One log set per run: a new run moves the last run's files to `<service>.1.log`, and a
 * file past `maxLogBytes` is rotated the same way, so a service never keeps more than two files.
 * `npm run logs` prints them readably.
 */
export class LocalTelemetry {
  private readonly streams = new Map<string, { stream: WriteStream; bytes: number }>();
  private readonly points: EmfDatapoint[] = [];

  constructor(
    private readonly logDir: string | undefined,
    private readonly maxPoints = 500_000,
    private readonly maxLogBytes = MAX_LOG_BYTES,
  ) {
    if (logDir === undefined) return;
    mkdirSync(logDir, { recursive: true });
    for (const file of readdirSync(logDir)) {
      if (file.endsWith('.log') && !file.endsWith('.1.log')) renameSync(path.join(logDir, file), previousLogFile(logDir, file.slice(0, -'.log'.length)));
    }
  }

  /** A log destination for one function: usable as a pino destination and as an EMF writer. */
  sink(functionName: string): { write(line: string): void; emfWriter: EmfWriter } {
    const write = (line: string) => this.record(functionName, line);
    return { write, emfWriter: (line) => write(`${line}\n`) };
  }

  /** Datapoints recorded so far, optionally only one metric. */
  datapoints(filter: { namespace?: string; name?: string; sinceMs?: number } = {}): EmfDatapoint[] {
    return this.points.filter(
      (point) =>
        (filter.namespace === undefined || point.namespace === filter.namespace) &&
        (filter.name === undefined || point.name === filter.name) &&
        (filter.sinceMs === undefined || point.timestampMs >= filter.sinceMs),
    );
  }

  /** Sum of a metric's values, optionally restricted to matching dimensions. */
  sum(namespace: string, name: string, dimensions: Record<string, string> = {}): number {
    let total = 0;
    for (const point of this.points) {
      if (point.namespace !== namespace || point.name !== name) continue;
      if (Object.entries(dimensions).every(([key, value]) => point.dimensions[key] === value)) total += point.value;
    }
    return total;
  }

  async close(): Promise<void> {
    await Promise.all([...this.streams.values()].map(({ stream }) => new Promise<void>((resolve) => stream.end(resolve))));
    this.streams.clear();
  }

  private record(functionName: string, chunk: string): void {
    for (const line of chunk.split('\n')) {
      if (line === '') continue;
      for (const point of parseEmfLine(line)) this.points.push(point);
    }
    if (this.points.length > this.maxPoints) this.points.splice(0, this.points.length - this.maxPoints);
    if (this.logDir === undefined) return;
    const text = chunk.endsWith('\n') ? chunk : `${chunk}\n`;
    let open = this.streams.get(functionName);
    if (open !== undefined && open.bytes + text.length > this.maxLogBytes) {
      open.stream.end();
      renameSync(logFile(this.logDir, functionName), previousLogFile(this.logDir, functionName));
      open = undefined;
    }
    if (open === undefined) {
      const file = logFile(this.logDir, functionName);
      // Opened now, not when the stream gets to it: a rotation renames the open file, never a path still to be opened.
      open = { stream: createWriteStream('', { fd: openSync(file, 'a') }), bytes: 0 };
      this.streams.set(functionName, open);
    }
    open.bytes += Buffer.byteLength(text);
    open.stream.write(text);
  }
}
