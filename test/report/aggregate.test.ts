/** Events into buckets: counts, sums, gauges, percentiles, breaker states and tenant shares. */
import { describe, expect, it } from "@jest/globals";
import { aggregate, bucketLength, percentile } from "../../src/report/aggregate.js";
import { callEvent, outboxEvent } from "./support.js";

describe("aggregate", () => {
  it("picks a round bucket length that keeps the log under the bucket count", () => {
    expect(bucketLength(10_000, 100)).toBe(100);
    expect(bucketLength(12_700, 100)).toBe(250);
    expect(bucketLength(3_600_000, 100)).toBe(60_000);
  });

  it("counts attempts, 429s and retries, and sums the waits, per bucket", () => {
    const a = aggregate([
      callEvent(0, { type: "attempt", attempt: 1, status: 200, durationMs: 10, delayMs: 0 }),
      callEvent(400, { type: "attempt", attempt: 1, status: 429, durationMs: 20, delayMs: 0 }),
      callEvent(450, { type: "retry", attempt: 1, outcome: "throttled", reason: "429", delayMs: 300 }),
      callEvent(600, { type: "rate-limit-wait", waitMs: 250, reason: "2 per 1000 ms" }),
      callEvent(9_999, { type: "attempt", attempt: 2, status: 200, durationMs: 30, delayMs: 300 }),
    ]);
    expect(a.bucketMs).toBe(100);
    expect(a.times).toHaveLength(100);
    expect([a.attempts[0], a.attempts[4], a.attempts[99]]).toEqual([1, 1, 1]);
    expect(a.throttled.reduce((x, y) => x + y)).toBe(1);
    expect(a.throttled[4]).toBe(1);
    expect(a.retries[4]).toBe(1);
    expect(a.backoffMs[4]).toBe(300);
    expect(a.quotaWaitMs[6]).toBe(250);
    expect(a.outbox).toBeUndefined();
  });

  it("takes the latency percentiles of the attempts in each bucket (nearest rank)", () => {
    const durations = Array.from({ length: 100 }, (_, i) => i + 1);
    const a = aggregate([...durations.map((d) => callEvent(0, { type: "attempt", attempt: 1, status: 200, durationMs: d, delayMs: 0 })), callEvent(1_000, { type: "attempt", attempt: 1, status: 200, durationMs: 5, delayMs: 0 })]);
    expect([a.latency.p50[0], a.latency.p95[0], a.latency.p99[0]]).toEqual([50, 95, 99]);
    expect(a.latency.p50[1]).toBeNull();
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.99)).toBe(7);
  });

  it("keeps the most used per bucket against the limit, per scope", () => {
    const a = aggregate([
      callEvent(0, { type: "quota", scope: "clinic:app", limit: 20, windowMs: 2_000, used: 3 }),
      callEvent(50, { type: "quota", scope: "clinic:app", limit: 20, windowMs: 2_000, used: 5 }),
      callEvent(60, { type: "quota", scope: "fhir:app", limit: 40, windowMs: 1_000, used: 9 }),
      callEvent(1_000, { type: "quota", scope: "clinic:app", limit: 20, windowMs: 2_000, used: 19 }),
    ]);
    expect(a.quota.map((q) => [q.scope, q.used[0], q.limit[0], q.used[10]])).toEqual([
      ["clinic:app", 5, 20, 19],
      ["fhir:app", 9, 40, null],
    ]);
  });

  it("holds each breaker's state from transition to transition", () => {
    const a = aggregate([
      callEvent(0, { type: "attempt", attempt: 1, status: 503, durationMs: 1, delayMs: 0 }),
      callEvent(300, { type: "breaker", group: "clinic", from: "closed", to: "open" }),
      callEvent(600, { type: "breaker", group: "clinic", from: "open", to: "half-open" }),
      callEvent(700, { type: "breaker", group: "clinic", from: "half-open", to: "closed" }),
      callEvent(1_000, { type: "attempt", attempt: 1, status: 200, durationMs: 1, delayMs: 0 }),
    ]);
    const [clinic] = a.breakers;
    expect(clinic!.state).toEqual([0, 0, 0, 2, 2, 2, 1, 0, 0, 0, 0]);
    expect(clinic!.opened[3]).toBe(1);
  });

  it("judges each tenant's share against its weighted fair share, once a full quota window is seen", () => {
    const quota = (time: number, tenant: string, used: number, tenantUsed: number, tenantWeight: number) =>
      callEvent(time, { type: "quota", scope: "clinic:app", limit: 30, windowMs: 1_000, used, tenantUsed, tenantWeight, tenant });
    const a = aggregate([quota(0, "north", 0, 0, 2), quota(100, "south", 1, 0, 1), quota(1_500, "north", 9, 8, 2), quota(1_550, "south", 10, 2, 1), quota(5_000, "north", 10, 8, 2)]);
    const north = a.tenants.find((t) => t.tenant === "north")!;
    const south = a.tenants.find((t) => t.tenant === "south")!;
    // Within the first window (10 buckets of 100 ms) no fair share is judged.
    expect(north.fair[0]).toBeNull();
    expect(north.share[15]).toBeCloseTo(8 / 9);
    expect(north.fair[15]).toBeCloseTo(2 / 3);
    expect(south.share[15]).toBeCloseTo(2 / 10);
    expect(south.fair[15]).toBeCloseTo(1 / 3);
    // Alone in its window, a tenant's fair share is the whole quota.
    expect(north.fair[50]).toBe(1);
  });

  it("keeps the outbox's last depth and dead letters per bucket", () => {
    const a = aggregate([outboxEvent(0, 8, 0), outboxEvent(10, 7, 0), outboxEvent(900, 6, 1)]);
    expect(a.outbox!.pending).toEqual([7, null, null, null, null, null, null, null, null, 6]);
    expect(a.outbox!.dead[9]).toBe(1);
  });
});
