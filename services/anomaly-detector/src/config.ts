import { ENV, readBoolean, readNumber, TABLE_RETENTION_DEFAULTS, type Config, type Env } from '@clickstream/shared';

/** Thresholds of every rule; each maps to one environment variable (see `DEFAULT_RULE_SETTINGS`). */
export interface RuleSettings {
  /** session_rate: more than this many events in one event-time minute for one session. */
  sessionRatePerMinute: number;
  /** bot_user_agent: a session fires after this many events with a bot user agent (isbot). */
  botMinEvents: number;
  /** checkout_without_browsing: checkout/purchase with fewer than this many prior events in the session. */
  checkoutMinPriorEvents: number;
  /** traffic_anomaly: |z| of a minute's event count against the EWMA baseline above this fires. */
  trafficZThreshold: number;
  /** traffic_anomaly: EWMA smoothing factor (weight of the newest minute). */
  trafficEwmaAlpha: number;
  /** traffic_anomaly: closed minutes of history before the rule may fire. */
  trafficMinHistoryMinutes: number;
  /** traffic_anomaly: ignore spikes below, and drops from a baseline below, this many events/minute. */
  trafficMinEventsPerMinute: number;
  /** traffic_anomaly: and only when the minute differs from the baseline mean by at least this fraction of it. */
  trafficMinChangeRatio: number;
  /** error_rate: share of `error` events in a minute above this fires... */
  errorRateThreshold: number;
  /** ...when the minute holds at least this many events. */
  errorRateMinEvents: number;
  /** impossible_travel: one user seen in two countries within this many minutes. */
  travelWindowMinutes: number;
}

export interface DetectorSettings {
  /** ENABLE_ANOMALY_DETECTION: when false the handler acknowledges batches without evaluating them. */
  enabled: boolean;
  /** ENABLE_SNS_ALERTS: when false alerts are recorded in history and logged but not published. */
  publishAlerts: boolean;
  /** One alert per rule and subject per cooldown (event time). */
  cooldownMs: number;
  /** Event-time lateness allowed before a minute is closed and judged by the stream-wide rules. */
  minuteGraceMs: number;
  /** TTL of session, user, minute and cooldown state. */
  stateTtlHours: number;
  /** TTL of alert history. */
  historyTtlDays: number;
  rules: RuleSettings;
}

export const DEFAULT_RULE_SETTINGS: RuleSettings = {
  sessionRatePerMinute: 50,
  botMinEvents: 1,
  checkoutMinPriorEvents: 3,
  trafficZThreshold: 3,
  trafficEwmaAlpha: 0.1,
  trafficMinHistoryMinutes: 10,
  trafficMinEventsPerMinute: 30,
  trafficMinChangeRatio: 0.5,
  errorRateThreshold: 0.1,
  errorRateMinEvents: 50,
  travelWindowMinutes: 30,
};

export const DEFAULT_DETECTOR_SETTINGS: Omit<DetectorSettings, 'publishAlerts'> = {
  enabled: true,
  cooldownMs: 15 * 60_000,
  minuteGraceMs: 120_000,
  stateTtlHours: TABLE_RETENTION_DEFAULTS.alertStateTtlHours,
  historyTtlDays: TABLE_RETENTION_DEFAULTS.alertHistoryTtlDays,
  rules: DEFAULT_RULE_SETTINGS,
};

/**
 * Parses the anomaly-detector's settings once, at cold start; malformed values throw a
 * `ConfigError` naming the variable.
 *
 * `ENABLE_SNS_ALERTS` defaults to true when `ALERTS_TOPIC_ARN` is set and false otherwise. On
 * AWS the infrastructure variable `enable_sns_alerts` defaults to false and the function then
 * gets no topic ARN (or an explicit `ENABLE_SNS_ALERTS=false`); the local stack always passes its
 * local topic, so alerts publish locally by default.
 */
export function loadDetectorSettings(env: Env, config: Pick<Config, 'alertsTopicArn'>): DetectorSettings {
  const d = DEFAULT_RULE_SETTINGS;
  const publishAlerts = readBoolean(env, ENV.enableSnsAlerts, config.alertsTopicArn !== undefined);
  return {
    enabled: readBoolean(env, ENV.enableAnomalyDetection, DEFAULT_DETECTOR_SETTINGS.enabled),
    publishAlerts: publishAlerts && config.alertsTopicArn !== undefined,
    cooldownMs: readNumber(env, ENV.anomalyCooldownMinutes, DEFAULT_DETECTOR_SETTINGS.cooldownMs / 60_000, { min: 0 }) * 60_000,
    minuteGraceMs: readNumber(env, ENV.anomalyMinuteGraceSeconds, DEFAULT_DETECTOR_SETTINGS.minuteGraceMs / 1000, { min: 0, max: 3600 }) * 1000,
    stateTtlHours: readNumber(env, ENV.anomalyStateTtlHours, DEFAULT_DETECTOR_SETTINGS.stateTtlHours, { min: 1 }),
    historyTtlDays: readNumber(env, ENV.anomalyHistoryTtlDays, DEFAULT_DETECTOR_SETTINGS.historyTtlDays, { min: 1 }),
    rules: {
      sessionRatePerMinute: readNumber(env, ENV.anomalySessionRatePerMinute, d.sessionRatePerMinute, { min: 1, integer: true }),
      botMinEvents: readNumber(env, ENV.anomalyBotMinEvents, d.botMinEvents, { min: 1, integer: true }),
      checkoutMinPriorEvents: readNumber(env, ENV.anomalyCheckoutMinPriorEvents, d.checkoutMinPriorEvents, { min: 1, integer: true }),
      trafficZThreshold: readNumber(env, ENV.anomalyTrafficZThreshold, d.trafficZThreshold, { min: 0.5 }),
      trafficEwmaAlpha: readNumber(env, ENV.anomalyTrafficEwmaAlpha, d.trafficEwmaAlpha, { min: 0.001, max: 1 }),
      trafficMinHistoryMinutes: readNumber(env, ENV.anomalyTrafficMinHistoryMinutes, d.trafficMinHistoryMinutes, { min: 1, integer: true }),
      trafficMinEventsPerMinute: readNumber(env, ENV.anomalyTrafficMinEventsPerMinute, d.trafficMinEventsPerMinute, { min: 0 }),
      trafficMinChangeRatio: readNumber(env, ENV.anomalyTrafficMinChangeRatio, d.trafficMinChangeRatio, { min: 0 }),
      errorRateThreshold: readNumber(env, ENV.anomalyErrorRateThreshold, d.errorRateThreshold, { min: 0, max: 1 }),
      errorRateMinEvents: readNumber(env, ENV.anomalyErrorRateMinEvents, d.errorRateMinEvents, { min: 1, integer: true }),
      travelWindowMinutes: readNumber(env, ENV.anomalyTravelWindowMinutes, d.travelWindowMinutes, { min: 1 }),
    },
  };
}
