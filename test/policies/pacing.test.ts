/**
 * The pacing policy alone, on a manual fake clock the test moves: when a call may go
 * (window, concurrency, a server's pause), in which order queued calls go, what it notes
 * and reports, and what it refuses without sending.
 */
import { describe, expect, it } from "@jest/globals";
import { NetworkError, pacingPolicy, type AttemptResult, type CallOptions, type PacingOptions } from "carewire";
import { FakeClock, answered, failed, planFor, scriptedNext, type PlanSetup } from "carewire/testing";
import { heldStep, read, settle, telemetry, thing, type Step } from "./support.js";

const ok: Step = (plan) => answered(plan, 200);
const withHeaders =
  (code: number, headers: Record<string, string>): Step =>
  (plan) =>
    answered(plan, code, { headers });

/**
 * A pacer for provider `acme` on a manual clock, and calls through it: each answered by the
 * next of `steps` (the last repeats). `sent()` lists the ids of the calls `next` saw, in order.
 */
function pacer(options: PacingOptions, ...steps: Step[]) {
  const clock = new FakeClock({ start: 0 });
  const seen = telemetry();
  const policy = pacingPolicy("acme", options, clock);
  const next = scriptedNext(...(steps.length > 0 ? steps : [ok]));
  function call(id: string, callOptions: CallOptions = {}, setup: Partial<PlanSetup> = {}): Promise<AttemptResult> {
    return policy(next)(planFor({ operation: read(), clock, input: thing(id), options: callOptions, onEvent: seen.onEvent, ...setup }));
  }
  const sent = () => next.plans.map((p) => (p.call.input.params?.path as { thingId: string }).thingId);
  /** What had been sent 1 ms before `ms` of the clock passed, and what once they had, with `queued` settled. */
  async function heldFor(queued: Promise<AttemptResult>, ms: number) {
    await settle();
    await clock.advance(ms - 1);
    const before = sent();
    await clock.advance(1);
    await queued;
    return { before, after: sent() };
  }
  return { clock, seen, policy, call, sent, heldFor };
}

describe("pacing: the window", () => {
  it("holds a call beyond the limit until a slot leaves the window, and reports the wait", async () => {
    const { seen, call, heldFor } = pacer({ limit: 2, windowMs: 1_000, safetyMarginMs: 0 });

    const calls = ["a", "b", "c"].map((id) => call(id));

    expect(await heldFor(calls[2]!, 1_000)).toEqual({ before: ["a", "b"], after: ["a", "b", "c"] });
    expect((await Promise.all(calls)).map((r) => r.verdict.outcome)).toEqual(["ok", "ok", "ok"]);
    expect(seen.of("rate-limit-wait")).toEqual([expect.objectContaining({ waitMs: 1_000, reason: "2 per 1000 ms" })]);
  });

  it("adds a safety margin to the window by default (0.5 % + 10 ms)", async () => {
    const { call, heldFor } = pacer({ limit: 1, windowMs: 1_000 });
    await call("a");
    expect(await heldFor(call("b"), 1_015)).toEqual({ before: ["a"], after: ["a", "b"] });
  });

  it("takes the quota from the operation's rate-limit hint when none is configured", async () => {
    const { call, heldFor } = pacer({ safetyMarginMs: 0 });
    const hinted = { operation: read({ hints: { rateLimit: { limit: 1, windowSeconds: 2 } } }) };
    await call("a", {}, hinted);
    expect(await heldFor(call("b", {}, hinted), 2_000)).toEqual({ before: ["a"], after: ["a", "b"] });
  });

  it("counts a slot from when its answer arrived, not from when it was sent", async () => {
    const held = heldStep();
    const { clock, call, heldFor } = pacer({ limit: 1, windowMs: 1_000, safetyMarginMs: 0 }, held.step, ok);

    const a = call("a");
    await settle();
    const b = call("b");
    await clock.advance(300); // a slow answer
    held.release(ok);
    await a;

    expect(await heldFor(b, 1_000)).toEqual({ before: ["a"], after: ["a", "b"] });
  });

  it("learns the quota the server states in RateLimit-Policy", async () => {
    const { call, heldFor } = pacer({ safetyMarginMs: 0 }, withHeaders(200, { "ratelimit-policy": '"default";q=1;w=10' }));
    // No quota known before the first answer, but the send is counted: its window holds "b".
    await call("a");
    expect(await heldFor(call("b"), 10_000)).toEqual({ before: ["a"], after: ["a", "b"] });
  });
});

