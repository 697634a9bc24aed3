/**
 * Several instances of one app on one client_id sharing their token, circuits and (when
 * asked) cached responses through a real redis-server: each instance is a pipeline with
 * its own store object and connection (as separate processes would have), on one fake
 * clock. The token endpoint and the API are one real HTTP server that counts requests.
 */
import { beforeEach, describe, expect, it } from "@jest/globals";
import { Redis } from "ioredis";
import { redisStore, type OperationSchemas, type Pipeline, type RedisStoreOptions } from "carewire";
import { FakeClock } from "carewire/testing";
import { tolerantObject, z } from "carewire/zod";
import { json, type RecordedRequest } from "../helpers/http-server.js";
import { testOperation } from "../helpers/operation.js";
import { pipelineWith, serverForFile, type TestPipelineOptions } from "../helpers/pipeline.js";
import { ownRedis, redisForFile } from "../helpers/redis-for-file.js";
import { waitFor } from "../helpers/windows.js";

const schemas: OperationSchemas = { responses: { "200": tolerantObject({ id: z.string() }) } };
const credentials = { tokenUrl: "/oauth/token", clientId: "fleet-client", clientSecret: "fleet-secret" };
const secured = testOperation({ security: "required" });
const update = testOperation({ operationId: "updateThing", name: "updateThing", method: "put", safety: "idempotent", requestBody: { required: true, contentTypes: ["application/json"] } });
const input = (id: string | number) => ({ params: { path: { thingId: String(id) } } });

/**
 * What the server saw and how it answers: /oauth/token issues `tok-1`, `tok-2`, … (held
 * while `tokenGate` is set); /things/<what> refuses a revoked token with 401, answers a
 * three-digit <what> with that status (held while `apiGate` is set), else 200, cacheable.
 */
interface ServerState {
  tokenRequests: RecordedRequest[];
  apiRequests: RecordedRequest[];
  revoked: Set<string>;
  tokenGate?: Promise<void>;
  apiGate?: Promise<void>;
}
let state: ServerState;
const server = serverForFile(async (req, res) => {
  if (req.url === "/oauth/token") {
    state.tokenRequests.push(req);
    const n = state.tokenRequests.length;
    await state.tokenGate;
    return json(res, 200, { access_token: `tok-${n}`, token_type: "Bearer", expires_in: 3_600 });
  }
  state.apiRequests.push(req);
  if (state.revoked.has(req.headers.authorization ?? "")) return json(res, 401, { error: "invalid_token" });
  await state.apiGate;
  const what = req.url.split("/").pop() ?? "";
  if (/^\d{3}$/.test(what)) return json(res, Number(what), { title: `status ${what}` });
  json(res, 200, { id: what }, { "cache-control": "max-age=60" });
});

const redis = redisForFile("fleet-state");

// Every test starts from a server that has seen nothing and revoked nothing.
beforeEach(() => {
  state = { tokenRequests: [], apiRequests: [], revoked: new Set() };
});

/** `count` instances on one prefix of `url`'s Redis, each with its own store and connection. */
function fleet(count: number, clock: FakeClock, options: TestPipelineOptions = {}, store: Partial<RedisStoreOptions> = {}, url = redis.url) {
  const prefix = redis.prefix();
  return {
    prefix,
    instances: Array.from({ length: count }, () => {
      const made = redis.keep(redisStore({ url, prefix, ...store }));
      return pipelineWith(server.url, { clock, store: made, ...options });
    }),
  };
}

/** A gate the test opens: `promise` for the server to await, `open()` to let it go. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/**
 * Waits for `work` while moving the fake clock a second at a time, so instances waiting
 * for another's token (sleeping on the clock) look again; a bounded number of steps, so a
 * hang fails the test instead of the run.
 */
async function drive<T>(clock: FakeClock, work: Promise<T>, steps = 20): Promise<T> {
  let done = false;
  void work.finally(() => (done = true)).catch(() => undefined);
  for (let i = 0; i < steps && !done; i++) {
    await new Promise((r) => setTimeout(r, 20));
    if (!done) await clock.advance(1_000);
  }
  if (!done) throw new Error("the calls did not finish");
  return work;
}

