/**
 * Cost per million events from measured request counts, beside the recipe's per-event design on
 * the same workload. Prices are AWS us-east-1 on-demand list prices as of PRICES_AS_OF (Kinesis
 * provisioned mode, Lambda arm64 is cheaper than the x86 price used here): list prices, not a
 * quote, and they change.
 */

export const PRICES_AS_OF = '2026-11-22';

export const PRICES = {
  kinesisPutPayloadUnitPerMillion: 0.014,
  kinesisShardHour: 0.015,
  lambdaGbSecond: 0.0000166667,
  lambdaRequestPerMillion: 0.2,
  dynamoWriteUnitPerMillion: 0.625,
  dynamoReadUnitPerMillion: 0.125,
  s3PutPerThousand: 0.005,
  cloudWatchLogsIngestionPerGb: 0.5,
  snsPublishPerMillion: 0.5,
  cloudWatchPutMetricDataPerThousand: 0.01,
} as const;

/** What one run measured; every count is for the whole run. */
export interface MeasuredUsage {
  events: number;
  records: number;
  /** Kinesis PUT payload units: one per record up to 25 KB. */
  putPayloadUnits: number;
  shards: number;
  /** Sustained events/s, to turn shard-hours into a cost per event. */
  eventsPerSecond: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  /** The event-processor's tables (page-metrics, session-metrics, counters). */
  dynamoWriteUnits: number;
  /** The anomaly-detector's state and history (alerts table). */
  detectorWriteUnits: number;
  dynamoReadUnits: number;
  s3Requests: number;
  logBytes: number;
  snsPublishes: number;
}

export interface CostLine {
  item: string;
  perMillionEvents: number;
  basis: string;
}

const perMillion = (count: number, events: number) => (events === 0 ? 0 : (count / events) * 1_000_000);

export function costPerMillion(usage: MeasuredUsage): CostLine[] {
  const m = (count: number) => perMillion(count, usage.events);
  const shardHoursPerMillion = usage.eventsPerSecond > 0 ? (usage.shards * 1_000_000) / usage.eventsPerSecond / 3600 : 0;
  return [
    { item: 'Kinesis PUT payload units', perMillionEvents: (m(usage.putPayloadUnits) / 1e6) * PRICES.kinesisPutPayloadUnitPerMillion, basis: `${(usage.putPayloadUnits / usage.events).toFixed(3)} units/event` },
    { item: 'Kinesis shard-hours', perMillionEvents: shardHoursPerMillion * PRICES.kinesisShardHour, basis: `${usage.shards} shards × ${(1_000_000 / usage.eventsPerSecond / 3600).toFixed(3)} h at ${Math.round(usage.eventsPerSecond)} events/s` },
    { item: 'Lambda requests', perMillionEvents: (m(usage.lambdaInvocations) / 1e6) * PRICES.lambdaRequestPerMillion, basis: `${m(usage.lambdaInvocations).toFixed(0)} invocations per million events` },
    { item: 'Lambda GB-seconds', perMillionEvents: m(usage.lambdaGbSeconds) * PRICES.lambdaGbSecond, basis: `${m(usage.lambdaGbSeconds).toFixed(1)} GB-s per million events (local durations)` },
    { item: 'DynamoDB WRU, aggregates', perMillionEvents: (m(usage.dynamoWriteUnits) / 1e6) * PRICES.dynamoWriteUnitPerMillion, basis: `${(usage.dynamoWriteUnits / usage.events).toFixed(3)} WRU/event (event-processor tables)` },
    { item: 'DynamoDB WRU, detector', perMillionEvents: (m(usage.detectorWriteUnits) / 1e6) * PRICES.dynamoWriteUnitPerMillion, basis: `${(usage.detectorWriteUnits / usage.events).toFixed(3)} WRU/event (alerts table: state, history)` },
    { item: 'DynamoDB read units', perMillionEvents: (m(usage.dynamoReadUnits) / 1e6) * PRICES.dynamoReadUnitPerMillion, basis: `${(usage.dynamoReadUnits / usage.events).toFixed(3)} RRU/event` },
    { item: 'S3 PUT/LIST requests', perMillionEvents: (m(usage.s3Requests) / 1000) * PRICES.s3PutPerThousand, basis: `${m(usage.s3Requests).toFixed(0)} requests per million events` },
    { item: 'CloudWatch Logs ingestion', perMillionEvents: (m(usage.logBytes) / 1e9) * PRICES.cloudWatchLogsIngestionPerGb, basis: `${(usage.logBytes / usage.events).toFixed(1)} log bytes/event (pino + EMF)` },
    { item: 'SNS publishes', perMillionEvents: (m(usage.snsPublishes) / 1e6) * PRICES.snsPublishPerMillion, basis: `${m(usage.snsPublishes).toFixed(0)} per million events` },
  ];
}

/**
 * The recipe's per-event design on the same workload: one UpdateItem per event per table (3
 * WRU), one S3 object per event, one PutMetricData call per event; Kinesis, Lambda, logs, SNS and
 * the anomaly-detector's state writes taken as ours (the recipe's are no cheaper).
 */
export function recipeCostPerMillion(usage: MeasuredUsage): CostLine[] {
  const shared = costPerMillion(usage).filter((line) => /Kinesis|Lambda|Logs|SNS|detector/.test(line.item));
  return [
    ...shared,
    { item: 'DynamoDB WRU, aggregates', perMillionEvents: 3 * PRICES.dynamoWriteUnitPerMillion, basis: '3 UpdateItem per event' },
    { item: 'S3 PUT requests', perMillionEvents: 1000 * PRICES.s3PutPerThousand, basis: '1 object per event' },
    { item: 'CloudWatch PutMetricData', perMillionEvents: 1000 * PRICES.cloudWatchPutMetricDataPerThousand, basis: '1 call per event' },
  ];
}

export const total = (lines: readonly CostLine[]) => lines.reduce((sum, line) => sum + line.perMillionEvents, 0);

export function formatCostTable(ours: readonly CostLine[], recipe: readonly CostLine[]): string {
  const rows = [...new Set([...ours, ...recipe].map((line) => line.item))];
  const find = (lines: readonly CostLine[], item: string) => lines.find((line) => line.item === item);
  const money = (value: number | undefined) => (value === undefined ? '—' : `$${value.toFixed(4)}`);
  const lines = rows.map((item) => `    ${item.padEnd(28)} ${money(find(ours, item)?.perMillionEvents).padStart(9)}  ${money(find(recipe, item)?.perMillionEvents).padStart(9)}  ${find(ours, item)?.basis ?? find(recipe, item)?.basis ?? ''}`);
  return [`    ${'per million events'.padEnd(28)} ${'ours'.padStart(9)}  ${'recipe'.padStart(9)}`, ...lines, `    ${'total'.padEnd(28)} ${money(total(ours)).padStart(9)}  ${money(total(recipe)).padStart(9)}`].join('\n');
}
