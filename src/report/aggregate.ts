/**
 * Events into time buckets, the shape both the plots and the alerts read: counts and sums
 * per bucket, the last reading of a gauge per bucket (null where nothing was read), and
 * the latency percentiles of the attempts that ended in each bucket.
 */
import type { OutboxEvent, RecordedEvent, TelemetryEvent } from "../runtime/core/telemetry.js";

/** A value per bucket; null where the bucket saw no reading. */
export type Gauge = (number | null)[];

export interface QuotaSeries {
  /** provider:client_id. */
  readonly scope: string;
  readonly limit: Gauge;
  /** The most used in the window seen in each bucket. */
  readonly used: Gauge;
}

export interface TenantSeries {
  readonly tenant: string;
  /** The tenant's part of what was used in the window (0–1). */
  readonly share: Gauge;
  /** Its weight over the weights of the tenants using the quota in the window (0–1). */
  readonly fair: Gauge;
  /** Quota waits of its calls per bucket. */
  readonly waits: number[];
}

export const BREAKER_LEVEL: Readonly<Record<string, number>> = { closed: 0, "half-open": 1, open: 2 };

export interface Aggregate {
  /** Epoch ms of the first bucket's start; buckets are `bucketMs` long. */
  readonly start: number;
  readonly bucketMs: number;
  /** Start of each bucket, epoch ms. */
  readonly times: readonly number[];
  readonly events: number;
  readonly quota: readonly QuotaSeries[];
  readonly attempts: number[];
  readonly throttled: number[];
  readonly retries: number[];
  readonly quotaWaitMs: number[];
  readonly backoffMs: number[];
  /** 0 closed, 1 half-open, 2 open, at the end of each bucket; `opened` counts transitions to open. */
  readonly breakers: ReadonlyArray<{ readonly group: string; readonly state: Gauge; readonly opened: number[] }>;
  readonly tenants: readonly TenantSeries[];
  /** Undefined when the log holds no outbox event. */
  readonly outbox?: { readonly pending: Gauge; readonly dead: Gauge };
  readonly latency: { readonly p50: Gauge; readonly p95: Gauge; readonly p99: Gauge };
  readonly cache: { readonly hits: number[]; readonly stale: number[]; readonly staleAgeMs: Gauge };
}

export interface AggregateOptions {
  /** Most buckets over the whole log (each bucket a round number of ms). Default 100. */
  readonly maxBuckets?: number;
}

/** Round bucket lengths, so axes and windows read naturally. */
const STEPS = [100, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 86_400_000];

export function bucketLength(spanMs: number, maxBuckets: number): number {
  return STEPS.find((step) => spanMs / step <= maxBuckets) ?? Math.ceil(spanMs / maxBuckets);
}

