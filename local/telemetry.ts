import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { parseEmfLine, type EmfDatapoint, type EmfWriter } from '@clickstream/shared';

/**
 * The local stand-in for CloudWatch Logs: each function's log lines (pino JSON and EMF) go to
 * `<logDir>/<function>.log`, and EMF lines are read back into metric datapoints, as CloudWatch
 * does, so local tools see the same metrics the services emit on AWS.
 */
export class LocalTelemetry {
  private readonly streams = new Map<string, WriteStream>();
  private readonly points: EmfDatapoint[] = [];

  constructor(
    private readonly logDir: string | undefined,
    private readonly maxPoints = 500_000,
  ) {
    if (logDir) mkdirSync(logDir, { recursive: true });
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
    await Promise.all([...this.streams.values()].map((stream) => new Promise<void>((resolve) => stream.end(resolve))));
    this.streams.clear();
  }

  private record(functionName: string, chunk: string): void {
    for (const line of chunk.split('\n')) {
      if (line === '') continue;
      for (const point of parseEmfLine(line)) this.points.push(point);
    }
    if (this.points.length > this.maxPoints) this.points.splice(0, this.points.length - this.maxPoints);
    if (this.logDir === undefined) return;
    let stream = this.streams.get(functionName);
    if (stream === undefined) {
      stream = createWriteStream(path.join(this.logDir, `${functionName}.log`), { flags: 'a' });
      this.streams.set(functionName, stream);
    }
    stream.write(chunk.endsWith('\n') ? chunk : `${chunk}\n`);
  }
}
