import { sessionEventCounts, type TablesReader } from '../services/event-processor/src/contract';

interface Probe {
  sessionId: string;
  /** The session's `event_count` once this batch is applied. */
  expectedCount: number;
  putStartedMs: number;
}

/**
 * End-to-end latency by sampling: one probe per PutRecords batch (its last accepted record), then
 * the session-metrics item of that record's session is polled (BatchGetItem of every open probe,
 * consistent reads, every `pollMs`) until its `event_count` reaches the count sent so far. The
 * latency is from the start of the PutRecords call to the poll that sees it, so it includes the
 * put itself and up to `pollMs` of polling granularity.
 */
export class LatencyProbe {
  private pending: Probe[] = [];
  private timer?: NodeJS.Timeout;
  private polling = false;
  timedOut = 0;
  observed = 0;

  constructor(
    private readonly reader: TablesReader,
    private readonly onLatency: (ms: number) => void,
    readonly pollMs = 50,
    private readonly giveUpMs = 300_000,
    private readonly maxPolled = 8,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.pollMs);
  }

  track(sessionId: string, expectedCount: number, putStartedMs: number): void {
    this.pending.push({ sessionId, expectedCount, putStartedMs });
  }

  get open(): number {
    return this.pending.length;
  }

  /** Keeps polling until every probe is seen or given up, then stops. */
  async finish(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    this.timedOut += this.pending.length;
    this.pending = [];
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    if (this.polling || this.pending.length === 0) return;
    this.polling = true;
    try {
      // The oldest probes only: batches are applied in order per shard, so a later probe is seldom
      // ready before an earlier one, and reading every open probe would load the very tables
      // being measured once the pipeline falls behind.
      const ids = [...new Set(this.pending.slice(0, this.maxPolled).map((probe) => probe.sessionId))];
      const counts = await sessionEventCounts(this.reader, ids);
      const seenAt = Date.now();
      const polled = new Set(ids);
      this.pending = this.pending.filter((probe) => {
        if (!polled.has(probe.sessionId)) return true;
        if ((counts.get(probe.sessionId) ?? 0) >= probe.expectedCount) {
          this.observed++;
          this.onLatency(seenAt - probe.putStartedMs);
          return false;
        }
        if (seenAt - probe.putStartedMs > this.giveUpMs) {
          this.timedOut++;
          return false;
        }
        return true;
      });
    } catch (error) {
      process.stderr.write(`latency probe: ${(error as Error).message}\n`);
    } finally {
      this.polling = false;
    }
  }
}
