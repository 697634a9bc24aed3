/**
 * A fleet sharing its state through a real Redis Cluster (three masters): `redisStore({
 * cluster })` with the seed nodes, as an app on a managed cluster would make it. The store
 * contracts run every shared part against the cluster; this checks the whole client on it.
 */
import { describe, expect, it } from "@jest/globals";
import { redisStore, type OperationSchemas, type SharedStore } from "carewire";
import { PollCheckpointError, redisPollCheckpointStore } from "../../src/polling/index.js";
import { redisInbox } from "../../src/webhooks/index.js";
import { tolerantObject, z } from "carewire/zod";
import { FakeClock } from "carewire/testing";
import { json } from "../helpers/http-server.js";
import { testOperation } from "../helpers/operation.js";
import { pipelineWith, serverForFile } from "../helpers/pipeline.js";
import { redisClusterForFile } from "../helpers/redis-for-file.js";
import { mostInAnyWindow, recordArrivals, waitFor } from "../helpers/windows.js";

const schemas: OperationSchemas = { responses: { "200": tolerantObject({ id: z.string() }) } };
const server = serverForFile();
const cluster = redisClusterForFile("fleet-cluster");

/** One instance of the app; retries off, so each call is one attempt the breaker counts. */
function instance(clock: FakeClock, store: SharedStore) {
  cluster.keep(store);
  return pipelineWith(server.url, { clock, store, retry: false, pacing: { limit: 5, windowMs: 10_000, safetyMarginMs: 0 }, breaker: { minimumThroughput: 2, failureRatio: 0.5 } });
}

const input = (id: number) => ({ params: { path: { thingId: String(id) } } });

describe("a fleet on a Redis Cluster", () => {
  it("three instances together send the quota per window, no more", async () => {
    const clock = new FakeClock();
    const arrivals = recordArrivals(server, clock);
    const prefix = cluster.prefix();
    const fleet = [0, 1, 2].map(() => instance(clock, redisStore({ cluster: cluster.nodes, prefix })));

    let done = false;
    const calls = Promise.all(Array.from({ length: 10 }, (_, i) => fleet[i % 3]!.call(testOperation(), schemas, input(i)))).finally(() => (done = true));
    await waitFor(() => arrivals.length === 5 && clock.pending > 0, "the first window's five sends");
    // Fake time moves only here: a window at a time, whenever a call waits on the clock.
    for (let windows = 0; !done && windows < 10; windows++) {
      await waitFor(() => done || clock.pending > 0, "a call waiting for the window");
      if (!done) await clock.advance(10_000);
    }
    const results = await calls;

    expect(results.filter((r) => r.error !== undefined)).toEqual([]);
    expect(arrivals).toHaveLength(10);
    expect(mostInAnyWindow(arrivals, 10_000)).toBe(5);
  });

  it("a circuit one instance opens is open for the others", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    let served = 0;
    server.handle((_req, res) => {
      served++;
      json(res, 500, { error: "down" });
    });
    const prefix = cluster.prefix();
    const [first, second] = [0, 1].map(() => instance(clock, redisStore({ cluster: cluster.nodes, prefix })));

    for (let i = 0; i < 2; i++) await first!.call(testOperation(), schemas, input(i));
    const sentBefore = served;
    const refused = await second!.call(testOperation(), schemas, input(9));

    expect(refused.error?.kind).toBe("circuit-open");
    expect(served).toBe(sentBefore);
  });

  it("works on the app's own ioredis Cluster, and leaves it open when the store closes", async () => {
    const { Cluster } = await import("ioredis");
    const own = new Cluster([...cluster.nodes]);
    try {
      const prefix = cluster.prefix();
      const store = redisStore({ client: own, prefix, lease: { size: 1 } });
      const other = cluster.keep(redisStore({ cluster: cluster.nodes, prefix, lease: { size: 1 } }));
      const demand = { name: "requests", limit: 1, windowMs: 60_000, cost: 1 };
      expect(await store.quota.acquire({ key: "k", id: "first", now: 1_000, demands: [demand] })).toMatchObject({ granted: true });
      // Another instance, on seeds of its own, sees that send in the window.
      expect(await other.quota.acquire({ key: "k", id: "second", now: 1_001, demands: [demand] })).toEqual({ granted: false, retryAt: 61_000 });
      await store.close();
      expect(await own.ping()).toBe("PONG");
    } finally {
      own.disconnect();
    }
  });

  it("refuses options that name no Redis, or two", () => {
    expect(() => redisStore({ cluster: [] })).toThrow(TypeError);
    expect(() => redisStore({ url: "redis://127.0.0.1:1", cluster: ["redis://127.0.0.1:2"] })).toThrow(TypeError);
    expect(() => redisStore({ cluster: ["http://127.0.0.1:2"] })).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => redisStore({ cluster: ["redis://127.0.0.1:2/3"] })).toThrow(/no database/);
  });

  it("refuses a key prefix whose empty hash tag would scatter a script's keys over the cluster", () => {
    const seeds = { cluster: ["redis://127.0.0.1:2"] };
    expect(() => redisStore({ ...seeds, prefix: "app{}:" })).toThrow(/empty hash tag/);
    expect(() => redisInbox({ ...seeds, prefix: "app{}:" })).toThrow(/empty hash tag/);
    expect(() => redisPollCheckpointStore({ ...seeds, prefix: "app{}:" })).toThrow(PollCheckpointError);
    // A tag of the app's own is kept: every key of the part on that one slot.
    const tagged = redisInbox({ ...seeds, prefix: "app{tenant-1}:" });
    return tagged.close();
  });
});
