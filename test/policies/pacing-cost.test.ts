/**
 * Pacing under quotas priced by cost, several at once: a call spends its price of each
 * quota the provider counts (one request, and 20 points for a search), every known quota
 * is paced, and the limits of each are learned from a multi-policy RateLimit header. On a
 * manual fake clock, with a stub `next`.
 */
import { describe, expect, it } from "@jest/globals";
import { pacingPolicy, type AttemptResult, type OperationDescriptor, type PacingOptions } from "carewire";
import { FakeClock, answered, planFor, scriptedNext } from "carewire/testing";
import { create, read, settle, thing, type Step } from "./support.js";

const ok: Step = (plan) => answered(plan, 200);
const withHeaders =
  (code: number, headers: Record<string, string>): Step =>
  (plan) =>
    answered(plan, code, { headers });

/** A search priced as a FHIR server prices it: 20 points (and one request). */
const search = read({ operationId: "Patient.search-type", hints: { cost: { points: 20 } } });

function pacer(options: PacingOptions, ...steps: Step[]) {
  const clock = new FakeClock({ start: 0 });
  const policy = pacingPolicy("acme", options, clock);
  const next = scriptedNext(...(steps.length > 0 ? steps : [ok]));
  const call = (id: string, operation: OperationDescriptor = search): Promise<AttemptResult> => policy(next)(planFor({ operation, clock, input: thing(id) }));
  const sent = () => next.plans.map((p) => (p.call.input.params?.path as { thingId: string }).thingId);
  /** Sends `ids` at once; what went before `ms` of the clock passed, and what once it had. */
  async function burst(ids: readonly string[], ms: number) {
    const calls = ids.map((id) => call(id));
    await settle();
    await clock.advance(ms - 1);
    const before = sent();
    await clock.advance(1);
    const results = await Promise.all(calls);
    return { before, after: sent(), results };
  }
  return { clock, call, sent, burst };
}

const ids = (n: number, prefix = "s") => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

describe("pacing by cost: one points quota", () => {
  it("admits 5 searches costing 20 per window of a 100-point quota, and the 6th when the window frees", async () => {
    const { burst } = pacer({ quotas: { points: { limit: 100, windowMs: 1_000 } }, safetyMarginMs: 0 });
    const { before, after } = await burst(ids(6), 1_000);
    expect(before).toEqual(ids(5));
    expect(after).toEqual(ids(6));
  });

  it("takes the price from config over the operation's, by operationId", async () => {
    const { burst } = pacer({ quotas: { points: { limit: 100, windowMs: 1_000 } }, cost: { "Patient.search-type": { points: 50 } }, safetyMarginMs: 0 });
    expect((await burst(ids(3), 1_000)).before).toEqual(ids(2));
  });

  it("takes the price from a config function, a number being units of requests", async () => {
    const { burst } = pacer({ limit: 10, windowMs: 1_000, cost: (operation) => (operation.operationId === "Patient.search-type" ? 5 : undefined), safetyMarginMs: 0 });
    expect((await burst(ids(3), 1_000)).before).toEqual(ids(2));
  });

  it("fails a call that costs more than the whole quota at once, typed, without sending it", async () => {
    const { call, sent } = pacer({ quotas: { points: { limit: 100, windowMs: 1_000 } } });
    const result = await call("huge", read({ hints: { cost: { points: 101 } } }));
    expect(result.error?.kind).toBe("rate-limited");
    expect(sent()).toEqual([]);
  });

  it("does not pace a quota whose limit nobody states: the price alone paces nothing", async () => {
    const { burst } = pacer({ safetyMarginMs: 0 });
    expect((await burst(ids(10), 1)).before).toEqual(ids(10));
  });
});

