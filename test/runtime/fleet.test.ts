/**
 * Several instances of one app on one client_id, sharing the quota through a real
 * redis-server: each instance is a pipeline with its own store object and connection (as
 * separate processes would have), on one fake clock. The HTTP server is real too.
 */
import { describe, expect, it } from "@jest/globals";
import { createPipeline, memoryStore, redisStore, REDIS_URL_VARIABLE, type OperationSchemas, type SharedStore, type TelemetryEvent } from "carewire";
import { tolerantObject, z } from "carewire/zod";
import { FakeClock } from "carewire/testing";
import { json } from "../helpers/http-server.js";
import { mostInAnyWindow, recordArrivals, waitFor } from "../helpers/windows.js";
import { testOperation } from "../helpers/operation.js";
import { pipelineWith, serverForFile } from "../helpers/pipeline.js";
import { ownRedis, redisForFile } from "../helpers/redis-for-file.js";

const schemas: OperationSchemas = { responses: { "200": tolerantObject({ id: z.string() }) } };
const server = serverForFile();
const redis = redisForFile("fleet-test");
/** A fresh key prefix per test: the instances of one test share it, other tests do not see it. */
const fleetPrefix = redis.prefix;

function instance(clock: FakeClock, store: SharedStore, events?: TelemetryEvent[]) {
  redis.keep(store);
  return pipelineWith(server.url, { clock, store, pacing: { limit: 5, windowMs: 10_000, safetyMarginMs: 0 }, ...(events ? { onEvent: (e: TelemetryEvent) => events.push(e) } : {}) });
}

function input(id: number) {
  return { params: { path: { thingId: String(id) } } };
}

