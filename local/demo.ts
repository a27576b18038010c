import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { putRecords } from '@clickstream/shared';
import { TrafficModel, type TrafficRecord } from '../testkit/traffic';

/**
 * Demo traffic for `npm start -- --demo`: new sessions arrive continuously and each event is
 * sent when its (real) event time comes, so the tables and dashboards show "now".
 */
export class DemoTraffic {
  private readonly model: TrafficModel;
  private queue: TrafficRecord[] = [];
  private timer?: NodeJS.Timeout;
  private sessionDebt = 0;
  sent = 0;
  failed = 0;

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly streamName: string,
    private readonly eventsPerSecond: number,
    options: { botShare?: number; invalidShare?: number; seed?: number } = {},
  ) {
    this.model = new TrafficModel({ seed: options.seed ?? Date.now() % 100_000, botShare: options.botShare ?? 0.01, invalidShare: options.invalidShare ?? 0.01, camelCaseShare: 0.1 });
  }

  start(tickMs = 500): void {
    // About 9 events per shopper session: sessions/s follows from the requested event rate.
    const sessionsPerTick = (this.eventsPerSecond / 9) * (tickMs / 1000);
    const tick = async () => {
      this.sessionDebt += sessionsPerTick;
      const now = Date.now();
      while (this.sessionDebt >= 1) {
        this.queue.push(...this.model.session(now));
        this.sessionDebt -= 1;
      }
      const due = this.queue.filter((record) => record.eventTimeMs <= now);
      this.queue = this.queue.filter((record) => record.eventTimeMs > now);
      if (due.length > 0) {
        try {
          const result = await putRecords(this.kinesis, this.streamName, due);
          this.sent += result.sent;
          this.failed += result.failed;
        } catch (error) {
          this.failed += due.length;
          process.stderr.write(`demo traffic: PutRecords failed: ${(error as Error).message}\n`);
        }
      }
      if (this.timer !== undefined) this.timer = setTimeout(() => void tick(), tickMs);
    };
    this.timer = setTimeout(() => void tick(), 0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
