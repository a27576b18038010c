import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger, MetricsLogger } from '@clickstream/shared';
import { follow, formatEntry, loggedServices, parseLogLine, resolveServices, tail, type LogEntry } from '../../logs';
import { LocalTelemetry, logFile, previousLogFile } from '../../telemetry';

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

/** Writes a pino line and an EMF line the way a service does, into a telemetry sink. */
function writeSome(telemetry: LocalTelemetry, service: string, message: string): void {
  const sink = telemetry.sink(service);
  createLogger({ service, level: 'info', destination: sink }).info({ shardId: 'shardId-000000000001', records: 3 }, message);
  const metrics = new MetricsLogger('Clickstream', { Service: service }, sink.emfWriter);
  metrics.add('EventsProcessed', 3, 'Count', { EventType: 'page_view' });
  metrics.flush(Date.parse('2026-12-01T12:00:01.500Z'));
}

describe('the local logs', () => {
  it('keep one set per run: the last run moves to <service>.1.log, and a file past the cap is rotated', async () => {
    const logDir = mkdtempSync(path.join(tmpdir(), 'clickstream-logs-'));
    const first = new LocalTelemetry(logDir);
    writeSome(first, 'archiver', 'first run');
    await first.close();

    const second = new LocalTelemetry(logDir, 1000, 600);
    writeSome(second, 'archiver', 'second run');
    await settle();
    expect(readFileSync(previousLogFile(logDir, 'archiver'), 'utf8')).toContain('first run');
    expect(readFileSync(logFile(logDir, 'archiver'), 'utf8')).not.toContain('first run');
    for (let index = 0; index < 5; index++) writeSome(second, 'archiver', `line ${index}`);
    await second.close();
    expect(readFileSync(logFile(logDir, 'archiver'), 'utf8').length).toBeLessThanOrEqual(600);
    expect(readFileSync(previousLogFile(logDir, 'archiver'), 'utf8')).not.toContain('first run');
    expect(loggedServices(logDir)).toEqual(['archiver']);
  });

  it('print pino lines as time, level, service, message and fields, and EMF lines as their metrics', () => {
    const pino = parseLogLine('{"level":"warn","time":"2026-12-01T12:00:00.123Z","service":"event-processor","requestId":"r-1","err":{"type":"Error","message":"throttled"},"msg":"write failed; retrying"}', 'event-processor')!;
    expect(formatEntry(pino)).toBe('12:00:00.123 WARN   event-processor  write failed; retrying  requestId=r-1  err="Error: throttled"');
    const emf = parseLogLine('{"_aws":{"Timestamp":1796126400500,"CloudWatchMetrics":[{"Namespace":"AWS/Lambda","Dimensions":[["FunctionName"]],"Metrics":[{"Name":"Duration","Unit":"Milliseconds"},{"Name":"Errors","Unit":"Count"}]}]},"FunctionName":"fn","Duration":12,"Errors":0}', 'archiver')!;
    expect(formatEntry(emf)).toBe('12:00:00.500 METRIC archiver         AWS/Lambda Duration 12 ms, Errors 0 (FunctionName=fn)');
    expect(parseLogLine(emf.raw, 'archiver', { hideMetrics: true })).toBeUndefined();
    expect(parseLogLine(pino.raw, 'event-processor', { minLevel: 'error' })).toBeUndefined();
    expect(formatEntry(pino, { raw: true })).toBe(pino.raw);
  });

  it('merge the services by time, resolve a service or function name, and follow new lines across a rotation', async () => {
    const logDir = mkdtempSync(path.join(tmpdir(), 'clickstream-logs-'));
    writeFileSync(logFile(logDir, 'archiver'), '{"level":"info","time":"2026-12-01T12:00:02.000Z","service":"archiver","msg":"b"}\n');
    writeFileSync(logFile(logDir, 'event-processor'), '{"level":"info","time":"2026-12-01T12:00:01.000Z","service":"event-processor","msg":"a"}\n{"level":"info","time":"2026-12-01T12:00:03.000Z","service":"event-processor","msg":"c"}\n');
    expect(tail(logDir, loggedServices(logDir), 10).map((entry) => entry.text)).toEqual(['a', 'b', 'c']);
    expect(tail(logDir, ['event-processor'], 1).map((entry) => entry.text)).toEqual(['c']);
    expect(resolveServices('clickstream-analytics-dev-archiver', loggedServices(logDir))).toEqual(['archiver']);
    expect(() => resolveServices('billing', loggedServices(logDir))).toThrow('no logs for "billing"; there are logs for: archiver, event-processor');

    const seen: LogEntry[] = [];
    const stop = new AbortController();
    const following = follow(logDir, ['archiver'], {}, (entry) => seen.push(entry), stop.signal, 10);
    await settle();
    writeFileSync(logFile(logDir, 'archiver'), '{"level":"info","time":"2026-12-01T12:00:04.000Z","service":"archiver","msg":"d"}\n', { flag: 'a' });
    await settle();
    // A new run: the file is moved away and a new one begins.
    const telemetry = new LocalTelemetry(logDir);
    telemetry.sink('archiver').write('{"level":"info","time":"2026-12-01T12:00:05.000Z","service":"archiver","msg":"e"}\n');
    await telemetry.close();
    await settle();
    stop.abort();
    await following;
    expect(seen.map((entry) => entry.text)).toEqual(['d', 'e']);
    expect(existsSync(previousLogFile(logDir, 'archiver'))).toBe(true);
  });
});
