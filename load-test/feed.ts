import { TrafficModel, type TrafficOptions, type TrafficRecord } from '../testkit/traffic';

export interface TrafficFeedOptions extends TrafficOptions {
  /**
   * The event rate the sessions are laid out for: new sessions start at
   * `eventsPerSecond / events-per-session` a second of event time. Set it to the scenario's peak
   * rate so event time never runs ahead of the wall clock.
   */
  eventsPerSecond: number;
  /** Event time of the first record handed out (default: 2 minutes ago). */
  startMs?: number;
  /**
   * Sessions start this long before `startMs` and their earlier records are skipped, so the feed
   * opens on a site in full swing rather than an empty one whose event rate builds up over a
   * session's length. Default 0: skipped records leave sessions without their start (a checkout
   * with no browsing before it), which the anomaly-detector rightly flags.
   */
  warmUpMs?: number;
}

/**
 * An endless, event-time-ordered feed of the traffic model's records: sessions keep arriving and
 * overlap as on a real site, so one session's events spread over many batches. `take(n)` returns
 * the next `n` records; event time advances by the records taken, not by the wall clock.
 */
export class TrafficFeed {
  private readonly model: TrafficModel;
  private readonly heap: TrafficRecord[] = [];
  private nextSessionStartMs: number;
  private sessionGapMs: number;
  private generatedRecords = 0;
  private generatedSessions = 0;
  private readonly firstRecordMs: number;

  constructor(private readonly options: TrafficFeedOptions) {
    this.model = new TrafficModel(options);
    this.firstRecordMs = options.startMs ?? Date.now() - 120_000;
    this.nextSessionStartMs = this.firstRecordMs - (options.warmUpMs ?? 0);
    // About 9 events per shopper session; refined from what the model actually generates.
    this.sessionGapMs = 1000 / (options.eventsPerSecond / 9);
  }

  /** Event time of the next record the feed will hand out. */
  get eventTimeMs(): number {
    return this.heap[0]?.eventTimeMs ?? this.nextSessionStartMs;
  }

  take(count: number): TrafficRecord[] {
    const records: TrafficRecord[] = [];
    while (records.length < count) {
      // A record may go out once no session still to be generated can start before it.
      while (this.heap.length === 0 || this.heap[0]!.eventTimeMs > this.nextSessionStartMs) this.addSession();
      const record = this.pop();
      if (record.eventTimeMs >= this.firstRecordMs) records.push(record);
    }
    return records;
  }

  private addSession(): void {
    const session = this.model.session(Math.round(this.nextSessionStartMs));
    for (const record of session) this.push(record);
    this.generatedRecords += session.length;
    this.generatedSessions++;
    if (this.generatedSessions % 100 === 0) this.sessionGapMs = 1000 / (this.options.eventsPerSecond / (this.generatedRecords / this.generatedSessions));
    this.nextSessionStartMs += this.sessionGapMs;
  }

  private push(record: TrafficRecord): void {
    const heap = this.heap;
    heap.push(record);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent]!.eventTimeMs <= record.eventTimeMs) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = record;
  }

  private pop(): TrafficRecord {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right]!.eventTimeMs < heap[left]!.eventTimeMs ? right : left;
        if (heap[child]!.eventTimeMs >= last.eventTimeMs) break;
        heap[index] = heap[child]!;
        index = child;
      }
      heap[index] = last;
    }
    return top;
  }
}
