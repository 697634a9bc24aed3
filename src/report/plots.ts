/**
 * The plots of the report as data: for each, its series (label, colour, dashes) and the
 * values uPlot draws (x in seconds since the epoch, as uPlot's time axis wants), or a note
 * saying why it has none. The alerts' moments are carried to the plot each one names.
 */
import type { Aggregate, Gauge } from "./aggregate.js";
import type { AlertResult, PlotId } from "./alerts.js";

export interface SeriesSpec {
  readonly label: string;
  readonly color: string;
  readonly dash?: readonly number[];
  /** Drawn as steps (a state), not lines. */
  readonly stepped?: boolean;
}

export interface PlotSpec {
  readonly id: PlotId;
  readonly title: string;
  readonly unit: string;
  readonly series: readonly SeriesSpec[];
  /** [x, ...one array per series]; empty when `note` says why there is nothing to draw. */
  readonly data: ReadonlyArray<ReadonlyArray<number | null>>;
  /** Non-null values over all series. */
  readonly points: number;
  /** Why the plot has no data, shown in its place. */
  readonly note?: string;
  /** When alerts fired, marked as bands: epoch seconds. */
  readonly marks: ReadonlyArray<{ readonly alert: string; readonly from: number; readonly to: number }>;
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];
const colour = (i: number): string => PALETTE[i % PALETTE.length]!;
const DASHED = [6, 4] as const;

/** A series in colour `i` of the palette; dashed for a reference (a limit, a fair share). */
function line(label: string, i: number, values: Gauge | readonly number[], dashed = false): Line {
  return { spec: { label, color: colour(i), ...(dashed ? { dash: DASHED } : {}) }, values };
}

interface Line {
  readonly spec: SeriesSpec;
  readonly values: Gauge | readonly number[];
}

export function plotsOf(a: Aggregate, alerts: readonly AlertResult[]): PlotSpec[] {
  const seconds = a.times.map((t) => t / 1000);
  const plot = (id: PlotId, title: string, unit: string, lines: readonly Line[], note: string): PlotSpec => {
    const points = lines.reduce((n, l) => n + l.values.filter((v) => v !== null).length, 0);
    const marks = alerts.filter((al) => al.plot === id).flatMap((al) => al.fired.map((f) => ({ alert: al.title, from: f.from / 1000 - a.bucketMs / 1000, to: f.to / 1000 })));
    if (lines.length === 0 || points === 0) return { id, title, unit, series: [], data: [], points: 0, note, marks };
    return { id, title, unit, series: lines.map((l) => l.spec), data: [seconds, ...lines.map((l) => [...l.values])], points, marks };
  };
  const ms = (values: readonly number[]) => values.map((v) => v / 1000);
  const pct = (values: Gauge) => values.map((v) => (v === null ? null : Math.round(v * 1000) / 10));
  const outboxLines = a.outbox === undefined ? [] : [line("pending", 0, a.outbox.pending), line("dead letters", 1, a.outbox.dead)];
  // Hits and stale answers are counts, zero in every bucket without: a cache that never served draws nothing.
  const cacheServed = a.cache.hits.some((n) => n > 0) || a.cache.stale.some((n) => n > 0);
  const cacheLines = cacheServed ? [line("hits", 2, a.cache.hits), line("stale in place of a failure", 1, a.cache.stale)] : [];
  return [
    plot(
      "quota",
      "Quota use against the limit, per client_id",
      "units in the window",
      a.quota.flatMap((q, i) => [
        line(`${q.scope} used`, i, q.used),
        line(`${q.scope} limit`, i, q.limit, true),
      ]),
      "no quota events: no call was paced under a known quota",
    ),
    plot(
      "throttling",
      "429s and retries",
      "per bucket",
      [
        line("answered 429", 1, a.throttled),
        line("retries", 3, a.retries),
        line("attempts", 8, a.attempts, true),
      ],
      "no attempts",
    ),
    plot(
      "waits",
      "Waits: quota and backoff",
      "seconds waited per bucket",
      [
        line("quota wait", 0, ms(a.quotaWaitMs)),
        line("backoff (retry delay)", 3, ms(a.backoffMs)),
      ],
      "no waits",
    ),
    plot(
      "breakers",
      "Breaker state per endpoint group (0 closed, 1 half-open, 2 open)",
      "state",
      a.breakers.map((b, i) => ({ spec: { label: b.group, color: colour(i), stepped: true }, values: b.state })),
      "no breaker transitions: every endpoint group stayed closed",
    ),
    plot(
      "tenants",
      "Per-tenant share of the quota against fair share",
      "% of the window's use",
      a.tenants.flatMap((t, i) => [
        line(`${t.tenant} share`, i, pct(t.share)),
        line(`${t.tenant} fair share`, i, pct(t.fair), true),
      ]),
      "no tenant events: no client named a tenant",
    ),
    plot(
      "outbox",
      "Outbox and dead letters",
      "intents",
      outboxLines,
      "no outbox events",
    ),
    plot(
      "latency",
      "Attempt latency percentiles",
      "ms",
      [
        line("p50", 2, a.latency.p50),
        line("p95", 3, a.latency.p95),
        line("p99", 1, a.latency.p99),
      ],
      "no attempts",
    ),
    plot(
      "cache",
      "Cache: hits and stale answers",
      "per bucket",
      cacheLines,
      "no cache events",
    ),
  ];
}
