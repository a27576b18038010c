import type { QualityFigures } from './contract';
import { CURATED_COLUMN_NAMES, type CuratedRow } from './rows';

/**
 * Arrival-minus-event-time histogram with logarithmic buckets (each 10 % wider than the last,
 * from 1 ms to about 12 days): constant memory however many events an hour has, quantiles
 * within 10 %. Events that arrived before their stated time (client clocks run ahead; up to the
 * accepted skew) count as 0.
 */
export class FreshnessHistogram {
  private static readonly GROWTH = 1.1;
  private static readonly BUCKETS = 220;
  private readonly counts = new Float64Array(FreshnessHistogram.BUCKETS + 1);
  private total = 0;
  private maximum = 0;

  add(delayMs: number): void {
    const delay = Math.max(0, delayMs);
    this.total++;
    if (delay > this.maximum) this.maximum = delay;
    const bucket = delay < 1 ? 0 : Math.min(FreshnessHistogram.BUCKETS, 1 + Math.floor(Math.log(delay) / Math.log(FreshnessHistogram.GROWTH)));
    this.counts[bucket]! += 1;
  }

  /** The `q` quantile (0..1): the upper bound of the bucket it falls in, capped by the maximum seen. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.ceil(q * this.total);
    let seen = 0;
    for (let bucket = 0; bucket <= FreshnessHistogram.BUCKETS; bucket++) {
      seen += this.counts[bucket]!;
      if (seen >= rank) return bucket === 0 ? 0 : Math.min(this.maximum, Math.round(FreshnessHistogram.GROWTH ** bucket));
    }
    return this.maximum;
  }

  get max(): number {
    return this.maximum;
  }
}

/** Collects an hour's figures as the compactor reads raw lines and keeps rows. */
export class QualityAccumulator {
  rawLines = 0;
  malformedLines = 0;
  curatedRows = 0;
  lateEvents = 0;
  forgottenEvents = 0;
  readonly nullCounts: Record<string, number> = Object.fromEntries(CURATED_COLUMN_NAMES.map((name) => [name, 0]));
  readonly unknownFields = new Map<string, number>();
  readonly quarantineByReason = new Map<string, number>();
  private readonly freshness = new FreshnessHistogram();

  constructor(private readonly hourEndMs: number) {}

  rawLine(unknown: readonly string[]): void {
    this.rawLines++;
    for (const field of unknown) this.unknownFields.set(field, (this.unknownFields.get(field) ?? 0) + 1);
  }

  malformedLine(): void {
    this.malformedLines++;
  }

  keptRow(row: CuratedRow): void {
    this.curatedRows++;
    for (const name of CURATED_COLUMN_NAMES) if (row[name as keyof CuratedRow] === null) this.nullCounts[name]! += 1;
    this.freshness.add(row.received_at - row.event_time);
    if (row.received_at >= this.hourEndMs) this.lateEvents++;
  }

  /** Events `forget` removed from the hour (the counters still count them). */
  forgotten(events: number): void {
    this.forgottenEvents += events;
  }

  quarantined(reason: string): void {
    this.quarantineByReason.set(reason, (this.quarantineByReason.get(reason) ?? 0) + 1);
  }

  figures(): QualityFigures {
    return {
      raw_lines: this.rawLines,
      curated_rows: this.curatedRows,
      duplicates_removed: this.rawLines - this.malformedLines - this.curatedRows,
      malformed_lines: this.malformedLines,
      null_counts: { ...this.nullCounts },
      freshness_ms: { p50: this.freshness.quantile(0.5), p99: this.freshness.quantile(0.99), max: this.freshness.max },
      late_events: this.lateEvents,
      unknown_fields: Object.fromEntries([...this.unknownFields].sort(([a], [b]) => a.localeCompare(b))),
      quarantine_by_reason: Object.fromEntries([...this.quarantineByReason].sort(([a], [b]) => a.localeCompare(b))),
      forgotten_events: this.forgottenEvents,
    };
  }
}

/** Null rate (0..1) of every curated column. */
export function nullRates(figures: QualityFigures): Record<string, number> {
  return Object.fromEntries(Object.entries(figures.null_counts).map(([name, count]) => [name, figures.curated_rows === 0 ? 0 : count / figures.curated_rows]));
}

export interface QualityVerdict {
  /** Curated rows plus forgotten events equal the accepted events the counters hold for the hour (null: counters not read). */
  countsAgree: boolean | null;
  /** Accepted events minus curated rows minus forgotten events (positive: the lake is missing events). */
  countDifference: number | null;
  freshnessBreached: boolean;
}

/** The checks an alarm watches: counts against the counters table, and the p99 freshness threshold. */
export function judge(figures: QualityFigures, acceptedEvents: number | null, freshnessP99ThresholdMs: number): QualityVerdict {
  return {
    countsAgree: acceptedEvents === null ? null : acceptedEvents === figures.curated_rows + (figures.forgotten_events ?? 0),
    countDifference: acceptedEvents === null ? null : acceptedEvents - figures.curated_rows - (figures.forgotten_events ?? 0),
    freshnessBreached: figures.freshness_ms.p99 > freshnessP99ThresholdMs,
  };
}
