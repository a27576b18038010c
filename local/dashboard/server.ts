/**
 * The local dashboard: a small node:http server on 127.0.0.1 that serves a page drawing the shared
 * dashboard definition (`DASHBOARD`, the one the CloudWatch dashboard is rendered from) with the
 * metrics the services print as EMF, read back by LocalTelemetry, plus business views read from
 * the pipeline's DynamoDB tables.
 *
 *   GET /                  the page (public/)
 *   GET /api/dashboard     the definition, placeholders filled with the local names
 *   GET /api/metrics       ?minutes=5|15|60[&period=s][&widget=id]: every widget's series, complete buckets only
 *   GET /api/business      ?minutes=…: top pages, active sessions, funnel, latest alerts
 *   GET /vendor/…          uPlot from node_modules (nothing from a CDN: works offline)
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DASHBOARD, type DashboardDefinition, type ResourceNames } from '@clickstream/shared';
import { closeServer, HOST, listen, loopbackHosts } from '../net';
import type { LocalTelemetry } from '../telemetry';
import { businessViews } from './business';
import { dashboardNames, localDashboard, metricKeys, RANGES_MINUTES, type LocalDashboard } from './definition';
import { periodFor, widgetData, type WidgetData } from './series';

export const DEFAULT_DASHBOARD_PORT = 4570;

export interface DashboardServerOptions {
  /** 0 picks a free port. */
  port: number;
  telemetry: Pick<LocalTelemetry, 'datapoints'>;
  names: ResourceNames;
  dynamodb: DynamoDBDocumentClient;
  definition?: DashboardDefinition;
}

export interface DashboardServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface MetricsResponse {
  fromMs: number;
  /** The end of the last complete bucket: the one still filling is left out. */
  toMs: number;
  periodSeconds: number;
  widgets: Record<string, WidgetData>;
}

const PUBLIC_DIR = path.join(__dirname, 'public');
const STATIC_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: path.join(PUBLIC_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { file: path.join(PUBLIC_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: path.join(PUBLIC_DIR, 'style.css'), type: 'text/css; charset=utf-8' },
  '/vendor/uPlot.iife.min.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/vendor/uPlot.min.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/** Starts the dashboard server on 127.0.0.1; rejects with a clear message when the port is taken. */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const definition = options.definition ?? DASHBOARD;
  const names = dashboardNames(options.names);
  const target = { client: options.dynamodb, tables: options.names.tables };

  const dashboard = (): LocalDashboard => {
    const seen = new Set(options.telemetry.datapoints().map((point) => `${point.namespace}/${point.name}`));
    return localDashboard(definition, names, seen);
  };

  const metrics = (query: URLSearchParams): MetricsResponse => {
    const minutes = rangeParam(query);
    const period = query.get('period');
    const periodSeconds = period === null ? periodFor(minutes) : Number(period);
    if (!Number.isInteger(periodSeconds) || periodSeconds < 1 || periodSeconds > 3600) throw new BadRequest(`period must be whole seconds from 1 to 3600, got "${period}"`);
    // Up to the end of the last complete bucket: a bucket still filling would draw every chart
    // dropping towards zero at its right edge, as if traffic had collapsed.
    const periodMs = periodSeconds * 1000;
    const toMs = Math.floor(Date.now() / periodMs) * periodMs - 1;
    const fromMs = toMs + 1 - minutes * 60_000;
    const range = { fromMs, toMs, periodSeconds };
    const only = query.get('widget');
    const widgets = localDashboard(definition, names).widgets.filter((widget) => only === null || widget.id === only);
    if (only !== null && widgets.length === 0) throw new BadRequest(`no widget "${only}"`);
    const wanted = new Set(widgets.flatMap(metricKeys));
    const points = options.telemetry.datapoints({ sinceMs: Math.floor(fromMs / (periodSeconds * 1000)) * periodSeconds * 1000 }).filter((point) => wanted.has(`${point.namespace}/${point.name}`));
    return { fromMs, toMs, periodSeconds, widgets: Object.fromEntries(widgets.map((widget) => [widget.id, widgetData(widget, points, range)])) };
  };

  let allowedHosts: ReadonlySet<string> = new Set();
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (!allowedHosts.has(String(request.headers.host ?? '').toLowerCase())) return sendJson(response, 403, { error: `Host ${JSON.stringify(request.headers.host ?? '')} is not this dashboard: open it at 127.0.0.1 or localhost` });
    const url = new URL(request.url ?? '/', `http://${HOST}`);
    if (request.method !== 'GET' && request.method !== 'HEAD') return sendJson(response, 405, { error: 'only GET' });
    switch (url.pathname) {
      case '/api/dashboard':
        return sendJson(response, 200, dashboard());
      case '/api/metrics':
        return sendJson(response, 200, metrics(url.searchParams));
      case '/api/business':
        return sendJson(response, 200, await businessViews(target, rangeParam(url.searchParams)));
      case '/favicon.ico':
        response.writeHead(204).end();
        return;
      default: {
        const asset = STATIC_FILES[url.pathname];
        if (asset === undefined) return sendJson(response, 404, { error: `not found: ${url.pathname}` });
        const body = await readFile(asset.file);
        response.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
        response.end(request.method === 'HEAD' ? undefined : body);
      }
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof BadRequest ? 400 : 500;
      if (!response.headersSent) sendJson(response, status, { error: (error as Error).message });
      else response.end();
    });
  });
  const port = await listen(server, options.port, 'use --dashboard-port or CLICKSTREAM_DASHBOARD_PORT');
  allowedHosts = loopbackHosts(port);
  const url = `http://${HOST}:${port}/`;
  return {
    url,
    port,
    close: () =>
closeServer(server),
  };
}

class BadRequest extends Error {
  override readonly name = 'BadRequest';
}

function rangeParam(query: URLSearchParams): number {
  const raw = query.get('minutes') ?? '15';
  const minutes = Number(raw);
  if (!(RANGES_MINUTES as readonly number[]).includes(minutes)) throw new BadRequest(`minutes must be one of ${RANGES_MINUTES.join(', ')}, got "${raw}"`);
  return minutes;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

