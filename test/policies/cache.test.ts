/**
 * The cache policy alone, on a fake clock: what it serves without calling `next`, how it
 * revalidates, when it stands in a stale entry for a failure, what it never stores, and
 * what a write drops.
 */
import { describe, expect, it } from "@jest/globals";
import { AbortedError, cachePolicy, CircuitOpenError, InvalidRequestError, MemoryCacheStore, NetworkError, RateLimitedError, refusal, TimeoutError, type AttemptPlan, type AttemptResult, type CacheOptions } from "carewire";
import { FakeClock, answered, failed, planFor, scriptedNext, type PlanSetup } from "carewire/testing";
import { create, list, read, telemetry, thing, update } from "./support.js";

type Step = (plan: AttemptPlan) => AttemptResult;

/** A 200 for thing t1 with the given response headers. */
const fresh =
  (headers: Record<string, string>, version = 1): Step =>
  (plan) =>
    answered(plan, 200, { body: { id: "t1", version }, headers });

const status =
  (code: number, headers: Record<string, string> = {}): Step =>
  (plan) =>
    answered(plan, code, { headers });

/**
 * A cache policy on a fake clock starting at 0, and a way to call through it. Each call
 * reads thing t1 unless told otherwise; `next` answers it with the given step.
 */
function cacheOn(options: CacheOptions = {}, tenant?: string) {
  const clock = new FakeClock({ start: 0 });
  const seen = telemetry();
  const policy = cachePolicy(options, tenant);
  async function call(step: Step, setup: Partial<PlanSetup> = {}) {
    const next = scriptedNext(step);
    const plan = planFor({ operation: read(), input: thing("t1"), clock, onEvent: seen.onEvent, ...setup });
    const result = await policy(next)(plan);
    return { plan, result, sent: next.plans[0] };
  }
  /** Whether a read is answered from the cache (`next` is not called). */
  const cached = async (setup: Partial<PlanSetup> = {}) => (await call(fresh({}, 99), setup)).sent === undefined;
  return { clock, seen, call, cached };
}

describe("cache: fresh entries", () => {
  it("serves a fresh entry without calling next, with source cache and its age", async () => {
    const { clock, seen, call } = cacheOn();
    await call(fresh({ "cache-control": "max-age=60" }));
    await clock.advance(30_000);

    const { result, sent } = await call(fresh({}, 2));

    expect(sent).toBeUndefined();
    expect(result.notes).toEqual({ attempts: [], source: "cache", ageMs: 30_000 });
    expect(result.verdict.outcome).toBe("ok");
    expect(result.exchange?.response.status).toBe(200);
    expect(await result.exchange?.response.json()).toEqual({ id: "t1", version: 1 });
    expect(seen.events.map((e) => (e.type === "cache" ? e.result : e.type))).toEqual(["stored", "hit"]);
  });

  it("stops serving an entry once it is max-age old", async () => {
    const { clock, call, cached } = cacheOn();
    await call(fresh({ "cache-control": "max-age=60" }));
    await clock.advance(59_999);
    expect(await cached()).toBe(true);
    await clock.advance(1);
    expect(await cached()).toBe(false);
  });

  it("takes the lifetime from the operation's max-age hint when the server gives none", async () => {
    const { clock, call, cached } = cacheOn();
    const hinted = { operation: read({ hints: { cache: { policy: "max-age", maxAgeSeconds: 10 } } }) };
    await call(fresh({}), hinted);
    await clock.advance(9_000);
    expect(await cached(hinted)).toBe(true);
  });

  it("keeps different query strings, and different tenants on one store, apart", async () => {
    const store = new MemoryCacheStore();
    const { call, cached } = cacheOn({ store }, "north");
    const south = cacheOn({ store }, "south");
    const query = (q: string) => ({ input: thing("t1", { query: { q } }) });

    await call(fresh({ "cache-control": "max-age=60" }), query("a"));

    expect(await cached(query("a"))).toBe(true);
    expect(await cached(query("b"))).toBe(false);
    expect(await south.cached(query("a"))).toBe(false);
  });

  it.each([
    ["an answer with no freshness, validator or fallback", fresh({})],
    ["an error answer", status(404, { "cache-control": "max-age=60" })],
  ])("stores nothing for %s", async (_what, step) => {
    const { seen, call, cached } = cacheOn();
    await call(step);
    expect(seen.of("cache")).toEqual([]);
    expect(await cached()).toBe(false);
  });
});