describe("pacing: lanes", () => {
  it("sends queued critical calls first, then interactive, then batch, each lane in arrival order", async () => {
    const { clock, call, sent } = pacer({ limit: 1, windowMs: 1_000, safetyMarginMs: 0 });
    await call("first", { priority: "batch" });

    const queued = [
      call("batch1", { priority: "batch" }),
      call("batch2", { priority: "batch" }),
      call("interactive"),
      call("critical", {}, { operation: read({ hints: { criticality: "critical" } }) }),
      call("promoted", { priority: "interactive" }, { operation: read({ hints: { criticality: "batch" } }) }),
    ];
    await settle();
    for (let i = 0; i < queued.length; i++) await clock.advance(1_000);
    await Promise.all(queued);

    expect(sent()).toEqual(["first", "critical", "interactive", "promoted", "batch1", "batch2"]);
  });
});

describe("pacing: the server's word", () => {
  it("after a 429 holds every call until its Retry-After, reports it throttled, and notes the pause", async () => {
    const { seen, call, heldFor } = pacer({}, withHeaders(429, { "retry-after": "5" }), ok);

    const throttled = await call("a");

    expect(await heldFor(call("b"), 5_000)).toEqual({ before: ["a"], after: ["a", "b"] });
    expect(throttled.notes.rateLimit).toEqual({ pausedUntil: 5_000 });
    expect(seen.of("throttled")).toEqual([expect.objectContaining({ retryAt: 5_000 })]);
    expect(seen.of("rate-limit-wait")).toEqual([expect.objectContaining({ waitMs: 5_000 })]);
  });

  it("notes the rate limit the server reports", async () => {
    const { call } = pacer({}, withHeaders(200, { "x-ratelimit-limit": "100", "x-ratelimit-remaining": "42", "x-ratelimit-reset": "30" }));
    expect((await call("a")).notes.rateLimit).toEqual({ limit: 100, remaining: 42, resetMs: 30_000 });
  });

  it("notes the configured limit when the server reports none, and nothing when no answer came", async () => {
    const lost: Step = (plan) => failed(plan, new NetworkError("refused", "connect", "ECONNREFUSED"));
    const { call } = pacer({ limit: 10, windowMs: 1_000 }, ok, lost);

    expect((await call("a")).notes.rateLimit).toEqual({ limit: 10 });
    expect((await call("b")).notes.rateLimit).toBeUndefined();
  });

  it("holds the next call when the server says the quota is spent, before it earns a 429", async () => {
    const { call, heldFor } = pacer({}, withHeaders(200, { ratelimit: '"default";r=0;t=3' }), ok);

    const spent = await call("a");

    expect(await heldFor(call("b"), 3_000)).toEqual({ before: ["a"], after: ["a", "b"] });
    expect(spent.notes.rateLimit).toEqual({ remaining: 0, resetMs: 3_000, pausedUntil: 3_000 });
  });
});

describe("pacing: refusals", () => {
  it("refuses at once with RateLimitedError when no slot frees before the call's deadline, sending nothing", async () => {
    const { clock, call, sent } = pacer({ limit: 1, windowMs: 10_000, safetyMarginMs: 0 });
    await call("a");

    const late = await call("b", {}, { deadlineMs: 2_000 });

    expect(late.error).toMatchObject({ kind: "rate-limited", retryAt: 10_000, reason: "no slot before the call's deadline" });
    expect(late.notes.attempts).toEqual([]);
    expect(sent()).toEqual(["a"]);
    expect(clock.now()).toBe(0);
  });

  it("refuses a wait longer than maxWaitMs the same way", async () => {
    const { call } = pacer({ limit: 1, windowMs: 10_000, safetyMarginMs: 0, maxWaitMs: 5_000 });
    await call("a");
    expect((await call("b")).error).toMatchObject({ kind: "rate-limited", reason: "a slot frees in 10 s, more than this client waits" });
  });

  it("ends a queued call whose caller aborts with AbortedError, and gives its slot to the next", async () => {
    const { clock, call, sent } = pacer({ limit: 1, windowMs: 1_000, safetyMarginMs: 0 });
    await call("a");
    const controller = new AbortController();

    const aborted = call("b", { signal: controller.signal });
    const c = call("c");
    await settle();
    controller.abort(new Error("user left"));

    expect((await aborted).error).toMatchObject({ kind: "aborted" });
    await clock.advance(1_000);
    await c;
    expect(sent()).toEqual(["a", "c"]);
  });
});

