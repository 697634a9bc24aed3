/**
 * A quota measured in points, as providers that price their calls keep one beside the
 * request count: each request spends its price, and the sum in a sliding window per client
 * stays under the limit. A request that does not fit is refused and spends nothing. With
 * several quotas, the IETF RateLimit fields name each policy:
 *   RateLimit: "requests";r=50;t=30, "fhirInteractions";r=4000;t=30
 *   RateLimit-Policy: "requests";q=100;w=60, "fhirInteractions";q=5000;w=60
 */
import type { RateDecision, RateLimitConfig } from "./rate-limiter.js";

export interface PointsQuotaOptions {
  /** Points per window. */
  readonly limit: number;
  readonly windowSeconds: number;
  /** The policy name in the RateLimit fields. */
  readonly name?: string;
}

export class WeightedWindowLimiter {
  private readonly logs = new Map<string, Array<{ at: number; cost: number }>>();

  constructor(readonly config: RateLimitConfig) {}

  /** Spends `cost` when it fits now; else refuses, with when enough will have left the window. */
  take(key: string, cost: number, now: number): RateDecision {
    const { limit, windowMs } = this.config;
    const log = this.prune(key, now);
    let used = 0;
    for (const send of log) used += send.cost;
    if (used + cost > limit) {
      // Enough of the oldest must leave the window; a cost above the whole limit never fits (a window is the honest wait).
      let mustFree = used + cost - limit;
      let retryAfterMs = windowMs;
      for (const send of log) {
        mustFree -= send.cost;
        if (mustFree <= 0) {
          retryAfterMs = send.at + windowMs - now;
          break;
        }
      }
      if (cost > limit) retryAfterMs = windowMs;
      const resetMs = log.length > 0 ? log[log.length - 1]!.at + windowMs - now : 0;
      return { allowed: false, limit, remaining: Math.max(0, limit - used), retryAfterMs, resetMs };
    }
    log.push({ at: now, cost });
    const remaining = limit - used - cost;
    return { allowed: true, limit, remaining, retryAfterMs: remaining > 0 ? 0 : log[0]!.at + windowMs - now, resetMs: windowMs };
  }

  /** The window as it stands, spending nothing (for the fields of an answer that spent no points). */
  peek(key: string, now: number): RateDecision {
    const { limit, windowMs } = this.config;
    const log = this.prune(key, now);
    let used = 0;
    for (const send of log) used += send.cost;
    const resetMs = log.length > 0 ? log[log.length - 1]!.at + windowMs - now : 0;
    return { allowed: used < limit, limit, remaining: Math.max(0, limit - used), retryAfterMs: used < limit ? 0 : log[0]!.at + windowMs - now, resetMs };
  }

  reset(): void {
    this.logs.clear();
  }

  private prune(key: string, now: number): Array<{ at: number; cost: number }> {
    let log = this.logs.get(key);
    if (!log) this.logs.set(key, (log = []));
    let drop = 0;
    while (drop < log.length && log[drop]!.at <= now - this.config.windowMs) drop++;
    if (drop > 0) log.splice(0, drop);
    return log;
  }
}

/** One quota's state for the RateLimit fields. */
export interface PolicyState {
  readonly name: string;
  readonly decision: RateDecision;
  readonly config: RateLimitConfig;
}

/** The RateLimit and RateLimit-Policy fields, one list item per quota. */
export function multiPolicyHeaders(policies: readonly PolicyState[]): Record<string, string> {
  if (policies.length === 0) return {};
  const state = policies.map(({ name, decision }) => {
    // Seconds until the quota is whole again while it has room; until room frees once spent.
    const ms = decision.allowed && decision.remaining > 0 ? decision.resetMs : Math.max(decision.retryAfterMs, 0);
    return `${JSON.stringify(name)};r=${decision.remaining};t=${Math.max(0, Math.ceil(ms / 1000))}`;
  });
  const policy = policies.map(({ name, config }) => `${JSON.stringify(name)};q=${config.limit};w=${Math.max(1, Math.round(config.windowMs / 1000))}`);
  return { ratelimit: state.join(", "), "ratelimit-policy": policy.join(", ") };
}
