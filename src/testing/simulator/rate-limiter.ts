/**
 * The provider's rate limiter, as the clinic provider documents its quota: requests
 * counted per OAuth client_id in a sliding window; a request over the limit is rejected
 * (and not counted) with the seconds until the window frees a slot. A sliding *log* gives the
 * exact answer: the oldest counted request leaving the window is what frees a slot.
 */
export interface RateLimitConfig {
  readonly limit: number;
  readonly windowMs: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  /** Requests left in the window after this one. */
  readonly remaining: number;
  /** Milliseconds until a slot frees (0 when one is free now). */
  readonly retryAfterMs: number;
  /** Milliseconds until the window is entirely free again. */
  readonly resetMs: number;
}

export class SlidingWindowLimiter {
  private readonly logs = new Map<string, number[]>();

  constructor(readonly config: RateLimitConfig) {}

  take(key: string, now: number): RateDecision {
    const { limit, windowMs } = this.config;
    const log = this.prune(key, now);
    if (log.length >= limit) {
      const retryAfterMs = log[0]! + windowMs - now;
      return { allowed: false, limit, remaining: 0, retryAfterMs, resetMs: log[log.length - 1]! + windowMs - now };
    }
    log.push(now);
    const remaining = limit - log.length;
    return {
      allowed: true,
      limit,
      remaining,
      retryAfterMs: remaining > 0 ? 0 : log[0]! + windowMs - now,
      resetMs: log[log.length - 1]! + windowMs - now,
    };
  }

  reset(): void {
    this.logs.clear();
  }

  private prune(key: string, now: number): number[] {
    let log = this.logs.get(key);
    if (!log) {
      log = [];
      this.logs.set(key, log);
    }
    const cutoff = now - this.config.windowMs;
    let drop = 0;
    while (drop < log.length && log[drop]! <= cutoff) drop++;
    if (drop > 0) log.splice(0, drop);
    return log;
  }
}

export type RateLimitHeaderStyle = "none" | "x-ratelimit" | "ietf";

/** Rate-limit headers in the chosen style (Retry-After is always set on a 429 by the caller). */
export function rateLimitHeaders(style: RateLimitHeaderStyle, decision: RateDecision, config: RateLimitConfig, now: number): Record<string, string> {
  const resetSeconds = Math.ceil(decision.resetMs / 1000);
  switch (style) {
    case "none":
      return {};
    case "x-ratelimit":
      return {
        "x-ratelimit-limit": String(decision.limit),
        "x-ratelimit-remaining": String(decision.remaining),
        // Epoch seconds, as GitHub and most providers send it.
        "x-ratelimit-reset": String(Math.ceil((now + decision.resetMs) / 1000)),
      };
    case "ietf": {
      // draft-ietf-httpapi-ratelimit-headers-08: quota policy and current state.
      const windowSeconds = Math.round(config.windowMs / 1000);
      const t = decision.allowed && decision.remaining > 0 ? resetSeconds : Math.ceil(decision.retryAfterMs / 1000);
      return {
        "ratelimit-policy": `"default";q=${decision.limit};w=${windowSeconds}`,
        ratelimit: `"default";r=${decision.remaining};t=${Math.max(0, t)}`,
      };
    }
  }
}
