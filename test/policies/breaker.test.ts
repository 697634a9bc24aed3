/**
 * The circuit breaker alone, on a fake clock: what counts as a failure, when the circuit
 * opens, what it refuses while open, and how a single probe closes or re-opens it.
 */
import { describe, expect, it } from "@jest/globals";
import { breakerPolicy, CircuitOpenError, MemoryBreakerStore, NetworkError, RateLimitedError, refusal, type AttemptResult, type BreakerOptions, type ClassifyOptions, type OperationDescriptor } from "carewire";
import { FakeClock, answered, failed, planFor, scriptedNext } from "carewire/testing";
import { create, heldStep, read, settle, telemetry, type Step } from "./support.js";

const status =
  (code: number, body?: unknown): Step =>
  (plan) =>
    answered(plan, code, body === undefined ? {} : { body });

/**
 * A breaker for provider `acme` and a way to call through it: each call answers with the
 * given step, on a plan of the same clock. Small thresholds keep the scripts short.
 */
function circuit(options: BreakerOptions = {}, classify: ClassifyOptions = {}) {
  const clock = new FakeClock();
  const seen = telemetry();
  const policy = breakerPolicy("acme", { minimumThroughput: 4, failureRatio: 0.5, openMs: 5_000, ...options }, clock);
  let sent = 0;
  async function call(step: Step, operation: OperationDescriptor = read()): Promise<AttemptResult> {
    const next = scriptedNext(step);
    const result = await policy(next)(planFor({ operation, clock, classify, onEvent: seen.onEvent }));
    sent += next.plans.length;
    return result;
  }
  /** The circuit's state as the notes of a call answered by `step` report it. */
  const stateAfter = async (step: Step) => (await call(step)).notes.breaker?.state;
  return { clock, seen, policy, call, stateAfter, sent: () => sent, transitions: () => seen.of("breaker").map((e) => `${e.from}>${e.to}`) };
}

/** Drives a fresh circuit open with failures. */
async function opened(options: BreakerOptions = {}) {
  const breaker = circuit(options);
  for (let i = 0; i < 4; i++) await breaker.call(status(503));
  expect(breaker.transitions()).toEqual(["closed>open"]);
  return { ...breaker, openedAt: breaker.clock.now() };
}

describe("breaker: when it opens", () => {
  it("opens once the failure ratio is reached with the minimum throughput, and notes its state on every result", async () => {
    const breaker = circuit();

    const states = [];
    for (const step of [status(200), status(503), status(200), status(500)]) states.push(await breaker.stateAfter(step));

    // Three outcomes are too few to judge; the fourth makes 2 failures in 4.
    expect(states).toEqual(["closed", "closed", "closed", "open"]);
    expect((await breaker.call(status(200))).notes.breaker).toEqual({ group: "acme:things", state: "open" });
    expect(breaker.seen.of("breaker")).toEqual([expect.objectContaining({ group: "acme:things", from: "closed", to: "open" })]);
  });

  it("stays closed below the minimum throughput, whatever the ratio", async () => {
    const breaker = circuit({ minimumThroughput: 10 });
    for (let i = 0; i < 9; i++) expect(await breaker.stateAfter(status(503))).toBe("closed");
    expect(await breaker.stateAfter(status(503))).toBe("open");
  });

  it("stays closed below the failure ratio", async () => {
    const breaker = circuit();
    for (const step of [status(503), status(200), status(200), status(200), status(503), status(200)]) await breaker.call(step);
    expect(await breaker.stateAfter(status(200))).toBe("closed");
  });

  it("counts network failures and lost answers as failures", async () => {
    const breaker = circuit({ minimumThroughput: 2 });
    const reset = new NetworkError("socket hang up", "request", "ECONNRESET");
    await breaker.call((plan) => failed(plan, reset));
    expect((await breaker.call((plan) => failed(plan, reset), create())).verdict.outcome).toBe("unknown-outcome");
    expect(breaker.transitions()).toEqual(["closed>open"]);
  });

  it("forgets failures that have left the window", async () => {
    const breaker = circuit({ windowMs: 10_000 });
    for (let i = 0; i < 3; i++) await breaker.call(status(503));
    await breaker.clock.advance(11_000);
    // One failure among four recent outcomes: the three old ones no longer count.
    for (const step of [status(200), status(200), status(200)]) await breaker.call(step);
    expect(await breaker.stateAfter(status(503))).toBe("closed");
  });

  it("keeps endpoint groups apart: by first tag, else by first path segment", async () => {
    const breaker = circuit({ minimumThroughput: 2 });
    const patients = read({ tags: ["Patient"] });
    for (let i = 0; i < 2; i++) await breaker.call(status(503), patients);

    expect((await breaker.call(status(200), patients)).error).toMatchObject({ group: "acme:Patient" });
    expect((await breaker.call(status(200))).notes.breaker).toEqual({ group: "acme:things", state: "closed" });
    expect((await breaker.call(status(200), read({ path: "/widgets/{thingId}" }))).notes.breaker).toEqual({ group: "acme:widgets", state: "closed" });
  });

  it("shares state through its store: another breaker on the same store sees the circuit open", async () => {
    const store = new MemoryBreakerStore();
    const first = circuit({ store, minimumThroughput: 2 });
    for (let i = 0; i < 2; i++) await first.call(status(503));

    const second = breakerPolicy("acme", { store }, first.clock);
    const next = scriptedNext(status(200));
    const result = await second(next)(planFor({ operation: read(), clock: first.clock }));

    expect(result.error).toBeInstanceOf(CircuitOpenError);
    expect(next.plans).toHaveLength(0);
  });
});

