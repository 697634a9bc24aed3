/**
 * Backoff delays and the retry budget: full jitter within
 * [0, min(cap, base·2ⁿ⁻¹)], decorrelated jitter within [base, cap], a wait on top of
 * Retry-After that is never shorter than asked, and a budget that keeps retries to a
 * share of recent traffic so an outage cannot multiply load.
 */
import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { backoffDelay, jitterAbove, RetryBudget, type BackoffOptions } from "carewire";

const FULL: BackoffOptions = { baseMs: 100, capMs: 5_000, strategy: "full" };
const DECORRELATED: BackoffOptions = { baseMs: 100, capMs: 5_000, strategy: "decorrelated" };

const always = (value: number) => () => value;

/** The largest full-jitter delay for retry `n`: min(cap, base·2^(n−1)). */
function fullUpper(retry: number, options: BackoffOptions): number {
  return Math.min(options.capMs, options.baseMs * 2 ** (retry - 1));
}

describe("backoffDelay: full jitter", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 10, 20, 50])("keeps retry %i within [0, min(cap, base·2^(n−1))]", (retry) => {
    for (const r of [0, 0.001, 0.25, 0.5, 0.75, 0.999999]) {
      const delay = backoffDelay(retry, 0, FULL, always(r));
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(fullUpper(retry, FULL));
    }
  });

  it("draws uniformly over the whole range: random() scales the upper bound", () => {
    expect(backoffDelay(1, 0, FULL, always(0.5))).toBe(50);
    expect(backoffDelay(3, 0, FULL, always(0.5))).toBe(200);
    expect(backoffDelay(3, 0, FULL, always(0))).toBe(0);
  });

  it("doubles the upper bound per retry until the cap", () => {
    const uppers = [1, 2, 3, 4, 5, 6, 7, 8].map((retry) => backoffDelay(retry, 0, FULL, always(1)));
    expect(uppers).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
  });

  it("ignores previousMs", () => {
    expect(backoffDelay(2, 99_999, FULL, always(0.5))).toBe(backoffDelay(2, 0, FULL, always(0.5)));
  });

  it("stays at the cap for huge retry numbers instead of overflowing", () => {
    expect(backoffDelay(10_000, 0, FULL, always(1))).toBe(5_000);
    expect(backoffDelay(Number.MAX_SAFE_INTEGER, 0, { baseMs: 1, capMs: 1e12, strategy: "full" }, always(1))).toBe(2 ** 30);
  });

  it("treats retry numbers below 1 like the first retry", () => {
    expect(backoffDelay(0, 0, FULL, always(1))).toBe(100);
    expect(backoffDelay(-3, 0, FULL, always(1))).toBe(100);
  });
});

describe("backoffDelay: decorrelated jitter", () => {
  it("keeps every delay within [base, cap]", () => {
    for (const previous of [0, 50, 100, 300, 1_000, 4_000, 10_000, 1e9]) {
      for (const r of [0, 0.3, 0.7, 0.999999]) {
        const delay = backoffDelay(3, previous, DECORRELATED, always(r));
        expect(delay).toBeGreaterThanOrEqual(DECORRELATED.baseMs);
        expect(delay).toBeLessThanOrEqual(DECORRELATED.capMs);
      }
    }
  });

  it("draws between base and three times the previous delay", () => {
    expect(backoffDelay(2, 1_000, DECORRELATED, always(0))).toBe(100);
    expect(backoffDelay(2, 1_000, DECORRELATED, always(1))).toBe(3_000);
    expect(backoffDelay(2, 1_000, DECORRELATED, always(0.5))).toBe(1_550);
  });

  it("stops at the cap when three times the previous delay exceeds it", () => {
    expect(backoffDelay(2, 4_000, DECORRELATED, always(1))).toBe(5_000);
  });

  it("starts from base when there was no previous delay", () => {
    expect(backoffDelay(1, 0, DECORRELATED, always(0.9))).toBe(100);
  });
});

