/**
 * The policy harness of carewire/testing: plans as the pipeline makes them, attempt
 * results classified as the wire classifies them, and a scripted `next` that keeps what it
 * was given. The policy tests next to this file lean on all three.
 */
import { describe, expect, it } from "@jest/globals";
import { NetworkError, TimeoutError, type AttemptPlan } from "carewire";
import { FakeClock, answered, failed, planFor, scriptedNext } from "carewire/testing";
import { create, read, telemetry, thing } from "./support.js";

describe("planFor", () => {
  it("makes the plan of a first attempt: number 1, no wait, no headers, not replay-safe", () => {
    const plan = planFor({ operation: read(), input: thing("t1") });

    expect(plan).toMatchObject({ attempt: 1, delayMs: 0, headers: {}, replaySafe: false });
    expect(plan.idempotencyKey).toBeUndefined();
    expect(plan.call).toMatchObject({ provider: "test", requestId: "req-1", input: thing("t1"), tenant: undefined });
    expect(plan.call.operation.operationId).toBe("getThing");
  });

  it("marks the plan replay-safe when the call's options say so", () => {
    expect(planFor({ operation: create(), options: { replaySafe: true } }).replaySafe).toBe(true);
  });

  it("starts the call's deadline on the given clock, and has none for an unbounded call", () => {
    const clock = new FakeClock({ start: 1_000_000 });

    expect(planFor({ operation: read(), clock }).call.deadline).toBe(1_120_000);
    expect(planFor({ operation: read(), clock, deadlineMs: 5_000 }).call.deadline).toBe(1_005_000);
    expect(planFor({ operation: read(), clock, deadlineMs: Infinity }).call.deadline).toBeUndefined();
  });

  it("hands the call's telemetry to onEvent, stamped with the call and the clock's time", () => {
    const clock = new FakeClock({ start: 42 });
    const seen = telemetry();
    const plan = planFor({ operation: read(), clock, onEvent: seen.onEvent, tenant: "north", provider: "acme" });

    expect(plan.call.observed).toBe(true);
    plan.call.emit({ type: "cache", result: "hit" });

    expect(seen.events).toEqual([{ type: "cache", result: "hit", provider: "acme", operationId: "getThing", requestId: "req-1", tenant: "north", time: 42 }]);
    expect(planFor({ operation: read() }).call.observed).toBe(false);
  });

  it("draws jitter from the given random, 0.5 by default", () => {
    expect(planFor({ operation: read() }).call.random()).toBe(0.5);
    expect(planFor({ operation: read(), random: () => 0.1 }).call.random()).toBe(0.1);
  });
});

describe("answered", () => {
  it.each([
    [200, "ok"],
    [429, "throttled"],
    [503, "throttled"],
    [502, "retryable"],
    [401, "auth"],
    [409, "conflict"],
    [500, "permanent"],
  ] as const)("classifies an HTTP %i as %s, as the wire would", (status, outcome) => {
    const result = answered(planFor({ operation: read() }), status);
    expect(result.verdict).toEqual({ outcome, reason: `HTTP ${status}` });
    expect(result.error).toBeUndefined();
    expect(result.exchange?.response.status).toBe(status);
  });

  it("uses the call's classifier: extra retryable statuses and a refinement", () => {
    const retrying = planFor({ operation: read(), classify: { retryStatuses: [500] } });
    expect(answered(retrying, 500).verdict.outcome).toBe("retryable");

    const refined = planFor({ operation: read(), classify: { refine: (_input, byDefault) => (byDefault.outcome === "permanent" ? { outcome: "retryable", reason: "refined" } : undefined) } });
    expect(answered(refined, 400).verdict).toEqual({ outcome: "retryable", reason: "refined" });
  });

  it("carries the body as parsed JSON and as bytes, with a JSON content type", async () => {
    const result = answered(planFor({ operation: read() }), 200, { body: { id: "t1" } });

    expect(result.exchange?.json).toEqual({ value: { id: "t1" } });
    expect(new TextDecoder().decode(result.exchange?.body)).toBe('{"id":"t1"}');
    expect(result.exchange?.response.headers.get("content-type")).toBe("application/json");
    expect(await result.exchange?.response.json()).toEqual({ id: "t1" });
  });

  it("reads the server's hints against the plan's clock", () => {
    const result = answered(planFor({ operation: read() }), 429, { headers: { "retry-after": "3", "x-ratelimit-limit": "100", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "30" } });
    expect(result.hints).toEqual({ retryAfterMs: 3_000, rateLimit: { limit: 100, remaining: 0, resetMs: 30_000 } });
  });

  it("records one attempt under the plan's number and delay", () => {
    const plan: AttemptPlan = { ...planFor({ operation: read() }), attempt: 3, delayMs: 250 };
    expect(answered(plan, 204).notes.attempts).toEqual([{ attempt: 3, startedAt: "", durationMs: 0, delayMs: 250, status: 204, outcome: "ok", reason: "HTTP 204" }]);
  });
});

