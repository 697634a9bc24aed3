/**
 * Alerts on patterns, never on single events: each condition is evaluated at the end of
 * every bucket over a sliding window of the buckets before it, and reported with the
 * moments it started firing. Thresholds have documented defaults and can be overridden
 * by name (`--alert name=value`, or a JSON object of them).
 */
import type { Aggregate, Gauge } from "./aggregate.js";
import { BREAKER_LEVEL } from "./aggregate.js";
import { ReportThresholdError } from "./errors.js";

export interface Thresholds {
  /** The sliding window every alert looks back over. */
  readonly windowMs: number;
  /** Quota exhaustion: a quota at or above this share of its limit ... */
  readonly quotaUsedRatio: number;
  /** ... in at least this many of the window's buckets. */
  readonly quotaMinBuckets: number;
  /** Sustained 429s: this share of the window's attempts answered 429 ... */
  readonly throttleRate: number;
  /** ... and at least this many of them. */
  readonly throttleMinCount: number;
  /** Retry queue growth: retries in the window at least this many times the window before ... */
  readonly retryGrowthFactor: number;
  /** ... and at least this many; or the outbox's pending intents grew by `outboxPendingGrowth` in the window. */
  readonly retryMinCount: number;
  readonly outboxPendingGrowth: number;
  /** Tenant starvation: a tenant that waited for quota at least `starvationMinWaits` times in the window while its share stayed under this part of its fair share. */
  readonly starvationShareRatio: number;
  readonly starvationMinWaits: number;
  /** Cache staleness: at least this many stale answers served in place of failures in the window, ... */
  readonly staleMinCount: number;
  /** ... or one older than this. */
  readonly staleMaxAgeMs: number;
  /** Breaker open: this many transitions to open in the window (or a breaker still open). */
  readonly breakerOpens: number;
  /** Dead letters: this many new dead letters in the window. */
  readonly deadLetters: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  windowMs: 60_000,
  quotaUsedRatio: 0.95,
  quotaMinBuckets: 3,
  throttleRate: 0.05,
  throttleMinCount: 5,
  retryGrowthFactor: 2,
  retryMinCount: 10,
  outboxPendingGrowth: 10,
  starvationShareRatio: 0.5,
  starvationMinWaits: 3,
  staleMinCount: 3,
  staleMaxAgeMs: 300_000,
  breakerOpens: 1,
  deadLetters: 1,
};

/** The defaults with `overrides` applied; a name that is not a threshold, or a value that is not a positive number, is refused. */
export function thresholdsWith(overrides: Readonly<Record<string, unknown>>): Thresholds {
  const out: Record<string, number> = { ...DEFAULT_THRESHOLDS };
  for (const [name, value] of Object.entries(overrides)) {
    if (!Object.hasOwn(DEFAULT_THRESHOLDS, name)) throw new ReportThresholdError(`"${name}" is not an alert threshold (known: ${Object.keys(DEFAULT_THRESHOLDS).join(", ")})`);
    const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    if (typeof number !== "number" || !Number.isFinite(number) || number <= 0) throw new ReportThresholdError(`alert threshold ${name} must be a number above 0, got ${JSON.stringify(value)}`);
    out[name] = number;
  }
  return out as unknown as Thresholds;
}

/** Which plot an alert's moments are marked on. */
export type PlotId = "quota" | "throttling" | "waits" | "breakers" | "tenants" | "outbox" | "latency" | "cache";

export interface Firing {
  /** Epoch ms: the end of the bucket where the condition first held. */
  readonly from: number;
  /** Epoch ms: the end of the last bucket where it held. */
  readonly to: number;
}

export interface AlertResult {
  readonly id: string;
  readonly title: string;
  /** The condition with its thresholds, in words. */
  readonly condition: string;
  readonly plot: PlotId;
  /** Whether the condition held at the end of the log. */
  readonly firing: boolean;
  readonly fired: readonly Firing[];
}

interface AlertRule {
  readonly id: string;
  readonly title: string;
  readonly plot: PlotId;
  condition(t: Thresholds): string;
  /** Whether the condition holds over the window of buckets [from, to]. */
  holds(a: Aggregate, t: Thresholds, from: number, to: number): boolean;
}

const seconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
const percent = (ratio: number): string => `${Math.round(ratio * 1000) / 10} %`;