describe("backoffDelay: a misbehaving random()", () => {
  it.each([
    ["NaN", Number.NaN, 0],
    ["negative", -0.5, 0],
    ["-Infinity", Number.NEGATIVE_INFINITY, 0],
    ["above 1", 7, 1],
  ])("clamps a %s draw into [0, 1]", (_, value, clampedTo) => {
    expect(backoffDelay(3, 0, FULL, always(value))).toBe(clampedTo * 400);
    expect(backoffDelay(2, 1_000, DECORRELATED, always(value))).toBe(100 + clampedTo * 2_900);
  });

  it("keeps an infinite draw within bounds", () => {
    const full = backoffDelay(3, 0, FULL, always(Number.POSITIVE_INFINITY));
    expect(full).toBeGreaterThanOrEqual(0);
    expect(full).toBeLessThanOrEqual(400);
    const decorrelated = backoffDelay(2, 1_000, DECORRELATED, always(Number.POSITIVE_INFINITY));
    expect(decorrelated).toBeGreaterThanOrEqual(100);
    expect(decorrelated).toBeLessThanOrEqual(3_000);
  });
});

describe("backoffDelay: a cap below the base", () => {
  it("never waits longer than the cap, even when the base is larger", () => {
    const misconfigured = { baseMs: 1_000, capMs: 500 };
    expect(backoffDelay(1, 0, { ...misconfigured, strategy: "full" }, always(1))).toBeLessThanOrEqual(500);
    expect(backoffDelay(1, 0, { ...misconfigured, strategy: "decorrelated" }, always(0))).toBeLessThanOrEqual(500);
  });
});

describe("jitterAbove", () => {
  it.each([
    [0, 0, 0],
    [5_000, 0, 5_000],
    [5_000, 1, 5_500],
    [5_000, 0.5, 5_250],
    [60_000, 1, 61_000],
    [60_000, 0.5, 60_500],
  ])("turns a %i ms server wait with random %d into %i ms", (wait, r, expected) => {
    expect(jitterAbove(wait, always(r))).toBe(expected);
  });

  it("never waits less than the server asked, whatever random() returns", () => {
    for (const r of [Number.NaN, -1, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 2]) {
      const delay = jitterAbove(5_000, always(r));
      expect(delay).toBeGreaterThanOrEqual(5_000);
      expect(delay).toBeLessThanOrEqual(5_500);
    }
  });
});

// ---------------------------------------------------------------------------------------
// Properties: no delay is ever negative, NaN or above its cap.

const retryNumber = fc.integer({ min: 1, max: 1_000 });
/** base ≤ cap, both up to 1e7 ms. */
const baseAndCap = fc
  .tuple(fc.double({ min: 0, max: 1e7, noNaN: true }), fc.double({ min: 0, max: 1e7, noNaN: true }))
  .map(([a, b]) => ({ baseMs: Math.min(a, b), capMs: Math.max(a, b) }));
const unitDraw = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const anyDraw = fc.oneof(unitDraw, fc.double());
const previousDelay = fc.double({ min: 0, max: 1e8, noNaN: true });

describe("backoffDelay and jitterAbove: properties", () => {
  it("full jitter is never negative, NaN or above min(cap, base·2^(n−1))", () => {
    fc.assert(
      fc.property(retryNumber, baseAndCap, unitDraw, previousDelay, (retry, bounds, r, previous) => {
        const options: BackoffOptions = { ...bounds, strategy: "full" };
        const delay = backoffDelay(retry, previous, options, always(r));
        expect(Number.isNaN(delay)).toBe(false);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(bounds.capMs);
        expect(delay).toBeLessThanOrEqual(fullUpper(retry, options));
      }),
      { numRuns: 2_000 },
    );
  });

  it("decorrelated jitter is never NaN and stays within [base, cap]", () => {
    fc.assert(
      fc.property(retryNumber, baseAndCap, unitDraw, previousDelay, (retry, bounds, r, previous) => {
        const delay = backoffDelay(retry, previous, { ...bounds, strategy: "decorrelated" }, always(r));
        expect(Number.isNaN(delay)).toBe(false);
        expect(delay).toBeGreaterThanOrEqual(bounds.baseMs);
        expect(delay).toBeLessThanOrEqual(bounds.capMs);
      }),
      { numRuns: 2_000 },
    );
  });

  it("stays within bounds for any double random() returns, NaN and infinities included", () => {
    fc.assert(
      fc.property(retryNumber, baseAndCap, anyDraw, previousDelay, fc.constantFrom("full" as const, "decorrelated" as const), (retry, bounds, r, previous, strategy) => {
        const delay = backoffDelay(retry, previous, { ...bounds, strategy }, always(r));
        expect(Number.isFinite(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(strategy === "full" ? 0 : bounds.baseMs);
        expect(delay).toBeLessThanOrEqual(bounds.capMs);
      }),
      { numRuns: 2_000 },
    );
  });

  it("jitterAbove(w) stays within [w, w + min(1000, 0.1·w)]", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), anyDraw, (wait, r) => {
        const delay = jitterAbove(wait, always(r));
        expect(Number.isFinite(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(wait);
        expect(delay).toBeLessThanOrEqual(wait + Math.min(1_000, 0.1 * wait));
      }),
      { numRuns: 2_000 },
    );
  });
});