describe("failed", () => {
  it("classifies a failure below HTTP by the operation's safety", () => {
    const reset = new NetworkError("socket hang up", "request", "ECONNRESET");

    expect(failed(planFor({ operation: read() }), reset).verdict).toEqual({ outcome: "retryable", reason: "network ECONNRESET" });
    expect(failed(planFor({ operation: create() }), reset).verdict).toEqual({ outcome: "unknown-outcome", reason: "network ECONNRESET after send" });
    expect(failed(planFor({ operation: create() }), new NetworkError("refused", "connect", "ECONNREFUSED")).verdict.outcome).toBe("retryable");
  });

  it("keeps the error, has no exchange nor hints, and records the attempt with its error kind", () => {
    const error = new TimeoutError(1_000, "request");
    const result = failed(planFor({ operation: read() }), error);

    expect(result).toMatchObject({ exchange: undefined, error, hints: {} });
    expect(result.notes.attempts).toEqual([{ attempt: 1, startedAt: "", durationMs: 0, delayMs: 0, errorKind: "timeout", outcome: "retryable", reason: "timeout after 1000 ms" }]);
  });
});

describe("scriptedNext", () => {
  it("answers each attempt with the next step, repeats the last one, and keeps every plan", async () => {
    const next = scriptedNext(
      (plan) => answered(plan, 503),
      (plan) => answered(plan, 200),
    );
    const plan = planFor({ operation: read() });
    const statuses: Array<number | undefined> = [];
    for (let attempt = 1; attempt <= 3; attempt++) statuses.push((await next({ ...plan, attempt })).exchange?.response.status);

    expect(statuses).toEqual([503, 200, 200]);
    expect(next.plans.map((p) => p.attempt)).toEqual([1, 2, 3]);
  });

  it("lets a step be asynchronous", async () => {
    const next = scriptedNext(async (plan) => answered(plan, 201));
    expect((await next(planFor({ operation: create() }))).verdict.outcome).toBe("ok");
  });

  it("rejects when it was given no steps", async () => {
    await expect(scriptedNext()(planFor({ operation: read() }))).rejects.toThrow("no steps");
  });
});

describe("FakeClock", () => {
  it("keeps every sleep asked for, and wakes sleepers only when the test moves time", async () => {
    const clock = new FakeClock({ start: 0 });
    const woke: number[] = [];
    void clock.sleep(300).then(() => woke.push(clock.now()));
    void clock.sleep(100).then(() => woke.push(clock.now()));

    expect(clock.sleeps).toEqual([300, 100]);
    expect(clock.pending).toBe(2);
    await clock.advance(99);
    expect(woke).toEqual([]);
    await clock.advance(201);
    expect(woke).toEqual([100, 300]);
    expect(clock.pending).toBe(0);
  });

  it("in autoAdvance mode returns from a sleep with the clock moved by the sleep", async () => {
    const clock = new FakeClock({ start: 0, autoAdvance: true });
    await clock.sleep(5_000);
    expect(clock.now()).toBe(5_000);
  });
});
