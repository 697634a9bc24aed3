/**
 * Each alert fires on its pattern at its threshold and not just below it, and reports the
 * moments it started (the end of the bucket where the condition first held over its window).
 */
import { describe, expect, it } from "@jest/globals";
import { DEFAULT_THRESHOLDS, evaluateAlerts, thresholdsWith, type Thresholds } from "../../src/report/alerts.js";
import { ReportThresholdError } from "../../src/report/errors.js";
import type { Aggregate } from "../../src/report/aggregate.js";
import { at, buckets } from "./support.js";

/** Five one-second buckets per window. */
const T: Thresholds = { ...DEFAULT_THRESHOLDS, windowMs: 5_000 };

function alert(id: string, a: Aggregate, t: Thresholds = T) {
  const found = evaluateAlerts(a, t).find((r) => r.id === id);
  if (!found) throw new Error(`no alert ${id}`);
  return { firing: found.firing, fired: found.fired, plot: found.plot };
}

describe("quota exhaustion", () => {
  const quota = (used: number) => buckets(20, { quota: [{ scope: "clinic:app", limit: at(20, {}, 20), used: at(20, { 3: used, 4: used, 6: used }, 10) }] });

  it("fires when the quota stood at 95 % of its limit in 3 buckets of the window, from the third", () => {
    expect(alert("quota-exhaustion", quota(19))).toEqual({ firing: false, fired: [{ from: 7_000, to: 8_000 }], plot: "quota" });
  });

  it("with buckets as long as the window (a long log), one full bucket is enough", () => {
    const coarse = { ...buckets(20, { quota: [{ scope: "clinic:app", limit: at(20, {}, 20), used: at(20, { 6: 19 }, 10) }] }), bucketMs: 5_000 };
    expect(alert("quota-exhaustion", coarse).fired).toHaveLength(1);
  });

  it("does not fire just under the ratio, nor with one bucket fewer", () => {
    expect(alert("quota-exhaustion", quota(18.99)).fired).toEqual([]);
    expect(alert("quota-exhaustion", quota(19), { ...T, quotaMinBuckets: 4 }).fired).toEqual([]);
  });
});

describe("sustained 429s", () => {
  const run = (throttled: number) => buckets(10, { attempts: at(10, {}, 20), throttled: at(10, { 5: throttled }, 0) });

  it("fires while 5 % of the window's attempts (and at least 5) were answered 429", () => {
    // 100 attempts per window: 5 throttled is exactly 5 %; it holds for the 5 windows that hold bucket 5.
    expect(alert("sustained-429", run(5))).toEqual({ firing: true, fired: [{ from: 6_000, to: 10_000 }], plot: "throttling" });
  });

  it("does not fire at 4, under both the rate and the count", () => {
    expect(alert("sustained-429", run(4)).fired).toEqual([]);
  });
});

describe("retry queue growth", () => {
  it("fires when the window's retries are twice the window before's and at least 10", () => {
    const a = buckets(10, { retries: at(10, { 0: 5, 9: 10 }, 0) });
    expect(alert("retry-queue-growth", a).fired).toEqual([{ from: 10_000, to: 10_000 }]);
    // Twice is not enough when it is under 10: one retry fewer.
    expect(alert("retry-queue-growth", buckets(10, { retries: at(10, { 0: 5, 9: 9 }, 0) })).fired).toEqual([]);
    // And 10 is not growth when the window before had 6.
    expect(alert("retry-queue-growth", buckets(10, { retries: at(10, { 0: 6, 9: 10 }, 0) })).fired).toEqual([]);
  });

  it("needs a whole window before to grow from: 10 retries in the log's first window are not growth", () => {
    expect(alert("retry-queue-growth", buckets(10, { retries: at(10, { 2: 10 }, 0) })).fired).toEqual([]);
  });

  it("fires when the outbox's pending intents grew by 10 within the window, and not by 9", () => {
    const grew = (to: number) => buckets(10, { outbox: { pending: at(10, { 2: 5, 6: to }, null), dead: at(10, {}, null) } });
    // The depth holds between readings: 5 at every window's start until the 15 is read, 15 at its end.
    expect(alert("retry-queue-growth", grew(15)).fired).toEqual([{ from: 7_000, to: 10_000 }]);
    expect(alert("retry-queue-growth", grew(14)).fired).toEqual([]);
  });
});