/** Lets instances reach the store and start waiting (real time: the fake clock stands still). */
const pause = () => new Promise((r) => setTimeout(r, 100));

/**
 * Every instance calls `secured` at once while the token endpoint holds its answers: they
 * go once the server has seen its `tokenRequests`-th token request and the other instances
 * have had time to wait for it. Returns every call's result.
 */
async function allCallWhileTokenHeld(clock: FakeClock, instances: readonly Pipeline[], tokenRequests: number) {
  const tokenGate = gate();
  state.tokenGate = tokenGate.promise;
  const calls = Promise.all(instances.map((pipeline, i) => pipeline.call(secured, schemas, input(i))));
  await waitFor(() => state.tokenRequests.length === tokenRequests, `token request ${tokenRequests}`);
  await pause();
  tokenGate.open();
  return drive(clock, calls);
}

describe("a fleet's OAuth token", () => {
  it("four instances needing a token at once send one token request, and all use its token", async () => {
    const clock = new FakeClock();
    const { instances } = fleet(4, clock, { auth: credentials });

    const results = await allCallWhileTokenHeld(clock, instances, 1);

    expect(results.map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined]);
    expect(state.tokenRequests).toHaveLength(1);
    expect(state.apiRequests.map((r) => r.headers.authorization)).toEqual(Array(4).fill("Bearer tok-1"));
  });

  it("after a 401 that every instance meets, one refresh serves the fleet", async () => {
    const clock = new FakeClock();
    const { instances } = fleet(4, clock, { auth: credentials });
    for (const [i, pipeline] of instances.entries()) expect((await pipeline.call(secured, schemas, input(i))).error).toBeUndefined();
    expect(state.tokenRequests).toHaveLength(1);

    // The server revokes tok-1 while every instance still holds it.
    state.revoked.add("Bearer tok-1");
    const results = await allCallWhileTokenHeld(clock, instances, 2);

    expect(results.map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined]);
    expect(state.tokenRequests).toHaveLength(2);
    expect(results.map((r) => r.meta.attempts.map((a) => a.status))).toEqual(Array(4).fill([401, 200]));
    expect(state.apiRequests.slice(-4).map((r) => r.headers.authorization)).toEqual(Array(4).fill("Bearer tok-2"));
  });

  it("keeps the token out of Redis key names, and keeps it there no longer than it lives", async () => {
    const clock = new FakeClock();
    const { instances, prefix } = fleet(1, clock, { auth: credentials });
    await instances[0]!.call(secured, schemas, input(1));
    const peek = new Redis(redis.url);
    try {
      const keys = await peek.keys(`${prefix}*`);
      expect(keys).toHaveLength(1);
      expect(keys[0]).not.toMatch(/fleet-client|oauth|tok-1/);
      const ttl = await peek.pttl(keys[0]!);
      expect(ttl).toBeGreaterThan(3_500_000);
      expect(ttl).toBeLessThanOrEqual(3_600_000);
    } finally {
      peek.disconnect();
    }
  });
});

describe("a fleet's OAuth token when Redis goes away", () => {
  const own = ownRedis();

  it("each instance gets its own token at once, and no call hangs", async () => {
    const clock = new FakeClock();
    const heard: string[] = [];
    const { instances } = fleet(3, clock, { auth: credentials }, { retryAfterMs: 600_000, onStateChange: (part, state) => heard.push(`${part} ${state}`) }, own().url);
    for (const [i, pipeline] of instances.entries()) expect((await pipeline.call(secured, schemas, input(i))).error).toBeUndefined();
    expect(state.tokenRequests).toHaveLength(1);

    await own().stop({ hard: true });
    state.revoked.add("Bearer tok-1");
    const results = await drive(clock, Promise.all(instances.map((pipeline, i) => pipeline.call(secured, schemas, input(i)))));

    expect(results.map((r) => r.error)).toEqual([undefined, undefined, undefined]);
    // Alone, each instance asked for its own.
    expect(state.tokenRequests).toHaveLength(1 + 3);
    // And told the operator its token store went local (once per instance).
    expect(heard.filter((h) => h === "tokens local")).toHaveLength(3);
  });
});

