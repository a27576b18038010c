/** What one tracker call becomes: a canonical event (snake_case, the pipeline's contract). */
export interface TrackerEvent {
  event_id: string;
  event_type: string;
  session_id: string;
  timestamp: string;
  user_id?: string;
  page_url?: string;
  referrer?: string;
  device_type?: string;
  value?: number;
  product?: Record<string, unknown>;
  properties?: Record<string, unknown>;
}

export interface EventContext {
  eventId: string;
  sessionId: string;
  nowMs: number;
  userId?: string;
  pageUrl?: string;
  referrer?: string;
  deviceType?: string;
}

/**
 * `track(eventType, properties)`: `properties.value` (or `revenue`) becomes `value`,
 * `properties.product` becomes `product`, the rest stays in `properties`.
 */
export function buildEvent(eventType: string, properties: Record<string, unknown> | undefined, context: EventContext): TrackerEvent {
  const event: TrackerEvent = { event_id: context.eventId, event_type: eventType, session_id: context.sessionId, timestamp: new Date(context.nowMs).toISOString() };
  if (context.userId) event.user_id = context.userId;
  if (context.pageUrl) event.page_url = context.pageUrl;
  if (context.referrer) event.referrer = context.referrer;
  if (context.deviceType) event.device_type = context.deviceType;
  const rest: Record<string, unknown> = {};
  for (const key of Object.keys(properties ?? {})) {
    const value = properties![key];
    if ((key === 'value' || key === 'revenue') && typeof value === 'number' && event.value === undefined) event.value = value;
    else if (key === 'product' && value !== null && typeof value === 'object') event.product = value as Record<string, unknown>;
    else if (value !== undefined) rest[key] = value;
  }
  if (Object.keys(rest).length > 0) event.properties = rest;
  return event;
}

/** `desktop`, `tablet` or `mobile`, from the user agent. */
export function deviceType(userAgent: string): string {
  if (/iPad|Tablet|PlayBook|Silk|(Android(?!.*Mobile))/i.test(userAgent)) return 'tablet';
  if (/Mobi|iPhone|iPod|Android|BlackBerry|Opera Mini|IEMobile/i.test(userAgent)) return 'mobile';
  return 'desktop';
}