describe("tenant starvation", () => {
  const tenant = (share: number, waits: number) => buckets(10, { tenants: [{ tenant: "south", share: at(10, {}, share), fair: at(10, {}, 0.4), waits: at(10, { 8: waits }, 0) }] });

  it("fires when a tenant that waited 3 times had under half its fair share", () => {
    expect(alert("tenant-starvation", tenant(0.19, 3))).toEqual({ firing: true, fired: [{ from: 9_000, to: 10_000 }], plot: "tenants" });
  });

  it("does not fire at half its fair share, nor with 2 waits", () => {
    expect(alert("tenant-starvation", tenant(0.2, 3)).fired).toEqual([]);
    expect(alert("tenant-starvation", tenant(0.1, 2)).fired).toEqual([]);
  });
});

describe("cache staleness", () => {
  it("fires on 3 stale answers in the window, not on 2", () => {
    expect(alert("cache-staleness", buckets(6, { cache: { hits: at(6, {}, 0), stale: at(6, { 1: 1, 2: 2 }, 0), staleAgeMs: at(6, {}, null) } })).fired).toEqual([{ from: 3_000, to: 6_000 }]);
    expect(alert("cache-staleness", buckets(6, { cache: { hits: at(6, {}, 0), stale: at(6, { 1: 1, 2: 1 }, 0), staleAgeMs: at(6, {}, null) } })).fired).toEqual([]);
  });

  it("fires on one stale answer older than the age limit, not on one at it", () => {
    const aged = (ms: number) => buckets(6, { cache: { hits: at(6, {}, 0), stale: at(6, { 5: 1 }, 0), staleAgeMs: at(6, { 5: ms }, null) } });
    expect(alert("cache-staleness", aged(300_001)).fired).toEqual([{ from: 6_000, to: 6_000 }]);
    expect(alert("cache-staleness", aged(300_000)).fired).toEqual([]);
  });
});

describe("breaker open and dead letters", () => {
  it("fires while a breaker is open and for the window after it opened", () => {
    const a = buckets(12, { breakers: [{ group: "clinic", state: at(12, { 2: 2, 3: 2 }, 0), opened: at(12, { 2: 1 }, 0) }] });
    expect(alert("breaker-open", a)).toEqual({ firing: false, fired: [{ from: 3_000, to: 7_000 }], plot: "breakers" });
    expect(alert("breaker-open", buckets(12, { breakers: [{ group: "clinic", state: at(12, {}, 0), opened: at(12, {}, 0) }] })).fired).toEqual([]);
  });

  it("fires on a new dead letter, for as long as it is in the window", () => {
    const a = buckets(10, { outbox: { pending: at(10, {}, 3), dead: at(10, { 0: 0, 4: 1 }, null) } });
    expect(alert("dead-letters", a)).toEqual({ firing: false, fired: [{ from: 5_000, to: 9_000 }], plot: "outbox" });
    expect(alert("dead-letters", a, { ...T, deadLetters: 2 }).fired).toEqual([]);
  });
});

describe("thresholds", () => {
  it("are the defaults with overrides by name, numbers from text or JSON", () => {
    expect(thresholdsWith({ throttleRate: "0.2", windowMs: 30_000 })).toEqual({ ...DEFAULT_THRESHOLDS, throttleRate: 0.2, windowMs: 30_000 });
  });

  it("refuse an unknown name or a value that is not a positive number, with a typed error", () => {
    expect(() => thresholdsWith({ throttle: 1 })).toThrow(ReportThresholdError);
    expect(() => thresholdsWith({ windowMs: "soon" })).toThrow(/windowMs must be a number above 0/);
    expect(() => thresholdsWith({ windowMs: 0 })).toThrow(ReportThresholdError);
  });
});
