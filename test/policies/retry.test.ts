/**
 * The retry policy alone, over a scripted `next` on a fake clock: what it retries, how long
 * it waits (the server's word, else backoff), when it stops, and what the plans it passes
 * on and the result it returns say about it.
 */
import { describe, expect, it } from "@jest/globals";
import { CircuitOpenError, joinNotes, NetworkError, RateLimitedError, refusal, retryPolicy, UnknownOutcomeError, type AttemptPlan, type AttemptResult, type RetryOptions } from "carewire";
import { FakeClock, answered, failed, planFor, scriptedNext, type PlanSetup } from "carewire/testing";
import { create, read, settle, telemetry, update } from "./support.js";

type Step = (plan: AttemptPlan) => AttemptResult;

const status =
  (code: number, headers?: Record<string, string>): Step =>
  (plan) =>
    answered(plan, code, headers ? { headers } : {});

/** The connection died after the request went out. */
const reset: Step = (plan) => failed(plan, new NetworkError("socket hang up", "request", "ECONNRESET"));

/** A plan on a clock whose sleeps return at once (the time they would take still passes on it). */
function planOn(setup: Partial<PlanSetup> = {}) {
  const clock = new FakeClock({ autoAdvance: true });
  return { clock, plan: planFor({ operation: read(), clock, ...setup }) };
}

/** A write's plan after the idempotency policy: keyed, and so safe to replay. */
function keyedWrite(setup: Partial<PlanSetup> = {}) {
  const { clock, plan } = planOn({ operation: create(), ...setup });
  return { clock, plan: { ...plan, headers: { "Idempotency-Key": "k-1" }, idempotencyKey: "k-1", replaySafe: true } };
}

async function retried(plan: AttemptPlan, options: RetryOptions, ...steps: Step[]) {
  const next = scriptedNext(...steps);
  const result = await retryPolicy({ budget: false, ...options })(next)(plan);
  return { result, next, reasons: result.notes.attempts.map((a) => a.reason) };
}