describe("cache: revalidation", () => {
  const validated = { etag: '"v1"', "last-modified": "Tue, 01 Jan 2030 00:00:00 GMT", "cache-control": "max-age=10" };

  it("sends a stale entry's validators on the plan it passes on, and nothing else changed", async () => {
    const { clock, call } = cacheOn();
    const first = await call(fresh(validated));
    await clock.advance(11_000);

    const { sent, plan } = await call(status(304));

    expect(first.sent?.headers).toEqual({});
    expect(sent?.headers).toEqual({ "If-None-Match": '"v1"', "If-Modified-Since": "Tue, 01 Jan 2030 00:00:00 GMT" });
    expect(sent).toMatchObject({ attempt: plan.attempt, call: plan.call });
  });

  it("revalidates even a fresh entry for a call made with cache: no-cache", async () => {
    const { call } = cacheOn();
    await call(fresh(validated));
    const { sent } = await call(status(304), { options: { cache: "no-cache" } });
    expect(sent?.headers["If-None-Match"]).toBe('"v1"');
  });

  it("answers a 304 with the stored body, refreshed: age 0, the 304's attempt kept", async () => {
    const { clock, seen, call, cached } = cacheOn();
    await call(fresh(validated));
    await clock.advance(11_000);

    const { result } = await call(status(304, { etag: '"v1"', "cache-control": "max-age=10" }));

    expect(result.exchange?.response.status).toBe(200);
    expect(await result.exchange?.response.json()).toEqual({ id: "t1", version: 1 });
    expect(result.notes).toMatchObject({ source: "cache", ageMs: 0 });
    expect(result.notes.attempts.map((a) => a.status)).toEqual([304]);
    expect(seen.of("cache").map((e) => e.result)).toEqual(["stored", "revalidated"]);
    await clock.advance(9_000);
    expect(await cached()).toBe(true);
  });

  it("revalidates next time with the validator a 304 named", async () => {
    const { clock, call } = cacheOn();
    await call(fresh(validated));
    await clock.advance(11_000);
    await call(status(304, { etag: '"v2"', "cache-control": "max-age=10" }));
    await clock.advance(11_000);

    const { sent } = await call(status(304));

    expect(sent?.headers["If-None-Match"]).toBe('"v2"');
  });

  it("keeps the stored lifetime when a 304 has no Cache-Control", async () => {
    const { clock, call, cached } = cacheOn();
    await call(fresh(validated));
    await clock.advance(11_000);
    await call(status(304, { etag: '"v1"' }));

    await clock.advance(9_000);
    expect(await cached()).toBe(true);
    await clock.advance(1_000);
    expect(await cached()).toBe(false);
  });
});

describe("cache: stale if error", () => {
  const fallback = { "cache-control": "max-age=10, stale-if-error=60" };

  it.each([
    ["a refused connection", (plan: AttemptPlan) => failed(plan, new NetworkError("refused", "connect", "ECONNREFUSED"))],
    ["a timeout", (plan: AttemptPlan) => failed(plan, new TimeoutError(1_000, "request"))],
    ["an open circuit", (plan: AttemptPlan) => refusal(plan, new CircuitOpenError("acme:things", 0), { attempts: [], breaker: { group: "acme:things", state: "open" } })],
    ["no pacing slot", (plan: AttemptPlan) => refusal(plan, new RateLimitedError(0, "no slot"))],
    ["a 503", status(503)],
    ["a 500", status(500)],
    ["a 429", status(429, { "retry-after": "1" })],
  ])("serves the stale entry in place of %s, with its age and the failure's notes", async (_what, failure) => {
    const { clock, seen, call } = cacheOn();
    await call(fresh(fallback));
    await clock.advance(20_000);

    const { result, plan } = await call(failure);

    expect(result.error).toBeUndefined();
    expect(result.verdict.outcome).toBe("ok");
    expect(await result.exchange?.response.json()).toEqual({ id: "t1", version: 1 });
    expect(result.notes).toEqual({ ...failure(plan).notes, source: "stale", ageMs: 20_000 });
    expect(seen.of("cache").map((e) => e.result)).toEqual(["stored", "stale"]);
  });

  it("hands back the failure once the entry is older than max-age + stale-if-error", async () => {
    const { clock, call } = cacheOn();
    await call(fresh(fallback));
    await clock.advance(70_001);

    const { result } = await call(status(503));

    expect(result.exchange?.response.status).toBe(503);
    expect(result.notes.source).toBeUndefined();
  });

  it.each([
    ["a 404", status(404)],
    ["an abort", (plan: AttemptPlan) => failed(plan, new AbortedError(new Error("user left")))],
    ["a request that could not be built", (plan: AttemptPlan) => refusal(plan, new InvalidRequestError("missing path parameter"))],
  ])("hands back %s as it is: the provider is not failing", async (_what, failure) => {
    const { clock, call } = cacheOn();
    await call(fresh(fallback));
    await clock.advance(20_000);

    const { result, plan } = await call(failure);

    expect(result).toEqual(failure(plan));
  });

  it("takes the stale window from the operation's hint, or else from defaultStaleIfErrorMs", async () => {
    const hinted = { operation: read({ hints: { cache: { policy: "max-age", maxAgeSeconds: 10, staleIfErrorSeconds: 30 } } }) };
    const byHint = cacheOn();
    const byDefault = cacheOn({ defaultStaleIfErrorMs: 30_000 });
    await byHint.call(fresh({}), hinted);
    await byDefault.call(fresh({ "cache-control": "max-age=10" }));
    await byHint.clock.advance(40_000);
    await byDefault.clock.advance(40_001);

    expect((await byHint.call(status(503), hinted)).result.notes.source).toBe("stale");
    expect((await byDefault.call(status(503))).result.notes.source).toBeUndefined();
  });
});