describe("a fleet's circuits", () => {
  const breaker = { minimumThroughput: 2, openMs: 3_000 };

  it("failures seen by one instance open the circuit for another, which then sends nothing", async () => {
    const clock = new FakeClock();
    const { instances } = fleet(2, clock, { breaker });
    const [a, b] = instances as [ReturnType<typeof pipelineWith>, ReturnType<typeof pipelineWith>];
    await a.call(testOperation(), schemas, input(503));
    const second = await a.call(testOperation(), schemas, input(503));
    expect(second.meta.breaker).toEqual({ group: "acme:things", state: "open" });

    const sent = state.apiRequests.length;
    const refused = await b.call(testOperation(), schemas, input("ok"));

    expect(refused.error).toMatchObject({ kind: "circuit-open", group: "acme:things", retryAt: clock.now() + 3_000 });
    expect(state.apiRequests).toHaveLength(sent);
  });

  it("lets one probe through across the fleet; its success closes the circuit for everyone", async () => {
    const clock = new FakeClock();
    const { instances } = fleet(3, clock, { breaker });
    for (let i = 0; i < 2; i++) await instances[0]!.call(testOperation(), schemas, input(503));
    await clock.advance(3_000);

    const apiGate = gate();
    state.apiGate = apiGate.promise;
    const sent = state.apiRequests.length;
    const settled: Array<Awaited<ReturnType<ReturnType<typeof pipelineWith>["call"]>>> = [];
    const calls = instances.map((pipeline, i) => pipeline.call(testOperation(), schemas, input(`probe-${i}`)).then((r) => (settled.push(r), r)));
    // Two calls are refused at once; the probe reaches the server (in either order).
    await waitFor(() => settled.length === 2 && state.apiRequests.length > sent, "the two refused calls and the probe");
    expect(state.apiRequests).toHaveLength(sent + 1);
    apiGate.open();
    const results = await Promise.all(calls);

    expect(results.filter((r) => r.error === undefined)).toHaveLength(1);
    expect(settled.slice(0, 2).map((r) => [r.error?.kind, r.meta.breaker?.state])).toEqual([
      ["circuit-open", "half-open"],
      ["circuit-open", "half-open"],
    ]);
    state.apiGate = undefined;
    for (const pipeline of instances) expect((await pipeline.call(testOperation(), schemas, input("after"))).meta.breaker?.state).toBe("closed");
  });
});

describe("a fleet's response cache", () => {
  it("is shared when the store opts in: one instance's read serves another, and a write drops it for both", async () => {
    const clock = new FakeClock();
    const { instances } = fleet(2, clock, { cache: {} }, { cache: true });
    const [a, b] = instances as [ReturnType<typeof pipelineWith>, ReturnType<typeof pipelineWith>];

    expect((await a.call(testOperation(), schemas, input("t1"))).meta.source).toBe("network");
    const fromCache = await b.call(testOperation(), schemas, input("t1"));
    expect([fromCache.meta.source, fromCache.data]).toEqual(["cache", { id: "t1" }]);
    expect(state.apiRequests).toHaveLength(1);

    await a.call(update, schemas, { ...input("t1"), body: { id: "t1" } });
    expect((await b.call(testOperation(), schemas, input("t1"))).meta.source).toBe("network");
  });

  it("without the opt-in, writes nothing to Redis: each instance caches alone", async () => {
    const clock = new FakeClock();
    const { instances, prefix } = fleet(2, clock, { cache: {} });
    for (const pipeline of instances) await pipeline.call(testOperation(), schemas, input("t1"));

    expect(state.apiRequests).toHaveLength(2);
    const peek = new Redis(redis.url);
    try {
      expect(await peek.keys(`${prefix}*`)).toEqual([]);
    } finally {
      peek.disconnect();
    }
  });
});
