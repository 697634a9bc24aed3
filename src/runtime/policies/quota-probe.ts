/**
 * Learning a quota nobody declared: no config, no `x-carewire-rate-limit`, no rate-limit
 * headers, only a 429 with Retry-After now and then. Every 429 costs the whole fleet its
 * Retry-After, so the estimate is built to meet few of them:
 *   - the first 429 starts it at what the server accepted in the window before it: the
 *     quota is at least that, and the 429 says it is not more, so it holds there;
 *   - a window without a 429 proves the pace good; while climbing, each such window adds
 *     5 %;
 *   - a 429 above the best proven pace returns to it and holds there, trying one more only
 *     after `probeEvery` quiet windows, doubled by each probe that fails (a quota that grows
 *     is still found, later each time);
 *   - a 429 at or under a proven pace means the quota shrank: 90 % of it, climbing again.
 * Several 429s of one overshoot (within a window of a change) count once, and a window
 * is quiet only if none of them fell in it.
 */
import type { LearnedQuota } from "./pacing-quota.js";

export interface ProbedQuota extends LearnedQuota {
  /** When the estimate last changed (epoch ms). */
  readonly changedAt: number;
  /** When the pause of the latest 429 ended (epoch ms): a window is quiet only if the fleet sent through it, after that, without a 429. */
  readonly throttledAt: number;
  /** The best pace that went a whole window without a 429. */
  readonly good?: number;
  readonly phase: "climb" | "hold";
  /** Windows to hold before trying one more. */
  readonly probeEvery: number;
}

const DROP = 0.9;
const CLIMB = 0.05;
/** A probe that fails costs the fleet one pause: trying after 20 windows keeps that under 5 %. */
const FIRST_PROBE_WINDOWS = 20;
const MAX_PROBE_WINDOWS = 1_280;
const MIN_WINDOW_MS = 1_000;

/**
 * The window a 429 suggests: a sliding window frees its oldest slot within one window, so
 * the server's Retry-After is at most a window long; never under a second.
 */
export function windowAfterThrottle(retryAfterMs: number | undefined): number {
  return Math.max(MIN_WINDOW_MS, Math.ceil((retryAfterMs ?? 0) / 1000) * 1000);
}

/**
 * The estimate after a 429; `acceptedInWindow` (units the server answered, fleet-wide, in
 * the window before it) starts the first one; `pauseMs` is the server's Retry-After
 * (nothing is sent in it).
 */
export function afterThrottle(acceptedInWindow: number, windowMs: number, now: number, previous: ProbedQuota | undefined, pauseMs = 0): ProbedQuota {
  const throttledAt = now + pauseMs;
  if (previous === undefined) {
    const accepted = Math.max(1, Math.floor(acceptedInWindow));
    return { limit: accepted, good: accepted, windowMs, changedAt: now, throttledAt, phase: "hold", probeEvery: FIRST_PROBE_WINDOWS };
  }
  if (now - previous.changedAt < previous.windowMs) return { ...previous, throttledAt: Math.max(previous.throttledAt, throttledAt) };
  const window = Math.max(windowMs, previous.windowMs);
  if (previous.good !== undefined && previous.limit > previous.good) {
    // Above the proven pace: back to it, and wait longer before the next try.
    const probeEvery = previous.phase === "hold" ? Math.min(MAX_PROBE_WINDOWS, previous.probeEvery * 2) : FIRST_PROBE_WINDOWS;
    return { limit: previous.good, good: previous.good, windowMs: window, changedAt: now, throttledAt, phase: "hold", probeEvery };
  }
  // A pace that was fine (or never proven) met a 429: the quota is smaller than thought.
  return { limit: Math.max(1, Math.floor(previous.limit * DROP)), windowMs: window, changedAt: now, throttledAt, phase: "climb", probeEvery: FIRST_PROBE_WINDOWS };
}

/** The estimate after an answer that was not a 429. */
export function afterQuiet(quota: ProbedQuota, now: number): ProbedQuota {
  const windows = (now - quota.changedAt) / quota.windowMs;
  if (windows < 1 || now - quota.throttledAt < quota.windowMs) return quota;
  const good = Math.max(quota.good ?? 0, quota.limit);
  if (quota.phase === "climb") return { ...quota, good, limit: quota.limit + Math.max(1, Math.ceil(quota.limit * CLIMB)), changedAt: now };
  if (windows < quota.probeEvery) return quota.good === good ? quota : { ...quota, good };
  return { ...quota, good, limit: good + 1, changedAt: now };
}
