/**
 * Backoff delays and the retry budget.
 *
 * Full jitter (a uniform draw in [0, min(cap, base·2ⁿ)]) spreads retries of many
 * clients best; decorrelated jitter is the option for long outages. The retry budget
 * caps retries at a share of recent traffic, so an outage cannot multiply load.
 */

export type JitterStrategy = "full" | "decorrelated";

export interface BackoffOptions {
  readonly baseMs: number;
  readonly capMs: number;
  readonly strategy: JitterStrategy;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 20_000, strategy: "full" };

/** Delay before retry number `retry` (1-based); `previousMs` is the last delay (decorrelated only). */
export function backoffDelay(retry: number, previousMs: number, options: BackoffOptions, random: () => number): number {
  // The cap always wins, even over a base configured above it.
  const cap = Math.max(0, options.capMs);
  const base = Math.min(Math.max(0, options.baseMs), cap);
  const r = clamp01(random());
  if (options.strategy === "decorrelated") {
    const upper = Math.min(cap, Math.max(base, previousMs * 3));
    return Math.min(cap, base + r * (upper - base));
  }
  const exponent = Math.min(Math.max(0, retry - 1), 30);
  return r * Math.min(cap, base * 2 ** exponent);
}

/**
 * Waits on top of a server's Retry-After: never less than asked (providers
 * say to respect it exactly; coming back early earns another 429), plus up to 10 % (at most 1 s) so clients that were throttled
 * together do not come back together.
 */
export function jitterAbove(waitMs: number, random: () => number): number {
  return waitMs + clamp01(random()) * Math.min(1_000, waitMs * 0.1);
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0;
}

export interface RetryBudgetOptions {
  /**
   * Retries allowed per request in the window. Default 0.2, Finagle's figure: it must sit
   * above the fault rate of a degraded but working provider (a 15 % fault rate needs about
   * 18 % retries to complete), while in a full outage it caps traffic at 1.2× until the
   * breaker opens and stops sending altogether.
   */
  readonly ratio: number;
  /** Retries always allowed per second of the window, so a quiet client can still retry (Finagle's minRetriesPerSec). Default 10. */
  readonly floorPerSecond: number;
  readonly windowMs: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudgetOptions = { ratio: 0.2, floorPerSecond: 10, windowMs: 10_000 };

/** Counts first attempts and retries in a sliding window of one-second buckets. */
export class RetryBudget {
  private readonly buckets = new Map<number, { requests: number; retries: number }>();

  constructor(readonly options: RetryBudgetOptions = DEFAULT_RETRY_BUDGET) {}

  recordRequest(now: number): void {
    this.bucket(now).requests++;
  }

  /** Takes one retry from the budget if there is one. */
  tryRetry(now: number): boolean {
    let requests = 0;
    let retries = 0;
    const oldest = Math.floor((now - this.options.windowMs) / 1000);
    for (const [second, b] of this.buckets) {
      if (second <= oldest) this.buckets.delete(second);
      else {
        requests += b.requests;
        retries += b.retries;
      }
    }
    const floor = (this.options.floorPerSecond * this.options.windowMs) / 1000;
    if (retries >= floor + this.options.ratio * requests) return false;
    this.bucket(now).retries++;
    return true;
  }

  private bucket(now: number) {
    const second = Math.floor(now / 1000);
    let b = this.buckets.get(second);
    if (!b) {
      // A new second: drop the buckets that left the window, so a client that never
      // retries (and so never runs tryRetry's pass) keeps a window's worth, not its history.
      const oldest = Math.floor((now - this.options.windowMs) / 1000);
      for (const old of this.buckets.keys()) if (old <= oldest) this.buckets.delete(old);
      this.buckets.set(second, (b = { requests: 0, retries: 0 }));
    }
    return b;
  }

  /** Seconds the budget remembers (for tests: bounded by the window). */
  get size(): number {
    return this.buckets.size;
  }
}