describe("retry: what it retries", () => {
  it("sends a retryable answer again after a backoff, as attempt 2 with its wait, and joins both attempts in order", async () => {
    const { clock, plan } = planOn();

    const { result, next } = await retried(plan, {}, status(502), status(200));

    expect(result.verdict.outcome).toBe("ok");
    expect(next.plans.map((p) => [p.attempt, p.delayMs])).toEqual([
      [1, 0],
      [2, 125],
    ]);
    expect(clock.sleeps).toEqual([125]);
    expect(result.notes.attempts.map((a) => [a.attempt, a.status, a.delayMs, a.reason])).toEqual([
      [1, 502, 0, "HTTP 502; retry in 125 ms"],
      [2, 200, 125, "HTTP 200"],
    ]);
  });

  it("backs off with full jitter under base·2ⁿ and the cap when the server names no wait (503, 502, 504)", async () => {
    const { clock, plan } = planOn();

    const { next } = await retried(plan, { backoff: { baseMs: 100, capMs: 300 } }, status(503), status(502), status(504), status(200));

    // random() is 0.5: half of 100, 200, then 400 capped at 300.
    expect(clock.sleeps).toEqual([50, 100, 150]);
    expect(next.plans.map((p) => [p.attempt, p.delayMs])).toEqual([
      [1, 0],
      [2, 50],
      [3, 100],
      [4, 150],
    ]);
  });

  it.each([0, 0.5, 0.999])("waits what Retry-After asks and never less, at most a tenth more (random %p)", async (r) => {
    const seen = telemetry();
    const { clock, plan } = planOn({ random: () => r, onEvent: seen.onEvent });

    const { result, next } = await retried(plan, {}, status(429, { "retry-after": "3" }), status(200));

    const waited = clock.sleeps[0]!;
    expect(clock.sleeps).toHaveLength(1);
    expect(waited).toBeGreaterThanOrEqual(3_000);
    expect(waited).toBeCloseTo(3_000 + r * 300, 6);
    expect(next.plans[1]!.delayMs).toBe(waited);
    expect(result.notes.attempts[0]!.reason).toBe(`HTTP 429; retry in ${Math.round(waited)} ms (server asked)`);
    expect(seen.of("retry")).toEqual([expect.objectContaining({ attempt: 1, outcome: "throttled", reason: "HTTP 429", delayMs: waited })]);
  });

  it("waits for the quota to reset after a 429 that says none is left and names no Retry-After", async () => {
    const { clock, plan } = planOn({ random: () => 0 });
    await retried(plan, {}, status(429, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "2" }), status(200));
    expect(clock.sleeps).toEqual([2_000]);
  });

  it.each([
    ["a success", 200],
    ["a request the server cannot process", 422],
    ["a refusal of the request", 404],
    ["a conflict", 409],
    ["an authentication failure", 401],
  ])("hands back %s untouched after one attempt", async (_what, code) => {
    const { clock, plan } = planOn();
    let given: AttemptResult | undefined;

    const { result, next } = await retried(plan, {}, (p) => (given = answered(p, code)));

    expect(result).toBe(given);
    expect(next.plans).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("says on the attempt why a 500 or 501 was not retried, and how to opt in", async () => {
    for (const code of [500, 501]) {
      const { plan } = planOn();
      const { next, reasons } = await retried(plan, {}, status(code));
      expect(next.plans).toHaveLength(1);
      expect(reasons).toEqual([`HTTP ${code}; not retried: a 5xx other than 502, 503 or 504 is retried only when classify.retryStatuses lists it`]);
    }
    // A refusal by the server (a 4xx) needs no such word.
    const { plan } = planOn();
    expect((await retried(plan, {}, status(400))).reasons).toEqual(["HTTP 400"]);
  });

  it("retries a status the provider opted in to through retryStatuses", async () => {
    const { plan } = planOn({ classify: { retryStatuses: [500] } });
    const { result, next } = await retried(plan, {}, status(500), status(200));
    expect(result.verdict.outcome).toBe("ok");
    expect(next.plans).toHaveLength(2);
  });
});

describe("retry: when it stops", () => {
  it("stops at maxAttempts, says why on the last attempt, and reports the give-up", async () => {
    const seen = telemetry();
    const { plan } = planOn({ onEvent: seen.onEvent });

    const { result, next, reasons } = await retried(plan, { maxAttempts: 3 }, status(502));

    expect(next.plans).toHaveLength(3);
    expect(result.exchange?.response.status).toBe(502);
    expect(result.error).toBeUndefined();
    expect(reasons).toEqual(["HTTP 502; retry in 125 ms", "HTTP 502; retry in 250 ms", "HTTP 502; gave up after 3 attempts"]);
    expect(seen.of("retry").map((e) => e.attempt)).toEqual([1, 2]);
    expect(seen.of("give-up")).toEqual([expect.objectContaining({ attempt: 3, outcome: "retryable", reason: "gave up after 3 attempts" })]);
  });

  it("takes maxAttempts per operation from perOperation, and the general setting elsewhere", async () => {
    const options: RetryOptions = { maxAttempts: 2, perOperation: { createThing: { maxAttempts: 4 } } };

    const reads = await retried(planOn().plan, options, status(502));
    const writes = await retried(keyedWrite().plan, options, status(502));

    expect(reads.next.plans).toHaveLength(2);
    expect(writes.next.plans).toHaveLength(4);
  });

  it("gives up instead of waiting past the call's deadline", async () => {
    const { clock, plan } = planOn({ deadlineMs: 1_000 });

    const { result, next, reasons } = await retried(plan, { backoff: { baseMs: 10_000, capMs: 10_000 } }, status(502));

    expect(next.plans).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(result.exchange?.response.status).toBe(502);
    expect(reasons).toEqual(["HTTP 502; deadline reached"]);
  });

  it("ends with RateLimitedError, retryAt the server's time, when a shedding server's wait outlasts the deadline", async () => {
    const { clock, plan } = planOn({ deadlineMs: 10_000 });
    const start = clock.now();

    const { result, reasons } = await retried(plan, {}, status(503, { "retry-after": "30" }));

    expect(result.error).toMatchObject({ kind: "rate-limited", retryAt: start + 30_000 });
    expect(result.exchange).toBeUndefined();
    expect(reasons).toEqual(["HTTP 503; deadline reached"]);
    expect(clock.sleeps).toEqual([]);
  });

  it("ends with RateLimitedError when the server asks for more than maxRetryAfterMs, and sits out nothing", async () => {
    const { clock, plan } = planOn();
    const start = clock.now();

    const { result, next, reasons } = await retried(plan, { maxRetryAfterMs: 60_000 }, status(429, { "retry-after": "600" }));

    expect(result.error).toMatchObject({ kind: "rate-limited", retryAt: start + 600_000 });
    expect(next.plans).toHaveLength(1);
    expect(reasons).toEqual(["HTTP 429; server wait too long"]);
    expect(clock.sleeps).toEqual([]);
  });

  it("keeps a non-shedding answer that asks for too long a wait as it is", async () => {
    const { plan } = planOn();
    const { result, reasons } = await retried(plan, { maxRetryAfterMs: 60_000 }, status(502, { "retry-after": "600" }));
    expect(result.exchange?.response.status).toBe(502);
    expect(result.error).toBeUndefined();
    expect(reasons).toEqual(["HTTP 502; server wait too long"]);
  });

  it("shares its retry budget among calls, and gives up once it is spent", async () => {
    // A floor of one retry in the window, and no share of traffic on top.
    const policy = retryPolicy({ budget: { ratio: 0, floorPerSecond: 0.1, windowMs: 10_000 } });
    const first = scriptedNext(status(502), status(200));
    const second = scriptedNext(status(502), status(200));

    expect((await policy(first)(planOn().plan)).verdict.outcome).toBe("ok");
    const starved = await policy(second)(planOn().plan);

    expect(second.plans).toHaveLength(1);
    expect(starved.exchange?.response.status).toBe(502);
    expect(starved.notes.attempts.map((a) => a.reason)).toEqual(["HTTP 502; retry budget exhausted"]);
  });

  it("ends the wait at once when the caller aborts", async () => {
    const clock = new FakeClock(); // manual: the wait never ends by itself
    const controller = new AbortController();
    const next = scriptedNext(status(503, { "retry-after": "60" }));
    const pending = retryPolicy({ budget: false })(next)(planFor({ operation: read(), clock, options: { signal: controller.signal } }));
    while (clock.pending === 0) await settle();

    controller.abort(new Error("user left"));
    const result = await pending;

    expect(result.error).toMatchObject({ kind: "aborted" });
    expect(result.verdict.outcome).toBe("permanent");
    expect(next.plans).toHaveLength(1);
  });
});

describe("retry: writes whose outcome is unknown", () => {
  it("never replays one unless the plan says a replay is safe: it ends as UnknownOutcomeError with the fingerprint", async () => {
    const seen = telemetry();
    const { clock, plan } = planOn({ operation: create(), input: { body: { name: "x" } }, onEvent: seen.onEvent });

    const { result, next } = await retried(plan, {}, reset, status(201));

    expect(next.plans).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(result.error).toBeInstanceOf(UnknownOutcomeError);
    expect(result.error).toMatchObject({ kind: "unknown-outcome", fingerprint: plan.call.fingerprint(), idempotencyKey: undefined });
    expect(result.verdict.outcome).toBe("unknown-outcome");
    expect(seen.of("give-up")).toEqual([expect.objectContaining({ outcome: "unknown-outcome" })]);
  });

  it("does not repeat a write a repeat would apply again on a 502, 504 or 500 (it may have been applied), but does on a 503 or where a repeat is safe", async () => {
    for (const code of [502, 504, 500]) {
      const { plan } = planOn({ operation: create(), input: { body: { name: "x" } } });
      const { result, next, reasons } = await retried(plan, {}, status(code), status(201));
      expect(next.plans).toHaveLength(1);
      expect(result.error).toMatchObject({ kind: "unknown-outcome", replaySafe: false });
      expect(reasons).toEqual([`HTTP ${code}; HTTP ${code} after the write was sent, and a repeat is not safe`]);
    }
    const unavailable = await retried(planOn({ operation: create() }).plan, {}, status(503), status(201));
    expect(unavailable.result.verdict.outcome).toBe("ok");
    const keyed = await retried(keyedWrite().plan, {}, status(504), status(201));
    expect(keyed.result.verdict.outcome).toBe("ok");
  });

  it("a conditional update answered 412 after an attempt whose answer was lost is unknown, not a conflict (it may be its own version)", async () => {
    const ifMatched = planOn({ operation: update(), options: { headers: { "If-Match": 'W/"1"' } } }).plan;
    const lost = await retried({ ...ifMatched, replaySafe: true }, {}, reset, status(412));
    expect(lost.result.error).toMatchObject({ kind: "unknown-outcome", lastStatus: 412, replaySafe: false });
    expect(lost.reasons.at(-1)).toBe("HTTP 412; HTTP 412 after an attempt whose answer was lost: it may be this write's own");
    // Without a lost answer before it, or without If-Match, a 412 is the conflict it says.
    expect((await retried({ ...ifMatched, replaySafe: true }, {}, status(412))).result.verdict.outcome).toBe("conflict");
    const unconditional = planOn({ operation: update() }).plan;
    expect((await retried({ ...unconditional, replaySafe: true }, {}, reset, status(412))).result.verdict.outcome).toBe("conflict");
  });

  it("replays one whose plan is replay-safe, with the same key and headers on every attempt", async () => {
    const { plan } = keyedWrite();

    const { result, next, reasons } = await retried(plan, {}, reset, status(201));

    expect(result.verdict.outcome).toBe("ok");
    expect(next.plans.map((p) => [p.attempt, p.idempotencyKey, p.headers["Idempotency-Key"], p.replaySafe])).toEqual([
      [1, "k-1", "k-1", true],
      [2, "k-1", "k-1", true],
    ]);
    expect(reasons).toEqual(["network ECONNRESET after send; retry in 125 ms", "HTTP 201"]);
  });

  it("turns later 503s after a possibly-applied attempt into UnknownOutcomeError, not a plain 503", async () => {
    const { plan } = keyedWrite();

    const { result, reasons } = await retried(plan, { maxAttempts: 3 }, reset, status(503));

    expect(result.error).toBeInstanceOf(UnknownOutcomeError);
    expect(result.error).toMatchObject({ idempotencyKey: "k-1", lastStatus: 503 });
    expect(result.exchange).toBeUndefined();
    expect(result.verdict.outcome).toBe("unknown-outcome");
    expect(result.notes.attempts.map((a) => a.status ?? a.errorKind)).toEqual(["network", 503, 503]);
    expect(reasons[2]).toBe("HTTP 503; gave up after 3 attempts");
  });

  it("keeps it unknown when, after a lost answer, the server asks for a wait past the deadline", async () => {
    const { plan } = keyedWrite({ deadlineMs: 60_000 });
    const { result } = await retried(plan, {}, reset, status(503, { "retry-after": "600" }));
    expect(result.error).toMatchObject({ kind: "unknown-outcome", idempotencyKey: "k-1", lastStatus: 503 });
  });

  it("ends a write in doubt as unknown, not aborted, when the caller aborts the wait", async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const plan: AttemptPlan = { ...planFor({ operation: create(), clock, options: { signal: controller.signal } }), idempotencyKey: "k-1", replaySafe: true };
    const pending = retryPolicy({ budget: false })(scriptedNext(reset))(plan);
    while (clock.pending === 0) await settle();

    controller.abort(new Error("user left"));

    expect((await pending).error).toMatchObject({ kind: "unknown-outcome", idempotencyKey: "k-1" });
  });
});

