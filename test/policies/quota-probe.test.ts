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

  it("starts at 90 % of what the fleet sent before the first 429, and climbs 5 % per quiet window", () => {
    const first = afterThrottle(100, 1_000, 0, undefined);
    expect(first).toEqual({ limit: 90, windowMs: 1_000, changedAt: 0, throttledAt: 0, phase: "climb", probeEvery: 10 });
    expect(afterQuiet(first, 999)).toBe(first);
    expect(quietFor(first, 3).limits).toEqual([95, 100, 105]);
  });

  it("above the proven pace, a 429 returns to it; probes after 10 quiet windows, then 20, 40 …", () => {
    let q = quietFor(afterThrottle(100, 1_000, 0, undefined), 2).q; // 100, proven 95
    q = afterThrottle(99, 1_000, q.changedAt + 1_000, q);
    expect(q).toMatchObject({ limit: 95, good: 95, phase: "hold", probeEvery: 10 });
    const held = quietFor(q, 10);
    expect(held.limits.slice(0, 9).every((l) => l === 95)).toBe(true);
    expect(held.limits[9]).toBe(96);
    q = afterThrottle(96, 1_000, held.q.changedAt + 500, held.q);
    expect(q).toMatchObject({ limit: 96, throttledAt: held.q.changedAt + 500 }); // within a window of the change: the same overshoot
    expect(afterQuiet(q, held.q.changedAt + 1_200)).toBe(q); // and that window was not quiet
    q = afterThrottle(96, 1_000, held.q.changedAt + 1_000, held.q);
    expect(q).toMatchObject({ limit: 95, phase: "hold", probeEvery: 20 });
  });

  it("a 429 at a proven pace means the quota shrank: 90 % of it, climbing again", () => {
    const settled: ProbedQuota = { limit: 95, good: 95, windowMs: 1_000, changedAt: 0, throttledAt: 0, phase: "hold", probeEvery: 40 };
    expect(afterThrottle(95, 1_000, 5_000, settled)).toMatchObject({ limit: 85, phase: "climb", probeEvery: 10 });
  });
});