describe("pacing by cost: several quotas at once", () => {
  it("paces requests and points together: whichever is spent first holds the call", async () => {
    const options = { limit: 3, windowMs: 1_000, quotas: { points: { limit: 100, windowMs: 1_000 } }, safetyMarginMs: 0 };
    // Reads cost 1 point: the requests quota (3) is what holds the 4th.
    const reads = pacer(options);
    const cheap = ids(4, "r").map((id) => reads.call(id, read()));
    await settle();
    expect(reads.sent()).toEqual(ids(3, "r"));
    await reads.clock.advance(1_000);
    await Promise.all(cheap);
    expect(reads.sent()).toEqual(ids(4, "r"));

    // Writes cost 50 points: the points quota (100) holds the 3rd, with requests to spare.
    const writes = pacer(options);
    const dear = ids(3, "w").map((id) => writes.call(id, create({ hints: { cost: { points: 50 } } })));
    await settle();
    expect(writes.sent()).toEqual(ids(2, "w"));
    await writes.clock.advance(1_000);
    await Promise.all(dear);
    expect(writes.sent()).toEqual(ids(3, "w"));
  });

  it("paces quotas the spec declares beside requests", async () => {
    const declared = read({ hints: { cost: { points: 40 }, rateLimit: { quotas: { points: { limit: 100, windowSeconds: 1 } } } } });
    const { call, sent, clock } = pacer({ safetyMarginMs: 0 });
    const calls = ids(3).map((id) => call(id, declared));
    await settle();
    expect(sent()).toEqual(ids(2));
    await clock.advance(1_000);
    await Promise.all(calls);
    expect(sent()).toEqual(ids(3));
  });
});

describe("pacing by cost: what the server's headers teach, per quota", () => {
  const policies = {
    ratelimit: '"requests";r=9;t=1, "points";r=80;t=1',
    "ratelimit-policy": '"requests";q=10;w=1, "points";q=100;w=1',
  };

  it("learns each quota's limit by name, paces both, and notes every quota", async () => {
    const { call, burst } = pacer({ safetyMarginMs: 0 }, withHeaders(200, policies), ok);
    const first = await call("s1");
    expect(first.notes.rateLimit).toEqual({
      remaining: 9,
      resetMs: 1_000,
      limit: 10,
      windowMs: 1_000,
      quotas: [
        { policy: "requests", remaining: 9, resetMs: 1_000, limit: 10, windowMs: 1_000 },
        { policy: "points", remaining: 80, resetMs: 1_000, limit: 100, windowMs: 1_000 },
      ],
    });
    // 80 points left in this window: 4 more searches, the 5th when s1 leaves the window.
    const { before, after } = await burst(["s2", "s3", "s4", "s5", "s6"], 1_000);
    expect(before).toEqual(["s1", "s2", "s3", "s4", "s5"]);
    expect(after).toEqual(["s1", "s2", "s3", "s4", "s5", "s6"]);
  });

  it("corrects each quota's window with the server's remaining count (points spent elsewhere)", async () => {
    const spentElsewhere = { ...policies, ratelimit: '"requests";r=9;t=1, "points";r=40;t=1' };
    const { call, burst } = pacer({ safetyMarginMs: 0 }, withHeaders(200, spentElsewhere), ok);
    await call("s1");
    // 40 points left: 2 more searches this window.
    expect((await burst(["s2", "s3", "s4"], 1_000)).before).toEqual(["s1", "s2", "s3"]);
  });

  it("holds every call until the reset when a quota with no known limit says it is spent", async () => {
    const { call, burst } = pacer({}, withHeaders(200, { ratelimit: '"requests";r=50;t=30, "points";r=0;t=7' }), ok);
    const spent = await call("s1");
    expect(spent.notes.rateLimit?.pausedUntil).toBe(7_000);
    expect((await burst(["s2"], 7_000)).before).toEqual(["s1"]);
  });

  it("after a 429 without Retry-After waits for the reset of the quota the server says is spent", async () => {
    const { call, burst } = pacer({}, withHeaders(429, { ratelimit: '"requests";r=50;t=2, "points";r=0;t=12' }), ok);
    const throttled = await call("s1");
    expect(throttled.notes.rateLimit?.pausedUntil).toBe(12_000);
    expect((await burst(["s2"], 12_000)).before).toEqual(["s1"]);
  });

  it("reads a lone policy named after a quota the call is priced in as that quota, not as requests", async () => {
    const { call, burst } = pacer({ safetyMarginMs: 0 }, withHeaders(200, { ratelimit: '"points";r=60;t=1', "ratelimit-policy": '"points";q=100;w=1' }), ok);
    const first = await call("s1");
    // Nothing was learned of requests: the note carries no requests limit.
    expect(first.notes.rateLimit).toEqual({});
    // 60 points left: 3 more searches this window.
    expect((await burst(["s2", "s3", "s4", "s5"], 1_000)).before).toEqual(["s1", "s2", "s3", "s4"]);
  });
});
