import { describe, expect, it } from "@jest/globals";
import { afterQuiet, afterThrottle, windowAfterThrottle, type ProbedQuota } from "../../src/runtime/policies/quota-probe.js";

/** Quiet windows, one answer at the end of each: the limits the estimate takes. */
function quietFor(q: ProbedQuota, windows: number): { q: ProbedQuota; limits: number[]; at: number } {
  const limits: number[] = [];
  let at = Math.max(q.changedAt, q.throttledAt);
  for (let i = 1; i <= windows; i++) {
    at += q.windowMs;
    q = afterQuiet(q, at);
    limits.push(q.limit);
  }
  return { q, limits, at };
}

describe("learning a quota from 429s", () => {
  it("takes the window from Retry-After, never under a second", () => {
    expect(windowAfterThrottle(undefined)).toBe(1_000);
    expect(windowAfterThrottle(400)).toBe(1_000);
    expect(windowAfterThrottle(30_000)).toBe(30_000);
    expect(windowAfterThrottle(1_500)).toBe(2_000);
  });

  /** An estimate climbing from 90 (after the quota shrank). */
  const climbing: ProbedQuota = { limit: 90, windowMs: 1_000, changedAt: 0, throttledAt: 0, phase: "climb", probeEvery: 20 };

  it("starts at what the server accepted in the window before the first 429 (the quota is at least that), held there", () => {
    const first = afterThrottle(100, 1_000, 0, undefined, 1_000);
    expect(first).toEqual({ limit: 100, good: 100, windowMs: 1_000, changedAt: 0, throttledAt: 1_000, phase: "hold", probeEvery: 20 });
    // Twenty windows after the 429 (its pause included), one more is tried: a probe that
    // fails costs the fleet a pause, so it costs at most 5 % of the quota.
    const limits = quietFor(first, 20).limits;
    expect(limits.indexOf(101)).toBe(18);
    expect(limits.slice(0, 18).every((l) => l === 100)).toBe(true);
  });

  it("climbs 5 % per quiet window while climbing", () => {
    expect(afterQuiet(climbing, 999)).toBe(climbing);
    expect(quietFor(climbing, 3).limits).toEqual([95, 100, 105]);
  });

  it("above the proven pace, a 429 returns to it; probes after 20 quiet windows, then 40, 80 …", () => {
    let q = quietFor(climbing, 2).q; // 100, proven 95
    q = afterThrottle(99, 1_000, q.changedAt + 1_000, q);
    expect(q).toMatchObject({ limit: 95, good: 95, phase: "hold", probeEvery: 20 });
    const held = quietFor(q, 20);
    expect(held.limits.slice(0, 19).every((l) => l === 95)).toBe(true);
    expect(held.limits[19]).toBe(96);
    q = afterThrottle(96, 1_000, held.q.changedAt + 500, held.q);
    expect(q).toMatchObject({ limit: 96, throttledAt: held.q.changedAt + 500 }); // within a window of the change: the same overshoot
    expect(afterQuiet(q, held.q.changedAt + 1_200)).toBe(q); // and that window was not quiet
    q = afterThrottle(96, 1_000, held.q.changedAt + 1_000, held.q);
    expect(q).toMatchObject({ limit: 95, phase: "hold", probeEvery: 40 });
  });

  it("a 429 at a proven pace means the quota shrank: 90 % of it, climbing again", () => {
    const settled: ProbedQuota = { limit: 95, good: 95, windowMs: 1_000, changedAt: 0, throttledAt: 0, phase: "hold", probeEvery: 40 };
    expect(afterThrottle(95, 1_000, 5_000, settled)).toMatchObject({ limit: 85, phase: "climb", probeEvery: 20 });
  });
});