describe("retry: attempts reported by the layers below", () => {
  it("numbers the next attempt after every attempt already made, and keeps the earlier reasons", async () => {
    const { plan } = planOn();
    // Below retry, the auth policy met a 401, refreshed its token and sent once more.
    const reauthenticated: Step = (p) => {
      const rejected = answered(p, 401);
      const again = answered({ ...p, attempt: p.attempt + 1 }, 503);
      return { ...again, notes: joinNotes(rejected.notes, again.notes) };
    };

    const { next, result, reasons } = await retried(plan, {}, reauthenticated, status(200));

    expect(next.plans.map((p) => p.attempt)).toEqual([1, 3]);
    expect(result.notes.attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(reasons).toEqual(["HTTP 401", "HTTP 503; retry in 125 ms", "HTTP 200"]);
  });

  it("counts on from the attempt number its own plan carries", async () => {
    const { plan } = planOn();
    const { next } = await retried({ ...plan, attempt: 4 }, {}, status(502), status(200));
    expect(next.plans.map((p) => p.attempt)).toEqual([4, 5]);
  });

  it("ends with a refusal from below (nothing sent), leaving the last real attempt's reason alone", async () => {
    const { plan } = planOn();
    const open: Step = (p) => refusal(p, new CircuitOpenError("acme:things", 0));

    const { result, next, reasons } = await retried(plan, {}, status(502), open);

    expect(next.plans).toHaveLength(2);
    expect(result.error).toMatchObject({ kind: "circuit-open" });
    expect(reasons).toEqual(["HTTP 502; retry in 125 ms"]);
  });
});

describe("retry: throttling is waiting, not failing", () => {
  it("lets 429s use up no attempt while the deadline allows their waits", async () => {
    const { clock, plan } = planOn({ deadlineMs: 60_000 });

    const { result, next } = await retried(plan, { maxAttempts: 2 }, status(429, { "retry-after": "1" }), status(429, { "retry-after": "1" }), status(429, { "retry-after": "1" }), status(502), status(200));

    expect(result.verdict.outcome).toBe("ok");
    expect(next.plans).toHaveLength(5);
    expect(clock.sleeps.slice(0, 3).every((ms) => ms >= 1_000)).toBe(true);
  });

  it("still counts other failures: a 502 after 429s is the one attempt it had left", async () => {
    const { plan } = planOn({ deadlineMs: 60_000 });

    const { result, next } = await retried(plan, { maxAttempts: 2 }, status(502), status(429, { "retry-after": "1" }), status(502), status(200));

    expect(next.plans).toHaveLength(3);
    expect(result.exchange?.response.status).toBe(502);
  });

  it("ends rate-limited when the deadline comes first, with or without a Retry-After", async () => {
    for (const headers of [{ "retry-after": "30" }, undefined]) {
      const { clock, plan } = planOn({ deadlineMs: 20_000 });
      const { result } = await retried(plan, {}, ...Array.from({ length: 40 }, () => status(429, headers)));
      expect(result.error).toBeInstanceOf(RateLimitedError);
      expect((result.error as RateLimitedError).retryAt).toBeGreaterThan(clock.now());
    }
  });

  it("ends rate-limited, not with a squeezed attempt, when a busy host wakes it too near the deadline", async () => {
    /** Every sleep returns 1.1 s later than asked, as on a loaded machine. */
    class LateClock extends FakeClock {
      override sleep(ms: number, signal?: AbortSignal) {
        return super.sleep(ms + 1_100, signal);
      }
    }
    const clock = new LateClock({ autoAdvance: true });
    const plan = planFor({ operation: read(), clock, deadlineMs: 1_200 });

    const { result, next } = await retried(plan, {}, status(429), status(200));

    expect(next.plans).toHaveLength(1);
    expect(result.error).toBeInstanceOf(RateLimitedError);
    expect(result.error?.message).toContain("ran into the call's deadline");
  });

  it("does not start an attempt in the last moments before the deadline", async () => {
    // The server's 100 ms wait ends a few ms before the deadline: too late for a round trip.
    const { clock, plan } = planOn({ deadlineMs: 110 });
    const { result, next } = await retried(plan, {}, status(503, { "retry-after-ms": "100" }), status(200));
    expect(next.plans).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(result.error).toBeInstanceOf(RateLimitedError);
  });

  it("waits out a 429 even when the retry budget for faults is spent", async () => {
    const { plan } = planOn({ deadlineMs: 60_000 });
    const spent = { budget: { ratio: 0, floorPerSecond: 0 } };
    const throttled = await retryPolicy(spent)(scriptedNext(status(429, { "retry-after": "1" }), status(200)))(plan);
    expect(throttled.verdict.outcome).toBe("ok");
    // A fault with the same spent budget is not retried.
    const faulted = await retryPolicy(spent)(scriptedNext(status(502), status(200)))(plan);
    expect(faulted.exchange?.response.status).toBe(502);
  });
});