// ---------------------------------------------------------------------------------------

const BUDGET = { ratio: 0.1, floorPerSecond: 1, windowMs: 10_000 }; // a floor of 10 retries per 10 s window

function takeRetries(budget: RetryBudget, attempts: number, now: number): number {
  let granted = 0;
  for (let i = 0; i < attempts; i++) if (budget.tryRetry(now)) granted++;
  return granted;
}

describe("RetryBudget", () => {
  it("remembers a window of seconds, not a client's whole history, when it never retries", () => {
    const budget = new RetryBudget({ ratio: 0.2, floorPerSecond: 10, windowMs: 10_000 });
    for (let second = 0; second < 3_600; second++) budget.recordRequest(second * 1000);
    expect(budget.size).toBeLessThanOrEqual(11);
  });

  it("lets the floor of 10 retries through with no requests at all", () => {
    const budget = new RetryBudget(BUDGET);
    expect(takeRetries(budget, 50, 0)).toBe(10);
  });

  it("allows at most 20 retries in the window for 100 requests (10 % plus the floor of 10)", () => {
    const budget = new RetryBudget(BUDGET);
    for (let i = 0; i < 100; i++) budget.recordRequest(i * 10);
    expect(takeRetries(budget, 100, 1_000)).toBe(20);
  });

  it("counts retries spread over the window against the same budget", () => {
    const budget = new RetryBudget(BUDGET);
    for (let i = 0; i < 100; i++) budget.recordRequest(0);
    let granted = 0;
    for (let t = 0; t < BUDGET.windowMs; t += 100) if (budget.tryRetry(t)) granted++;
    expect(granted).toBe(20);
  });

  it("frees retries once the window slides past them", () => {
    const budget = new RetryBudget(BUDGET);
    for (let i = 0; i < 100; i++) budget.recordRequest(0);
    expect(takeRetries(budget, 100, 0)).toBe(20);
    expect(budget.tryRetry(9_999)).toBe(false);
    // Everything at t = 0 is now out of the window: only the floor is left, and it is unspent.
    expect(takeRetries(budget, 100, 10_000)).toBe(10);
  });

  it("slides request by request: the allowance follows the traffic still in the window", () => {
    const budget = new RetryBudget(BUDGET);
    for (let i = 0; i < 100; i++) budget.recordRequest(0);
    expect(takeRetries(budget, 100, 0)).toBe(20);
    for (let i = 0; i < 100; i++) budget.recordRequest(5_000);
    // 200 requests and 20 retries in the window: 10 + 20 allowed, 20 spent.
    expect(takeRetries(budget, 100, 5_000)).toBe(10);
    // t = 0 slides out: 100 requests and the 10 retries taken at 5 s remain, 20 allowed.
    expect(takeRetries(budget, 100, 10_000)).toBe(10);
    // t = 5 s slides out too: only the floor is left, and the retries taken at 10 s spent it.
    expect(takeRetries(budget, 100, 15_000)).toBe(0);
    // t = 10 s slides out: the floor is free again.
    expect(takeRetries(budget, 100, 20_000)).toBe(10);
  });

  it("keeps a full outage to at most 1.1× the offered requests plus the floor", () => {
    const budget = new RetryBudget(BUDGET);
    let sent = 0;
    let offered = 0;
    // 1,000 calls over 10 s, every attempt fails, each call would retry up to 3 times.
    for (let i = 0; i < 1_000; i++) {
      const now = i * 10;
      budget.recordRequest(now);
      offered++;
      sent++;
      for (let retry = 0; retry < 3 && budget.tryRetry(now); retry++) sent++;
    }
    expect(sent).toBeLessThanOrEqual(offered * 1.1 + (BUDGET.floorPerSecond * BUDGET.windowMs) / 1000);
  });

  it("uses 20 %, a floor of 10 retries per second and a 10 s window by default", () => {
    const budget = new RetryBudget();
    expect(budget.options).toEqual({ ratio: 0.2, floorPerSecond: 10, windowMs: 10_000 });
    for (let i = 0; i < 1_000; i++) budget.recordRequest(0);
    expect(takeRetries(budget, 1_000, 0)).toBe(300); // 20 % of 1,000, plus 10/s over 10 s
  });
});