/** Events must be sorted by time (as `readEvents` gives them). */
export function aggregate(events: readonly RecordedEvent[], options: AggregateOptions = {}): Aggregate {
  const first = events[0]?.time ?? 0;
  const last = events[events.length - 1]?.time ?? first;
  const bucketMs = bucketLength(Math.max(1, last - first), options.maxBuckets ?? 100);
  const start = Math.floor(first / bucketMs) * bucketMs;
  const count = Math.floor((last - start) / bucketMs) + 1;
  const zeros = (): number[] => new Array<number>(count).fill(0);
  const gauge = (): Gauge => new Array<number | null>(count).fill(null);
  const at = (time: number): number => Math.min(count - 1, Math.max(0, Math.floor((time - start) / bucketMs)));

  const attempts = zeros(), throttled = zeros(), retries = zeros(), quotaWaitMs = zeros(), backoffMs = zeros();
  const hits = zeros(), stale = zeros(), staleAgeMs = gauge();
  const durations: number[][] = Array.from({ length: count }, () => []);
  const quota = new Map<string, QuotaSeries>();
  const breakers = new Map<string, { group: string; state: Gauge; opened: number[]; initial: number }>();
  const tenantUse = new Map<string, { used: Gauge; total: Gauge; weight: number; waits: number[] }>();
  let quotaWindowMs = 0;
  let outbox: { pending: Gauge; dead: Gauge } | undefined;

  for (const event of events) {
    const i = at(event.time);
    if (event.type === "outbox") {
      outbox ??= { pending: gauge(), dead: gauge() };
      noteOutbox(outbox, i, event);
      continue;
    }
    switch (event.type) {
      case "attempt":
        attempts[i]!++;
        if (event.status === 429) throttled[i]!++;
        durations[i]!.push(event.durationMs);
        break;
      case "retry":
        retries[i]!++;
        backoffMs[i]! += event.delayMs;
        break;
      case "rate-limit-wait":
        quotaWaitMs[i]! += event.waitMs;
        if (event.tenant !== undefined) tenantOf(event.tenant, 1).waits[i]!++;
        break;
      case "breaker": {
        let series = breakers.get(event.group);
        if (series === undefined) breakers.set(event.group, (series = { group: event.group, state: gauge(), opened: zeros(), initial: BREAKER_LEVEL[event.from] ?? 0 }));
        series.state[i] = BREAKER_LEVEL[event.to] ?? 0;
        if (event.to === "open") series.opened[i]!++;
        break;
      }
      case "cache":
        if (event.result === "hit") hits[i]!++;
        if (event.result === "stale") {
          stale[i]!++;
          if (event.ageMs !== undefined) staleAgeMs[i] = Math.max(staleAgeMs[i] ?? 0, event.ageMs);
        }
        break;
      case "quota":
        noteQuota(event, i);
        break;
      default:
        break;
    }
  }

  function noteQuota(event: Extract<TelemetryEvent, { type: "quota" }>, i: number): void {
    let series = quota.get(event.scope);
    if (series === undefined) quota.set(event.scope, (series = { scope: event.scope, limit: gauge(), used: gauge() }));
    series.limit[i] = event.limit;
    series.used[i] = Math.max(series.used[i] ?? 0, event.used);
    quotaWindowMs = Math.max(quotaWindowMs, event.windowMs);
    if (event.tenant === undefined || event.tenantUsed === undefined) return;
    const tenant = tenantOf(event.tenant, event.tenantWeight ?? 1);
    tenant.used[i] = event.tenantUsed;
    tenant.total[i] = event.used;
    tenant.weight = event.tenantWeight ?? tenant.weight;
  }

  function tenantOf(name: string, weight: number) {
    let tenant = tenantUse.get(name);
    if (tenant === undefined) tenantUse.set(name, (tenant = { used: gauge(), total: gauge(), weight, waits: zeros() }));
    return tenant;
  }

  const p = (q: number) => durations.map((d) => percentile(d, q));
  return {
    start,
    bucketMs,
    times: Array.from({ length: count }, (_, i) => start + i * bucketMs),
    events: events.length,
    quota: [...quota.values()],
    attempts,
    throttled,
    retries,
    quotaWaitMs,
    backoffMs,
    breakers: [...breakers.values()].map(({ group, state, opened, initial }) => ({ group, state: carried(state, initial), opened })),
    tenants: fairShares(tenantUse, Math.max(1, Math.ceil(quotaWindowMs / bucketMs))),
    ...(outbox ? { outbox } : {}),
    latency: { p50: p(0.5), p95: p(0.95), p99: p(0.99) },
    cache: { hits, stale, staleAgeMs },
  };
}

function noteOutbox(outbox: { pending: Gauge; dead: Gauge }, i: number, event: OutboxEvent): void {
  outbox.pending[i] = event.pending;
  outbox.dead[i] = event.dead;
}

/** A state that holds until it changes: each bucket without a transition keeps the last one. */
function carried(values: Gauge, initial: number): Gauge {
  let current = initial;
  return values.map((v) => (current = v ?? current));
}

/**
 * Each tenant's share of the used window, against its fair share: its weight over the
 * weights of the tenants that used the quota within the last `windowBuckets` buckets. No
 * fair share is judged before a full window of history: until then the tenants seen are
 * only those that happened to go first.
 */
function fairShares(tenants: ReadonlyMap<string, { used: Gauge; total: Gauge; weight: number; waits: number[] }>, windowBuckets: number): TenantSeries[] {
  const all = [...tenants.entries()];
  return all.map(([tenant, use]) => {
    const share: Gauge = use.used.map((u, i) => (u === null || !use.total[i] ? null : u / use.total[i]!));
    const fair: Gauge = share.map((s, i) => {
      if (s === null || i < windowBuckets) return null;
      let weights = 0;
      for (const [, other] of all) if (activeWithin(other.used, i, windowBuckets)) weights += other.weight;
      return weights > 0 ? use.weight / weights : null;
    });
    return { tenant, share, fair, waits: use.waits };
  });
}

function activeWithin(used: Gauge, i: number, windowBuckets: number): boolean {
  for (let j = Math.max(0, i - windowBuckets + 1); j <= i; j++) if (used[j] !== null) return true;
  return false;
}

/** The q-th percentile (nearest rank) of the values, or null when there are none. */
export function percentile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