describe("pacing: concurrency", () => {
  it("lets no more than maxConcurrent calls be in flight at once", async () => {
    const first = heldStep();
    const second = heldStep();
    const { call, sent } = pacer({ maxConcurrent: 2, limit: Infinity }, first.step, second.step, ok);

    const calls = ["a", "b", "c"].map((id) => call(id));
    await settle();
    expect(sent()).toEqual(["a", "b"]);

    second.release(ok);
    await calls[1];
    await settle();
    expect(sent()).toEqual(["a", "b", "c"]);
    first.release(ok);
    await Promise.all(calls);
  });

  it("ends a call waiting behind the cap at its deadline, typed, without sending it", async () => {
    const first = heldStep();
    const { call, sent, clock } = pacer({ maxConcurrent: 1, limit: Infinity }, first.step, ok);

    const running = call("a");
    const waiting = call("b", {}, { deadlineMs: 2_000 });
    await settle();
    await clock.advance(1_999);
    expect(sent()).toEqual(["a"]);
    await clock.advance(1);
    const refused = await waiting;
    expect(refused.error).toMatchObject({ kind: "rate-limited" });
    expect(refused.notes.attempts).toEqual([]);
    first.release(ok);
    await running;
    expect(sent()).toEqual(["a"]);
  });

  it("ends a wait behind the cap longer than maxWaitMs the same way", async () => {
    const first = heldStep();
    const { call, sent, clock } = pacer({ maxConcurrent: 1, maxWaitMs: 5_000, limit: Infinity }, first.step, ok);

    const running = call("a");
    const waiting = call("b");
    await settle();
    await clock.advance(5_000);
    expect((await waiting).error).toMatchObject({ kind: "rate-limited" });
    first.release(ok);
    await running;
    expect(sent()).toEqual(["a"]);
  });

  it("frees the slot even when next throws, and passes the error on", async () => {
    const broken: Step = () => {
      throw new Error("a policy below broke");
    };
    const { call, sent } = pacer({ maxConcurrent: 1 }, broken, ok);

    await expect(call("a")).rejects.toThrow("a policy below broke");
    expect((await call("b")).verdict.outcome).toBe("ok");
    expect(sent()).toEqual(["a", "b"]);
  });
});

describe("pacing: work outside a call", () => {
  it("runs it in a slot of the same window, so calls after it wait", async () => {
    const { policy, call, heldFor } = pacer({ limit: 1, windowMs: 1_000, safetyMarginMs: 0 });
    expect(await policy.paced(async () => "token")).toBe("token");
    expect(await heldFor(call("a"), 1_000)).toEqual({ before: [], after: ["a"] });
  });
});

describe("pacing: first contact with a quota nobody named", () => {
  it("sends the first call alone; the others wait for its answer and pace at the quota its headers name", async () => {
    const first = heldStep();
    const { call, sent, clock } = pacer({ safetyMarginMs: 0 }, first.step, ok);

    const calls = ["a", "b", "c", "d"].map((id) => call(id));
    await settle();
    expect(sent()).toEqual(["a"]);
    // The answer names 2 per 10 s: one more goes now, the rest a window later.
    first.release(withHeaders(200, { "ratelimit-policy": `"default";q=2;w=10` }));
    await settle();
    expect(sent()).toEqual(["a", "b"]);
    await clock.advance(10_000);
    await Promise.all(calls);
    expect(sent()).toEqual(["a", "b", "c", "d"]);
  });

  it("lets the rest go at once when the first answer names no quota, and waits only once", async () => {
    const first = heldStep();
    const { call, sent } = pacer({}, first.step, ok);

    const calls = ["a", "b", "c"].map((id) => call(id));
    await settle();
    expect(sent()).toEqual(["a"]);
    first.release(ok);
    await Promise.all(calls);
    expect(sent()).toEqual(["a", "b", "c"]);
    await call("d");
    expect(sent()).toEqual(["a", "b", "c", "d"]);
  });

  it("ends a wait for the first answer at the call's deadline or signal, typed, unsent", async () => {
    const first = heldStep();
    const { call, sent, clock } = pacer({}, first.step, ok);
    const running = call("a");
    const aborter = new AbortController();
    const timed = call("b", {}, { deadlineMs: 1_000 });
    const aborted = call("c", { signal: aborter.signal });
    await settle();
    aborter.abort();
    await clock.advance(1_000);
    expect((await timed).error).toMatchObject({ kind: "timeout" });
    expect((await aborted).error).toMatchObject({ kind: "aborted" });
    first.release(ok);
    await running;
    expect(sent()).toEqual(["a"]);
  });
});
