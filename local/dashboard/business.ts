import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { listRecentAlerts } from '../../services/anomaly-detector/src/history';
import type { AlertRecord } from '../../services/anomaly-detector/src/store';
import { eventsPerMinute, topPages, type PageTotal, type QueryTarget } from '../queries';

/** The steps of the shop funnel, in order, as `event_type` values. */
export const FUNNEL_STEPS = ['page_view', 'product_view', 'add_to_cart', 'checkout', 'purchase'] as const;

/** A session is active while its last event is at most this old (event time). */
export const ACTIVE_SESSION_MINUTES = 5;

export interface ActiveSession {
  session_id: string;
  user_id?: string;
  last_event_at: string;
  event_count: number;
  page_views: number;
  exit_page?: string;
  converted: boolean;
  revenue: number;
  device_type?: string;
  country?: string;
}

export interface BusinessViews {
  minutes: number;
  topPages: PageTotal[];
  activeSessions: { count: number; windowMinutes: number; recent: ActiveSession[] };
  funnel: {
    steps: Array<{ eventType: string; count: number; fromPrevious: number | null; fromFirst: number | null }>;
    perMinute: { minutes: string[]; timestamps: number[]; series: Array<{ label: string; values: number[] }> };
  };
  alerts: AlertRecord[];
}

/** Top pages, active sessions, the funnel and the latest alerts, read from the pipeline's tables. */
export async function businessViews(target: QueryTarget, minutes: number, nowMs = Date.now()): Promise<BusinessViews> {
  const [pages, sessions, perMinute, alerts] = await Promise.all([
    topPages(target, minutes, 10, nowMs),
    activeSessions(target, nowMs),
    eventsPerMinute(target, minutes, nowMs),
    listRecentAlerts(target.client, target.tables.alerts, { limit: 20, sinceMs: nowMs - 24 * 3_600_000, nowMs }),
  ]);
  const totals = FUNNEL_STEPS.map((step) => perMinute.reduce((total, row) => total + Number(row[step] ?? 0), 0));
  return {
    minutes,
    topPages: pages,
    activeSessions: sessions,
    funnel: {
      steps: FUNNEL_STEPS.map((eventType, index) => ({
        eventType,
        count: totals[index]!,
        fromPrevious: index === 0 ? null : ratio(totals[index]!, totals[index - 1]!),
        fromFirst: index === 0 ? null : ratio(totals[index]!, totals[0]!),
      })),
      perMinute: {
        minutes: perMinute.map((row) => String(row.minute)),
        timestamps: perMinute.map((row) => Date.parse(`${String(row.minute)}:00Z`) / 1000),
        series: FUNNEL_STEPS.map((step) => ({ label: step, values: perMinute.map((row) => Number(row[step] ?? 0)) })),
      },
    },
    alerts,
  };
}

/**
 * Sessions whose last event is within the last five minutes. The session table has no index on
 * `last_event_at`, so this scans it with a filter: fine for a local table of demo sessions, not
 * something to run against a production table (there, keep a per-minute active-session counter).
 */
export async function activeSessions(target: QueryTarget, nowMs = Date.now(), limit = 10): Promise<BusinessViews['activeSessions']> {
  const since = new Date(nowMs - ACTIVE_SESSION_MINUTES * 60_000).toISOString();
  const found: ActiveSession[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await target.client.send(
      new ScanCommand({
        TableName: target.tables.sessionMetrics,
        FilterExpression: 'last_event_at >= :since',
        ProjectionExpression: 'session_id, user_id, last_event_at, event_count, page_views, exit_page, converted, revenue, device_type, country',
        ExpressionAttributeValues: { ':since': since },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      found.push({
        session_id: String(item.session_id),
        ...(item.user_id === undefined ? {} : { user_id: String(item.user_id) }),
        last_event_at: String(item.last_event_at),
        event_count: Number(item.event_count ?? 0),
        page_views: Number(item.page_views ?? 0),
        ...(item.exit_page === undefined ? {} : { exit_page: String(item.exit_page) }),
        converted: item.converted === true,
        revenue: Number(item.revenue ?? 0),
        ...(item.device_type === undefined ? {} : { device_type: String(item.device_type) }),
        ...(item.country === undefined ? {} : { country: String(item.country) }),
      });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  found.sort((a, b) => b.last_event_at.localeCompare(a.last_event_at));
  return { count: found.length, windowMinutes: ACTIVE_SESSION_MINUTES, recent: found.slice(0, limit) };
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}
