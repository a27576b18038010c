import { listRecentAlerts, type AlertRecord } from '../../services/anomaly-detector/src/contract';
import { activeSessions, eventsPerMinute, topPages, type ActiveSessions, type PageTotal, type TablesReader } from '../../services/event-processor/src/contract';

/** The steps of the shop funnel, in order, as `event_type` values. */
export const FUNNEL_STEPS = ['page_view', 'product_view', 'add_to_cart', 'checkout', 'purchase'] as const;

export interface BusinessViews {
  minutes: number;
  topPages: PageTotal[];
  activeSessions: ActiveSessions;
  funnel: {
    /** Each step's accepted events, its conversion from the step before and from the first step. */
    steps: Array<{ eventType: string; count: number; fromPrevious: number | null; fromFirst: number | null }>;
    /** Purchases per page view over the range (the last step over the first). */
    overall: number | null;
  };
  alerts: AlertRecord[];
}

/** Top pages, active sessions, the funnel and the latest alerts, read from the pipeline's tables. */
export async function businessViews(target: TablesReader, minutes: number, nowMs = Date.now()): Promise<BusinessViews> {
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
      overall: ratio(totals[totals.length - 1]!, totals[0]!),
    },
    alerts,
  };
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}