const RULES: readonly AlertRule[] = [
  {
    id: "quota-exhaustion",
    title: "Quota exhaustion",
    plot: "quota",
    condition: (t) => `a client_id's quota at ≥ ${percent(t.quotaUsedRatio)} of its limit in ≥ ${t.quotaMinBuckets} buckets of ${seconds(t.windowMs)}`,
    holds: (a, t, from, to) => {
      // Buckets coarser than the window allows (a long log): every bucket of the window then.
      const needed = Math.min(t.quotaMinBuckets, Math.max(1, Math.round(t.windowMs / a.bucketMs)));
      return a.quota.some((q) => {
        let full = 0;
        for (let i = from; i <= to; i++) if (q.used[i] != null && q.limit[i] != null && q.used[i]! >= t.quotaUsedRatio * q.limit[i]!) full++;
        return full >= needed;
      });
    },
  },
  {
    id: "sustained-429",
    title: "Sustained 429s",
    plot: "throttling",
    condition: (t) => `≥ ${percent(t.throttleRate)} of attempts answered 429 (and ≥ ${t.throttleMinCount} of them) over ${seconds(t.windowMs)}`,
    holds: (a, t, from, to) => {
      const throttled = sum(a.throttled, from, to);
      return throttled >= t.throttleMinCount && throttled >= t.throttleRate * sum(a.attempts, from, to);
    },
  },
  {
    id: "retry-queue-growth",
    title: "Retry queue growth",
    plot: "throttling",
    condition: (t) => `retries in ${seconds(t.windowMs)} ≥ ${t.retryGrowthFactor}× the ${seconds(t.windowMs)} before (and ≥ ${t.retryMinCount}), or outbox pending up by ≥ ${t.outboxPendingGrowth}`,
    holds: (a, t, from, to) => {
      // Growth needs a whole window before this one to grow from: none in the log's first window.
      const earlier = 2 * from - to - 1;
      if (earlier >= 0) {
        const now = sum(a.retries, from, to);
        const before = sum(a.retries, earlier, from - 1);
        if (now >= t.retryMinCount && now >= t.retryGrowthFactor * before) return true;
      }
      return a.outbox !== undefined && growth(a.outbox.pending, from, to) >= t.outboxPendingGrowth;
    },
  },
  {
    id: "tenant-starvation",
    title: "Tenant starvation",
    plot: "tenants",
    condition: (t) => `a tenant waited for quota ≥ ${t.starvationMinWaits} times in ${seconds(t.windowMs)} while its share stayed under ${percent(t.starvationShareRatio)} of its fair share`,
    holds: (a, t, from, to) =>
      a.tenants.some((tenant) => {
        if (sum(tenant.waits, from, to) < t.starvationMinWaits) return false;
        const share = mean(tenant.share, from, to);
        const fair = mean(tenant.fair, from, to);
        return share !== undefined && fair !== undefined && share < t.starvationShareRatio * fair;
      }),
  },
  {
    id: "cache-staleness",
    title: "Cache staleness",
    plot: "cache",
    condition: (t) => `≥ ${t.staleMinCount} stale answers served in place of failures in ${seconds(t.windowMs)}, or one older than ${seconds(t.staleMaxAgeMs)}`,
    holds: (a, t, from, to) => {
      if (sum(a.cache.stale, from, to) >= t.staleMinCount) return true;
      for (let i = from; i <= to; i++) if ((a.cache.staleAgeMs[i] ?? 0) > t.staleMaxAgeMs) return true;
      return false;
    },
  },
  {
    id: "breaker-open",
    title: "Breaker open",
    plot: "breakers",
    condition: (t) => `≥ ${t.breakerOpens} breaker transitions to open in ${seconds(t.windowMs)}, or a breaker still open`,
    holds: (a, t, from, to) => a.breakers.some((b) => b.state[to] === BREAKER_LEVEL.open || sum(b.opened, from, to) >= t.breakerOpens),
  },
  {
    id: "dead-letters",
    title: "Dead letters",
    plot: "outbox",
    condition: (t) => `≥ ${t.deadLetters} new dead letters in the outbox in ${seconds(t.windowMs)}`,
    holds: (a, t, from, to) => a.outbox !== undefined && growth(a.outbox.dead, from, to, 0) >= t.deadLetters,
  },
];

export function evaluateAlerts(a: Aggregate, t: Thresholds = DEFAULT_THRESHOLDS): AlertResult[] {
  const span = Math.max(1, Math.round(t.windowMs / a.bucketMs));
  const end = (i: number): number => a.times[i]! + a.bucketMs;
  return RULES.map((rule) => {
    const fired: Firing[] = [];
    let open: { from: number; to: number } | undefined;
    for (let i = 0; i < a.times.length; i++) {
      if (rule.holds(a, t, Math.max(0, i - span + 1), i)) {
        if (open === undefined) fired.push((open = { from: end(i), to: end(i) }));
        else open.to = end(i);
      } else {
        open = undefined;
      }
    }
    return { id: rule.id, title: rule.title, condition: rule.condition(t), plot: rule.plot, firing: open !== undefined, fired };
  });
}

function sum(values: readonly number[], from: number, to: number): number {
  let total = 0;
  for (let i = Math.max(0, from); i <= to; i++) total += values[i] ?? 0;
  return total;
}

function mean(values: Gauge, from: number, to: number): number | undefined {
  let total = 0;
  let n = 0;
  for (let i = from; i <= to; i++) {
    if (values[i] === null || values[i] === undefined) continue;
    total += values[i]!;
    n++;
  }
  return n === 0 ? undefined : total / n;
}

/**
 * How much a gauge rose over the window: its last reading in it, less the last reading
 * before it (or the first in it; `floor` when given, for a count that starts from nothing).
 */
function growth(values: Gauge, from: number, to: number, floor?: number): number {
  let before: number | undefined = floor;
  for (let i = from - 1; i >= 0; i--) {
    if (values[i] != null) {
      before = values[i]!;
      break;
    }
  }
  let last: number | undefined;
  for (let i = from; i <= to; i++) {
    if (values[i] == null) continue;
    before ??= values[i]!;
    last = values[i]!;
  }
  return last === undefined || before === undefined ? 0 : last - before;
}
