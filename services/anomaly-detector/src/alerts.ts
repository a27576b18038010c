import { createHash } from 'node:crypto';

/** Every rule the detector runs; the `Rule` dimension of `AnomaliesDetected` takes these values. */
export const RULES = ['session_rate', 'bot_user_agent', 'checkout_without_browsing', 'traffic_anomaly', 'error_rate', 'impossible_travel'] as const;
export type RuleName = (typeof RULES)[number];

export const SEVERITIES = ['low', 'medium', 'high'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const RULE_SEVERITY: Readonly<Record<RuleName, Severity>> = {
  session_rate: 'medium',
  bot_user_agent: 'low',
  checkout_without_browsing: 'medium',
  traffic_anomaly: 'high',
  error_rate: 'high',
  impossible_travel: 'medium',
};

export type Comparison = 'above' | 'below';

export interface AlertWindow {
  /** ISO-8601, event time. */
  start: string;
  end: string;
  seconds: number;
}

/**
 * One detected incident. `alertId` is derived from what triggered it, so re-evaluating the same
 * records (a redelivery) produces the same id; the cooldown claim uses it to tell a retry of an
 * unpublished alert from a new incident.
 */
export interface Alert {
  alertId: string;
  rule: RuleName;
  severity: Severity;
  /** What the incident is about: `session:<id>`, `bot:<signature>`, `user:<id>`, `traffic:spike`, `errors:all`. */
  subjectKey: string;
  observed: number;
  threshold: number;
  /** `above`: fires when observed exceeds the threshold; `below`: when it falls under (drops). */
  comparison: Comparison;
  window: AlertWindow;
  /** Event time of the incident (epoch ms); the cooldown runs from here. */
  incidentMs: number;
  sampleEventIds: string[];
  /** One readable sentence for the log and the message. */
  description: string;
  context: Record<string, string | number>;
}

/** A rule's verdict before cooldown: the alert and the record that triggered it. */
export interface Candidate {
  alert: Alert;
  /** Lowest sequence number to redeliver if publishing this alert fails. */
  sequenceNumber: string;
  /** The session whose state must not be saved if publishing fails (session rules only). */
  sessionId?: string;
}

export const MAX_SAMPLE_EVENT_IDS = 5;

export function alertId(rule: RuleName, subjectKey: string, incidentKey: string): string {
  return createHash('sha256').update(`${rule}\u0000${subjectKey}\u0000${incidentKey}`).digest('hex').slice(0, 32);
}

export function minuteAlertWindow(minuteStartMs: number, minutes = 1): AlertWindow {
  return {
    start: new Date(minuteStartMs).toISOString(),
    end: new Date(minuteStartMs + minutes * 60_000).toISOString(),
    seconds: minutes * 60,
  };
}

export function spanAlertWindow(startMs: number, endMs: number): AlertWindow {
  return { start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString(), seconds: Math.round((endMs - startMs) / 1000) };
}

/** The JSON `Message` of an alert (docs/ARCHITECTURE.md, "Alerts"), snake_case like the event contract. */
export interface AlertMessage {
  version: 1;
  alert_id: string;
  rule: RuleName;
  severity: Severity;
  subject_key: string;
  observed: number;
  threshold: number;
  comparison: Comparison;
  window: AlertWindow;
  sample_event_ids: string[];
  description: string;
  incident_at: string;
  detected_at: string;
  context: Record<string, string | number>;
}

export function toAlertMessage(alert: Alert, detectedAtMs: number): AlertMessage {
  return {
    version: 1,
    alert_id: alert.alertId,
    rule: alert.rule,
    severity: alert.severity,
    subject_key: alert.subjectKey,
    observed: alert.observed,
    threshold: alert.threshold,
    comparison: alert.comparison,
    window: alert.window,
    sample_event_ids: alert.sampleEventIds.slice(0, MAX_SAMPLE_EVENT_IDS),
    description: alert.description,
    incident_at: new Date(alert.incidentMs).toISOString(),
    detected_at: new Date(detectedAtMs).toISOString(),
    context: alert.context,
  };
}

const SUBJECT_LIMIT = 100;

/**
 * SNS `Subject`: at most 100 printable ASCII characters with no line breaks
 * (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html), so user-supplied parts
 * (session ids, user agents) are squashed to ASCII and the whole is cut with an ellipsis.
 */
export function alertSubject(alert: Alert): string {
  const text = `[${alert.severity.toUpperCase()}] ${alert.rule} ${alert.subjectKey}: ${formatNumber(alert.observed)} ${alert.comparison === 'above' ? '>' : '<'} ${formatNumber(alert.threshold)}`;
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= SUBJECT_LIMIT ? ascii : `${ascii.slice(0, SUBJECT_LIMIT - 3)}...`;
}

export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