/** Watches `value` for a while of real time: it must stay at `expected` (nothing more is sent while fake time stands still). */
async function holdsAt(value: () => number, expected: number): Promise<void> {
  for (let i = 0; i < 10; i++) {
    expect(value()).toBe(expected);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("a fleet on one client_id", () => {
  it("through Redis: three instances together send the quota per window, no more, and the rest when it frees", async () => {
    // Fake time stands still while the instances race for the window; the test moves it.
    const clock = new FakeClock();
    const arrivals = recordArrivals(server, clock);
    const prefix = fleetPrefix();
    const events: TelemetryEvent[] = [];
    const fleet = [0, 1, 2].map(() => instance(clock, redisStore({ url: redis.url, prefix }), events));

    const calls = Promise.all(Array.from({ length: 15 }, (_, i) => fleet[i % 3]!.call(testOperation(), schemas, input(i))));
    for (let window = 1; window <= 3; window++) {
      await waitFor(() => arrivals.length === 5 * window && (window === 3 || clock.pending > 0), `window ${window}'s five sends`);
      await holdsAt(() => arrivals.length, 5 * window);
      if (window < 3) await clock.advance(10_000);
    }
    const results = await calls;

    expect(results.filter((r) => r.error !== undefined)).toEqual([]);
    expect(events.filter((e) => e.type === "quota-store")).toEqual([]);
    expect(mostInAnyWindow(arrivals, 10_000)).toBe(5);
  });

  it("in memory (each instance alone, the default): the same fleet sends three times the quota", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    const arrivals = recordArrivals(server, clock);
    const fleet = [0, 1, 2].map(() => instance(clock, memoryStore()));

    await Promise.all(Array.from({ length: 15 }, (_, i) => fleet[i % 3]!.call(testOperation(), schemas, input(i))));

    expect(mostInAnyWindow(arrivals, 10_000)).toBe(15);
  });

  it("one instance's 429 with Retry-After holds the others until the server's time", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    const arrivals: Array<{ id: string; at: number }> = [];
    let throttle = true;
    server.handle((req, res) => {
      arrivals.push({ id: req.url.split("/").pop() ?? "", at: clock.now() });
      if (throttle) {
        throttle = false;
        res.setHeader("retry-after", "30");
        return json(res, 429, { error: "slow down" });
      }
      json(res, 200, { id: "ok" });
    });
    const prefix = fleetPrefix();
    const [a, b] = [0, 1].map(() => instance(clock, redisStore({ url: redis.url, prefix })));
    const start = clock.now();

    const first = await a!.call(testOperation(), schemas, input(1));
    expect(first.response?.status).toBe(429);
    const second = await b!.call(testOperation(), schemas, input(2));

    expect(second.error).toBeUndefined();
    expect(arrivals.map((x) => x.id)).toEqual(["1", "2"]);
    expect(arrivals[1]!.at - start).toBeGreaterThanOrEqual(30_000);
  });

  it("the server's remaining count, seen by one instance, holds back the others", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    // Another app on this client_id has spent the quota: 0 left, the window resets in 20 s.
    const arrivals = recordArrivals(server, clock, () => ({ "ratelimit-policy": `"default";q=5;w=10`, ratelimit: `"default";r=0;t=20` }));
    const prefix = fleetPrefix();
    const [a, b] = [0, 1].map(() => instance(clock, redisStore({ url: redis.url, prefix })));
    const start = clock.now();

    expect((await a!.call(testOperation(), schemas, input(1))).error).toBeUndefined();
    expect((await b!.call(testOperation(), schemas, input(2))).error).toBeUndefined();

    // Without the server's count, B would send at once (one of five used). With it, the
    // window is full until a unit leaves: A's own send, a window after it.
    expect(arrivals[1]! - start).toBe(10_000);
  });

  it("a quota one instance read in the server's headers paces a new instance from its first send", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    const arrivals = recordArrivals(server, clock, () => ({ "ratelimit-policy": `"default";q=3;w=10` }));
    const prefix = fleetPrefix();
    // No quota configured or declared: only the server names it.
    const learner = (store: SharedStore) => (redis.keep(store), pipelineWith(server.url, { clock, store, pacing: { safetyMarginMs: 0 } }));
    const a = learner(redisStore({ url: redis.url, prefix }));
    expect((await a.call(testOperation(), schemas, input(1))).error).toBeUndefined();

    // B has not heard from the server yet. Without what A learned, its five calls would all go at once.
    const b = learner(redisStore({ url: redis.url, prefix }));
    const results = await Promise.all([2, 3, 4, 5, 6].map((i) => b.call(testOperation(), schemas, input(i))));

    expect(results.filter((r) => r.error !== undefined)).toEqual([]);
    expect(mostInAnyWindow(arrivals, 10_000)).toBe(3);
  });

  it("an estimate one instance made from 429s alone paces the others", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    const arrivals: number[] = [];
    let answered = 0;
    server.handle((_req, res) => {
      arrivals.push(clock.now());
      // The fifth request meets the limit; the server says only when to come back.
      if (++answered === 5) return json(res, 429, { error: "slow down" }, { "retry-after": "1" });
      json(res, 200, { id: "ok" });
    });
    const prefix = fleetPrefix();
    const learner = (store: SharedStore) => (redis.keep(store), pipelineWith(server.url, { clock, store, retry: {}, pacing: { safetyMarginMs: 0 } }));
    const a = learner(redisStore({ url: redis.url, prefix }));
    // The refused call is one of A's: it waits out the Retry-After and goes again.
    const first = await Promise.all([1, 2, 3, 4, 5].map((i) => a.call(testOperation(), schemas, input(i))));
    expect(first.map((r) => r.error?.message)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    const afterA = arrivals.length;

    // B never met a 429. Alone it would send its nine calls at once; it paces at A's
    // estimate instead: what the server accepted in the window before the 429 (at most 4).
    const b = learner(redisStore({ url: redis.url, prefix }));
    const results = await Promise.all(Array.from({ length: 9 }, (_, i) => b.call(testOperation(), schemas, input(10 + i))));

    expect(results.filter((r) => r.error !== undefined)).toEqual([]);
    // The first window from A's send after the pause holds no more than that (B's nine
    // would all be in it); the nine spread over the windows after it.
    const afterPause = arrivals.slice(afterA - 1);
    expect(afterPause.filter((at) => at < afterPause[0]! + 1_000).length).toBeLessThanOrEqual(4);
    expect(afterPause[afterPause.length - 1]! - afterPause[0]!).toBeGreaterThanOrEqual(1_000);
  });

  it(`${REDIS_URL_VARIABLE}: clients made with no store option share the quota through that Redis`, async () => {
    const clock = new FakeClock();
    const arrivals = recordArrivals(server, clock);
    // A provider name of its own: the process-wide store's keys are not this file's other tests'.
    const provider = `env-${redis.prefix().slice(0, -1)}-${process.pid}`;
    process.env[REDIS_URL_VARIABLE] = redis.url;
    let fleet: ReturnType<typeof createPipeline>[];
    try {
      fleet = [0, 1].map(() => createPipeline({ provider, baseUrl: server.url, clock, retry: false, breaker: false, cache: false, pacing: { limit: 4, windowMs: 10_000, safetyMarginMs: 0 } }));
    } finally {
      delete process.env[REDIS_URL_VARIABLE];
    }
    const calls = Promise.all(Array.from({ length: 8 }, (_, i) => fleet[i % 2]!.call(testOperation(), schemas, input(i))));
    await waitFor(() => arrivals.length === 4 && clock.pending > 0, "the first window's four sends");
    await holdsAt(() => arrivals.length, 4);
    await clock.advance(10_000);
    const results = await calls;

    expect(results.filter((r) => r.error !== undefined)).toEqual([]);
    expect(mostInAnyWindow(arrivals, 10_000)).toBe(4);
  });
});

describe("when Redis goes away", () => {
  const own = ownRedis();

  it("each instance paces alone on its share, says so once, never hangs a call, and shares again after the restart", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    server.handle((_req, res) => json(res, 200, { id: "ok" }));
    const events: TelemetryEvent[] = [];
    const parts: string[] = [];
    const store = redisStore({ url: own().url, prefix: fleetPrefix(), expectedInstances: 5, retryAfterMs: 0, onStateChange: (part, state) => parts.push(`${part} ${state}`) });
    const client = instance(clock, store, events);
    const storeEvents = () => events.filter((e) => e.type === "quota-store").map((e) => (e.type === "quota-store" ? e.state : ""));

    expect((await client.call(testOperation(), schemas, input(1))).error).toBeUndefined();
    expect(storeEvents()).toEqual([]);

    await own().stop({ hard: true });
    const during = await Promise.all([2, 3].map((i) => client.call(testOperation(), schemas, input(i))));
    expect(during.map((r) => r.error)).toEqual([undefined, undefined]);
    expect(storeEvents()).toEqual(["local"]);

    await own().start();
    await waitFor(async () => {
      await client.call(testOperation(), schemas, input(9));
      return storeEvents().length === 2;
    }, "the instance to share the quota again");
    expect(storeEvents()).toEqual(["local", "shared"]);
    // The operator's listener heard the same, once each.
    expect(parts).toEqual(["quota local", "quota shared"]);
  });
});
