import { createLogger, MetricsLogger, privacySource, validationLimits, loadConfig, type EmfDatapoint, type Observe } from '@clickstream/shared';
import { parseEmfLine } from '@clickstream/shared';
import { loadCollectorSettings } from '../../src/config';
import type { CollectorRequest } from '../../src/http';
import type { CollectorDependencies } from '../../src/processor';
import { RateLimiter } from '../../src/rate-limit';
import type { EventStream, WriteResult } from '../../src/store';

export const NOW = Date.parse('2026-11-22T10:16:00.000Z');

/** A stream that keeps what it was given; `failing(index)` makes an entry fail, `down` fails the call. */
export class MemoryStream implements EventStream {
  readonly written: Array<{ partitionKey: string; data: string }> = [];
  calls = 0;
  down = false;
  failing: (index: number) => boolean = () => false;

  async write(records: ReadonlyArray<{ partitionKey: string; data: Uint8Array }>): Promise<WriteResult> {
    this.calls++;
    if (this.down) throw new Error('connect ECONNREFUSED');
    const result: WriteResult = { placements: [], failedErrorCodes: [], retried: 0 };
    records.forEach((record, index) => {
      if (this.failing(index)) {
        result.placements.push(undefined);
        result.failedErrorCodes.push('ProvisionedThroughputExceededException');
        return;
      }
      this.written.push({ partitionKey: record.partitionKey, data: Buffer.from(record.data).toString('utf8') });
      result.placements.push({ shardId: 'shardId-000000000000', sequenceNumber: String(49_000 + this.written.length) });
    });
    return result;
  }

  events(): Array<Record<string, unknown>> {
    return this.written.map((record) => JSON.parse(record.data) as Record<string, unknown>);
  }
}

export function collectorDeps(env: Record<string, string> = {}, stream = new MemoryStream()): CollectorDependencies & { stream: MemoryStream } {
  const settings = loadCollectorSettings({ COLLECTOR_ALLOW_LOOPBACK_ORIGINS: 'true', COLLECTOR_REQUIRE_WRITE_KEY: 'false', COLLECTOR_RATE_LIMIT_PER_SECOND: '0', ...env });
  const config = loadConfig(env);
  return { settings, limits: validationLimits(config), privacy: privacySource(config), stream, rateLimiter: new RateLimiter(settings.rateLimitPerSecond, settings.rateLimitBurst), assets: { trackerScript: 'window.clickstream={}' } };
}

export function request(overrides: Partial<Omit<CollectorRequest, 'body' | 'query'>> & { body?: string | Uint8Array | unknown; query?: string } = {}): CollectorRequest {
  const { body, query, ...rest } = overrides;
  const bytes = body === undefined ? new Uint8Array() : typeof body === 'string' ? Buffer.from(body) : body instanceof Uint8Array ? body : Buffer.from(JSON.stringify(body));
  return {
    method: 'POST',
    path: '/v1/events',
    headers: { 'content-type': 'application/json', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0' },
    sourceIp: '203.0.113.77',
    receivedAtMs: NOW,
    ...rest,
    query: new URLSearchParams(query ?? ''),
    body: bytes,
  };
}

/** An observe pair whose metrics can be read back. */
export function observer(): Observe & { points: () => EmfDatapoint[] } {
  const lines: string[] = [];
  const metrics = new MetricsLogger('Clickstream', { Service: 'collector' }, (line) => lines.push(line));
  return {
    logger: createLogger({ service: 'collector', level: 'silent' }),
    metrics,
    points: () => {
      metrics.flush(NOW);
      return lines.flatMap(parseEmfLine);
    },
  };
}

export function pageView(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { event_id: 'e-1', event_type: 'page_view', session_id: 'session-1', timestamp: '2026-11-22T10:15:30.000Z', page_url: 'https://shop.example.com/p/1?x=2', ...overrides };
}