describe("breaker: what it does not count", () => {
  it("does not count a 429: the provider is pacing the client, not failing", async () => {
    const breaker = circuit();
    for (let i = 0; i < 10; i++) await breaker.call(status(429));
    for (let i = 0; i < 3; i++) await breaker.call(status(503));
    // Three 503s are all the outcomes there are: short of four.
    expect(await breaker.stateAfter(status(429))).toBe("closed");
  });

  it("counts other 4xx as successes: the provider is up", async () => {
    const breaker = circuit();
    for (const code of [404, 400, 409, 422]) await breaker.call(status(code));
    for (let i = 0; i < 3; i++) await breaker.call(status(503));
    expect(await breaker.stateAfter(status(404))).toBe("closed"); // 3 failures in 8
  });

  it("does not count a refusal from below: nothing was sent", async () => {
    const breaker = circuit({ minimumThroughput: 2 });
    const refused: Step = (plan) => refusal(plan, new RateLimitedError(0, "no slot"));
    for (let i = 0; i < 5; i++) await breaker.call(refused);
    await breaker.call(status(503));
    expect(await breaker.stateAfter(refused)).toBe("closed");
  });
});

describe("breaker: refined verdicts", () => {
  /** A FHIR-style refinement: an OperationOutcome issue code `transient` makes any answer retryable. */
  const fhirLike: ClassifyOptions = {
    refine: (input, byDefault) => {
      if (!("exchange" in input) || byDefault.outcome === "ok") return undefined;
      const body = input.exchange.json?.value as { issue?: Array<{ code: string }> } | undefined;
      return body?.issue?.some((i) => i.code === "transient") ? { outcome: "retryable", reason: `${byDefault.reason} transient` } : undefined;
    },
  };
  const transient = { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "transient" }] };
  const invalid = { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "invalid" }] };

  it("counts an answer whose verdict says retryable as a failure, whatever its status", async () => {
    const breaker = circuit({ minimumThroughput: 2 }, fhirLike);

    const first = await breaker.call(status(400, transient));
    await breaker.call(status(400, transient));

    expect(first.verdict).toEqual({ outcome: "retryable", reason: "HTTP 400 transient" });
    expect(breaker.transitions()).toEqual(["closed>open"]);
  });

  it("counts the same 4xx with a code that blames the request as a success", async () => {
    const breaker = circuit({ minimumThroughput: 2 }, fhirLike);
    for (let i = 0; i < 4; i++) await breaker.call(status(400, invalid));
    expect(breaker.transitions()).toEqual([]);
  });
});

describe("breaker: while open", () => {
  it("refuses at once with CircuitOpenError and a breaker note, without calling next", async () => {
    const breaker = await opened();
    const before = breaker.sent();
    await breaker.clock.advance(1_000);

    const refused = await breaker.call(status(200));

    expect(breaker.sent()).toBe(before);
    expect(refused.error).toBeInstanceOf(CircuitOpenError);
    expect(refused.error).toMatchObject({ kind: "circuit-open", group: "acme:things", retryAt: breaker.openedAt + 5_000 });
    expect(refused.notes).toEqual({ attempts: [], breaker: { group: "acme:things", state: "open" } });
    expect(refused.exchange).toBeUndefined();
  });

  it("lets a single probe through after openMs and refuses everything else while it is out; its success closes the circuit", async () => {
    const breaker = await opened();
    await breaker.clock.advance(5_000);
    const held = heldStep();

    const probe = breaker.call(held.step);
    await settle();
    const meanwhile = await breaker.call(status(200));
    held.release(status(200));
    const probed = await probe;

    expect(meanwhile.error).toMatchObject({ kind: "circuit-open", retryAt: breaker.clock.now() + 5_000 });
    expect(meanwhile.notes.breaker).toEqual({ group: "acme:things", state: "half-open" });
    expect(probed.notes.breaker).toEqual({ group: "acme:things", state: "closed" });
    expect(await breaker.stateAfter(status(503))).toBe("closed"); // the old failures are forgotten
    expect(breaker.transitions()).toEqual(["closed>open", "open>half-open", "half-open>closed"]);
  });

  it("re-opens for another openMs when the probe fails", async () => {
    const breaker = await opened();
    await breaker.clock.advance(5_000);

    expect((await breaker.call(status(500))).notes.breaker?.state).toBe("open");
    const reopenedAt = breaker.clock.now();
    await breaker.clock.advance(4_999);
    expect((await breaker.call(status(200))).error).toMatchObject({ kind: "circuit-open", retryAt: reopenedAt + 5_000 });
    await breaker.clock.advance(1);
    expect(await breaker.stateAfter(status(200))).toBe("closed");
    expect(breaker.transitions()).toEqual(["closed>open", "open>half-open", "half-open>open", "open>half-open", "half-open>closed"]);
  });

  it.each([
    ["answered 429", status(429)],
    ["was refused below", ((plan) => refusal(plan, new RateLimitedError(0, "no slot"))) as Step],
  ])("lets the next call probe at once when the probe %s: it said nothing of the provider's health", async (_what, step) => {
    const breaker = await opened();
    await breaker.clock.advance(5_000);

    expect((await breaker.call(step)).notes.breaker?.state).toBe("open");
    expect(await breaker.stateAfter(status(200))).toBe("closed");
  });

  it("lets the next call probe when the probe's next threw, and passes the error on", async () => {
    const breaker = await opened();
    await breaker.clock.advance(5_000);

    await expect(
      breaker.call(() => {
        throw new Error("a policy below broke");
      }),
    ).rejects.toThrow("a policy below broke");
    expect(await breaker.stateAfter(status(200))).toBe("closed");
  });
});