describe("cache: what it never stores", () => {
  it("stores nothing the server marks no-store, and drops what it had", async () => {
    const { clock, call, cached } = cacheOn();
    await call(fresh({ etag: '"v1"' }));
    await call(fresh({ "cache-control": "no-store" }));
    await clock.advance(1_000);

    const { sent } = await call(fresh({ "cache-control": "max-age=60" }));

    expect(sent?.headers).toEqual({});
    expect(await cached()).toBe(true);
  });

  it.each([
    ["made with cache: no-store", { options: { cache: "no-store" } }],
    ["made with stream: true", { options: { stream: true } }],
    ["of an operation hinted no-store", { operation: read({ hints: { cache: { policy: "no-store" } } }) }],
  ] as Array<[string, Partial<PlanSetup>]>)("passes a read %s on untouched, reading nothing and storing nothing", async (_what, setup) => {
    const { call } = cacheOn();
    await call(fresh({ "cache-control": "max-age=60", etag: '"v1"' }), { input: thing("t2") });

    const bypass = await call(fresh({ "cache-control": "max-age=60" }), { ...setup, input: thing("t2") });
    const after = await call(fresh({ "cache-control": "max-age=60" }), setup);

    expect(bypass.sent).toBe(bypass.plan);
    expect(after.sent).toBe(after.plan);
  });
});

describe("cache: writes", () => {
  /** A cache holding thing t1, thing t2 and the collection (with a query), all fresh. */
  async function filled() {
    const cache = cacheOn();
    const fresh60 = fresh({ "cache-control": "max-age=60" });
    await cache.call(fresh60);
    await cache.call(fresh60, { input: thing("t2") });
    await cache.call(fresh60, { operation: list(), input: { params: { query: { q: "x" } } } });
    const state = async () => [await cache.cached(), await cache.cached({ input: thing("t2") }), await cache.cached({ operation: list(), input: { params: { query: { q: "x" } } } })];
    return { ...cache, state };
  }

  it("drops the written resource and its collection, and keeps other resources", async () => {
    const { call, state } = await filled();
    await call(status(200), { operation: update(), input: thing("t1", { body: { id: "t1" } }) });
    expect(await state()).toEqual([false, true, false]);
  });

  it("drops the collection a POST adds to, and keeps its members", async () => {
    const { call, state } = await filled();
    await call(status(201), { operation: create(), input: { body: { name: "new" } } });
    expect(await state()).toEqual([true, true, false]);
  });

  it.each([
    ["a 5xx", status(503)],
    ["a lost answer", (plan: AttemptPlan) => failed(plan, new NetworkError("socket hang up", "request", "ECONNRESET"))],
  ])("drops them after %s too: the write may have been applied", async (_what, step) => {
    const { call, state } = await filled();
    await call(step, { operation: update(), input: thing("t1", { body: {} }) });
    expect(await state()).toEqual([false, true, false]);
  });

  it("keeps everything when the server refused the write (4xx)", async () => {
    const { call, state } = await filled();
    await call(status(409), { operation: update(), input: thing("t1", { body: {} }) });
    expect(await state()).toEqual([true, true, true]);
  });

  it("drops all of the tenant's entries after a write to the root (a batch or transaction), and no other tenant's", async () => {
    const store = new MemoryCacheStore();
    const north = cacheOn({ store }, "north");
    const south = cacheOn({ store }, "south");
    for (const tenant of [north, south]) await tenant.call(fresh({ "cache-control": "max-age=60" }));

    await north.call(status(200), { operation: create({ path: "/" }), input: { body: { resourceType: "Bundle" } } });

    expect(await north.cached()).toBe(false);
    expect(await south.cached()).toBe(true);
  });

  it("passes a write's plan on untouched", async () => {
    const { call } = cacheOn();
    const { sent, plan } = await call(status(201), { operation: create(), input: { body: {} } });
    expect(sent).toBe(plan);
  });
});
