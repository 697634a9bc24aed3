/**
 * Local leases over a shared quota store: when an instance goes to the shared store, it
 * takes a send for every call waiting behind this one, and, while the window is at most
 * half used, a few spare ones (up to `size` in all), and hands them to its next calls with
 * no round trip. Each is an ordinary send of the shared window, granted by the same rule, so
 * the fleet's window never overfills. What a lease costs the others is bounded: spare sends
 * are taken only from a window with room to spare, at most `size` per instance, and go back
 * when no call took them within `holdMs`. A pause drops the leased sends it covers.
 */
import type { FailoverAnswer } from "./failover-quota-store.js";
import { quietly } from "./fallback.js";
import { extraId, UNBOUNDED, type AcquireAnswer, type AcquireRequest, type Awaitable, type QuotaDemand, type QuotaKnowledge, type QuotaObservation, type QuotaStore } from "./quota-store.js";

export interface LeaseOptions {
  /** Sends taken per round trip when fewer calls wait. Default 4; 1 turns leases off. */
  readonly size?: number;
  /** Longest a leased send waits for a call before it goes back. Default 5 % of the window, 20–250 ms. */
  readonly holdMs?: number;
}

interface Leased {
  readonly id: string;
  readonly at: number;
  readonly signature: string;
  readonly demands: readonly QuotaDemand[];
  readonly expiresAt: number;
  /** Granted by a shared store's local fallback (told to the pacing policy, as the store told it). */
  readonly local: boolean;
}


/** Calls that wait together are taken together, up to this many per round trip. */
const MOST_PER_TRIP = 32;

export class LeasingQuotaStore implements QuotaStore {
  /** Leased sends per quota key, earliest first. */
  private readonly pools = new Map<string, Leased[]>();
  private readonly size: number;
  private sweep: ReturnType<typeof setTimeout> | undefined;
  /** Acquires so far: the sweep gives leases back only once the calls have stopped. */
  private acquires = 0;

  constructor(
    private readonly inner: QuotaStore,
    private readonly options: LeaseOptions = {},
  ) {
    this.size = Math.max(1, Math.floor(options.size ?? 4));
  }

  /**
   * Calls book up to 20 % of the window ahead (at most 250 ms), so that one trip serves
   * the calls queued behind the first, while a more urgent call waits little behind them.
   */
  readonly bookAheadMs = (windowMs: number): number => Math.min(250, windowMs * 0.2);

  acquire(request: AcquireRequest): Awaitable<FailoverAnswer> {
    const { key, now } = request;
    this.acquires++;
    // A send under a quota nobody named is only counted: leasing it would count sends never made (and none is ever pooled).
    if (request.demands.some((d) => d.limit >= UNBOUNDED)) return this.inner.acquire(request);
    const signature = signatureOf(request.demands);
    const pool = this.pools.get(key);
    if (pool) {
      this.dropExpired(key, pool, now);
      const latest = Math.max(now, request.bookUntil ?? now);
      const i = pool.findIndex((l) => l.signature === signature && l.at <= latest);
      if (i >= 0) {
        const [leased] = pool.splice(i, 1);
        return { granted: true, at: leased!.at, id: leased!.id, ...(leased!.local ? { local: true as const } : {}) };
      }
    }
    const count = Math.min(MOST_PER_TRIP, Math.max((request.waiting ?? 0) + 1, request.count ?? 1));
    const spare = Math.max(0, this.size - count);
    if (count <= 1 && spare === 0) return this.inner.acquire(request);
    const pending = this.inner.acquire({ ...request, count, spare });
    return pending instanceof Promise ? pending.then((a) => this.keep(request, signature, a)) : this.keep(request, signature, pending);
  }

