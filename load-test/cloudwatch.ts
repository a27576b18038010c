import { CloudWatchClient, PutMetricDataCommand, type MetricDatum, type StandardUnit } from '@aws-sdk/client-cloudwatch';
import { chunk } from '@clickstream/shared';
import type { SummaryData } from './k6/summary';

/** PutMetricData takes at most 1,000 datums per call. */
const DATUMS_PER_CALL = 1000;

/**
 * `--out cloudwatch`: the run's summary as CloudWatch metrics (namespace `Clickstream/LoadTest`,
 * dimensions `Scenario` and `Stat`), one datum per metric and statistic, in batched
 * PutMetricData calls. Returns the number of calls made.
 */
export async function pushSummary(data: SummaryData, scenario: string, client = new CloudWatchClient({}), namespace = 'Clickstream/LoadTest'): Promise<number> {
  const timestamp = new Date();
  const datums: MetricDatum[] = [];
  for (const [name, metric] of Object.entries(data.metrics)) {
    for (const [stat, value] of Object.entries(metric.values)) {
      if (!Number.isFinite(value)) continue;
      const unit: StandardUnit = metric.contains === 'time' && metric.type === 'trend' ? 'Milliseconds' : metric.contains === 'data' ? 'Bytes' : stat === 'rate' && metric.type === 'counter' ? 'Count/Second' : 'None';
      datums.push({ MetricName: name, Dimensions: [{ Name: 'Scenario', Value: scenario }, { Name: 'Stat', Value: stat }], Value: value, Unit: unit, Timestamp: timestamp });
    }
  }
  const batches = chunk(datums, DATUMS_PER_CALL);
  for (const batch of batches) await client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: batch }));
  return batches.length;
}