  /** Puts the extra sends of a grant in the pool. */
  private keep(request: AcquireRequest, signature: string, answer: FailoverAnswer): FailoverAnswer {
    if (!answer.granted || answer.more === undefined) return answer;
    const local = answer.local === true;
    const holdMs = this.options.holdMs ?? Math.min(250, Math.max(20, 0.05 * Math.max(0, ...request.demands.map((d) => d.windowMs))));
    let pool = this.pools.get(request.key);
    if (!pool) this.pools.set(request.key, (pool = []));
    answer.more.forEach((at, k) => pool.push({ id: extraId(request.id, k + 1), at, signature, demands: request.demands, expiresAt: Math.max(at, request.now) + holdMs, local }));
    pool.sort((a, b) => a.at - b.at);
    this.sweepLater(pool);
    return { granted: true, at: answer.at, ...(local ? { local: true as const } : {}) };
  }

  /** Leased sends nobody took in time go back to the shared window. */
  private dropExpired(key: string, pool: Leased[], now: number): void {
    for (let i = pool.length - 1; i >= 0; i--) {
      const leased = pool[i]!;
      if (leased.expiresAt > now) continue;
      pool.splice(i, 1);
      this.giveBack(key, leased);
    }
  }

  private giveBack(key: string, leased: Leased): void {
    void quietly(() => this.inner.cancel(key, leased.id, leased.demands));
  }

  /**
   * Leases are given back by the clock of the calls that come (deterministic under a fake
   * clock). When the calls stop, this timer gives back what the last ones left, after
   * `holdMs` of real time with no acquire; it keeps no process alive.
   */
  private sweepLater(pool: Leased[]): void {
    if (this.sweep !== undefined || pool.length === 0) return;
    const seen = this.acquires;
    const longest = Math.max(...pool.map((l) => l.expiresAt - l.at));
    this.sweep = setTimeout(() => {
      this.sweep = undefined;
      if (this.acquires !== seen) {
        for (const p of this.pools.values()) this.sweepLater(p);
        return;
      }
      for (const [key, p] of this.pools) for (const leased of p.splice(0)) this.giveBack(key, leased);
    }, longest);
    this.sweep.unref?.();
  }

  settle(key: string, id: string, at: number, demands: readonly QuotaDemand[]): Awaitable<void> {
    return this.inner.settle(key, id, at, demands);
  }

  cancel(key: string, id: string, demands: readonly QuotaDemand[]): Awaitable<void> {
    return this.inner.cancel(key, id, demands);
  }

  pause(key: string, until: number): Awaitable<void> {
    // Leased sends timed before the pause end must not go: they go back instead.
    const pool = this.pools.get(key);
    if (pool) {
      for (let i = pool.length - 1; i >= 0; i--) {
        if (pool[i]!.at >= until) continue;
        this.giveBack(key, pool[i]!);
        pool.splice(i, 1);
      }
    }
    return this.inner.pause(key, until);
  }

  pausedUntil(key: string): Awaitable<number> {
    return this.inner.pausedUntil(key);
  }

  observe(key: string, observation: QuotaObservation, now: number): Awaitable<void> {
    return this.inner.observe(key, observation, now);
  }

  share(key: string, name: string, knowledge: QuotaKnowledge): Awaitable<void> {
    return this.inner.share?.(key, name, knowledge);
  }

  known(key: string): Awaitable<Readonly<Record<string, QuotaKnowledge>>> {
    return this.inner.known?.(key) ?? {};
  }

  usage(key: string, name: string, from: number): Awaitable<number> {
    return this.inner.usage(key, name, from);
  }

  async close(): Promise<void> {
    if (this.sweep !== undefined) clearTimeout(this.sweep);
    this.sweep = undefined;
    for (const [key, pool] of this.pools) for (const leased of pool.splice(0)) await quietly(() => this.inner.cancel(key, leased.id, leased.demands));
    await this.inner.close?.();
  }
}

/** Sends are interchangeable when they ask the same of the same quotas. */
function signatureOf(demands: readonly QuotaDemand[]): string {
  let out = "";
  for (const d of demands) out += `${d.name}\u0001${d.limit}\u0001${d.windowMs}\u0001${d.cost}\u0001${d.reserve ?? 0}\u0002`;
  return out;
}
