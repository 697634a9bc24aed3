/**
 * One contract, every quota store: the memory store and the Redis store (a real redis-server on
 * a fresh port, and a real three-node Redis Cluster) must answer the same way. Times are
 * explicit epoch ms, so nothing here depends on the wall clock.
 */
import { describe, expect, it } from "@jest/globals";
import { MemoryQuotaStore } from "../../src/runtime/stores/memory-quota-store.js";
import { extraId, tenantQuota, UNBOUNDED, type QuotaDemand, type QuotaStore } from "../../src/runtime/stores/quota-store.js";
import { RedisQuotaStore } from "../../src/runtime/stores/redis/redis-quota-store.js";
import type { RedisConnection } from "../../src/runtime/stores/redis/connection.js";
import { redisClusterForFile, redisForFile } from "../helpers/redis-for-file.js";

const redis = redisForFile();
const cluster = redisClusterForFile();

interface Redis {
  connection(): RedisConnection;
  prefix(): string;
}
const redisStore = (server: Redis) => (): QuotaStore => new RedisQuotaStore(server.connection(), server.prefix());
/** Another connection onto the same Redis keys as `store` (same prefix): another instance of the app. */
const sameRedisAs = (server: Redis) => (store: QuotaStore): QuotaStore => {
  if (!(store instanceof RedisQuotaStore)) throw new Error("not a Redis store");
  return new RedisQuotaStore(server.connection(), store.prefix);
};

const T0 = 1_800_000_000_000;
const requests = (limit: number, windowMs = 1_000, cost = 1, reserve?: number): QuotaDemand => ({ name: "requests", limit, windowMs, cost, ...(reserve !== undefined ? { reserve } : {}) });
let ids = 0;
const id = () => `send-${++ids}`;

describe.each([
  ["memory", () => new MemoryQuotaStore(), undefined],
  ["redis", redisStore(redis), sameRedisAs(redis)],
  ["redis-cluster", redisStore(cluster), sameRedisAs(cluster)],
] as const)("%s quota store", (_name, make, another) => {
  it("grants up to the limit in a window, then names the time the oldest send leaves it", async () => {
    const store = make();
    for (let i = 0; i < 3; i++) expect(await store.acquire({ key: "k", id: id(), now: T0 + i * 10, demands: [requests(3)] })).toMatchObject({ granted: true });
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 50, demands: [requests(3)] })).toEqual({ granted: false, retryAt: T0 + 1_000 });
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 1_000, demands: [requests(3)] })).toMatchObject({ granted: true });
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 1_001, demands: [requests(3)] })).toEqual({ granted: false, retryAt: T0 + 1_010 });
  });

  it("keeps keys apart", async () => {
    const store = make();
    expect(await store.acquire({ key: "a", id: id(), now: T0, demands: [requests(1)] })).toMatchObject({ granted: true });
    expect(await store.acquire({ key: "b", id: id(), now: T0, demands: [requests(1)] })).toMatchObject({ granted: true });
    expect((await store.acquire({ key: "a", id: id(), now: T0, demands: [requests(1)] })).granted).toBe(false);
  });

  it("prices sends by cost, and says never for a cost above the limit", async () => {
    const store = make();
    const points = (cost: number): QuotaDemand => ({ name: "points", limit: 10, windowMs: 1_000, cost });
    expect(await store.acquire({ key: "k", id: id(), now: T0, demands: [points(4)] })).toMatchObject({ granted: true });
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 100, demands: [points(4)] })).toMatchObject({ granted: true });
    // 8 used: 3 more do not fit until both earlier sends have left (4 + 4 freed ≥ 1 needed after the first).
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 200, demands: [points(3)] })).toEqual({ granted: false, retryAt: T0 + 1_000 });
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 200, demands: [points(2)] })).toMatchObject({ granted: true });
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 300, demands: [points(11)] })).toEqual({ granted: false, retryAt: Infinity });
  });

  it("checks every quota at once: a send waits for the last of them, and takes from none until it fits", async () => {
    const store = make();
    const points = (cost: number): QuotaDemand => ({ name: "points", limit: 100, windowMs: 10_000, cost });
    expect(await store.acquire({ key: "k", id: id(), now: T0, demands: [requests(5), points(60)] })).toMatchObject({ granted: true });
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 10, demands: [requests(5), points(60)] })).toEqual({ granted: false, retryAt: T0 + 10_000 });
    // The refused send took no request slot: four more 1-point sends fit.
    for (let i = 0; i < 4; i++) expect((await store.acquire({ key: "k", id: id(), now: T0 + 20, demands: [requests(5), points(1)] })).granted).toBe(true);
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 30, demands: [requests(5), points(1)] })).toEqual({ granted: false, retryAt: T0 + 1_000 });
  });

  it("leaves the reserve free for sends that do not keep one", async () => {
    const store = make();
    let batch = 0;
    while ((await store.acquire({ key: "k", id: id(), now: T0, demands: [requests(10, 1_000, 1, 3)] })).granted) batch++;
    expect(batch).toBe(7);
    let critical = 0;
    while ((await store.acquire({ key: "k", id: id(), now: T0, demands: [requests(10)] })).granted) critical++;
    expect(critical).toBe(3);
  });

  it("settles a send at its response time (never earlier), so it leaves the window a window after that", async () => {
    const store = make();
    const sent = id();
    await store.acquire({ key: "k", id: sent, now: T0, demands: [requests(1)] });
    await store.settle("k", sent, T0 + 400, [requests(1)]);
    await store.settle("k", sent, T0 + 100, [requests(1)]);
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 1_000, demands: [requests(1)] })).toEqual({ granted: false, retryAt: T0 + 1_400 });
  });

  it("gives a cancelled send's units back", async () => {
    const store = make();
    const sent = id();
    await store.acquire({ key: "k", id: sent, now: T0, demands: [requests(1, 1_000, 1)] });
    await store.cancel("k", sent, [requests(1, 1_000, 1)]);
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 1, demands: [requests(1)] })).toMatchObject({ granted: true });
    // Cancelling twice, or a send that is gone, changes nothing.
    await store.cancel("k", sent, [requests(1, 1_000, 1)]);
    expect((await store.acquire({ key: "k", id: id(), now: T0 + 2, demands: [requests(1)] })).granted).toBe(false);
  });

  it("holds every send during a pause, never shortens it, and reports it", async () => {
    const store = make();
    expect(await store.pausedUntil("k")).toBe(0);
    await store.pause("k", T0 + 5_000);
    await store.pause("k", T0 + 2_000);
    expect(await store.pausedUntil("k")).toBe(T0 + 5_000);
    expect(await store.acquire({ key: "k", id: id(), now: T0, demands: [requests(100)] })).toEqual({ granted: false, retryAt: T0 + 5_000 });
    expect(await store.acquire({ key: "k", id: id(), now: T0, demands: [] })).toEqual({ granted: false, retryAt: T0 + 5_000 });
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 5_000, demands: [requests(100)] })).toMatchObject({ granted: true });
  });

  it("takes the server's count when it has spent more than the window shows, until the server's reset", async () => {
    const store = make();
    await store.acquire({ key: "k", id: id(), now: T0, demands: [requests(10)] });
    // The server says 2 left of 10 (another app on this client_id spent 7), resetting at T0 + 600.
    await store.observe("k", { name: "requests", limit: 10, windowMs: 1_000, remaining: 2, resetAt: T0 + 600 }, T0 + 100);
    expect((await store.acquire({ key: "k", id: id(), now: T0 + 100, demands: [requests(10)] })).granted).toBe(true);
    expect((await store.acquire({ key: "k", id: id(), now: T0 + 100, demands: [requests(10)] })).granted).toBe(true);
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 100, demands: [requests(10)] })).toEqual({ granted: false, retryAt: T0 + 600 });
    // A count at or under ours changes nothing.
    await store.observe("k", { name: "requests", limit: 10, windowMs: 1_000, remaining: 9 }, T0 + 100);
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 600, demands: [requests(10)] })).toMatchObject({ granted: true });
  });

  /** A send granted and answered at `at` (settled: its time will not move). */
  async function sent(store: QuotaStore, key: string, at: number, demand: QuotaDemand): Promise<void> {
    const send = id();
    expect(await store.acquire({ key, id: send, now: at, demands: [demand] })).toEqual({ granted: true, at });
    await store.settle(key, send, at, [demand]);
  }

  it("grants now at the time asked, and books a later time when the caller would wait for it", async () => {
    const store = make();
    await sent(store, "k", T0, requests(2));
    await sent(store, "k", T0 + 100, requests(2));
    // Full: booked for when the oldest leaves, if the caller waits that long; refused if not.
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 200, demands: [requests(2)], bookUntil: T0 + 900 })).toEqual({ granted: false, retryAt: T0 + 1_000 });
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 200, demands: [requests(2)], bookUntil: T0 + 1_000 })).toEqual({ granted: true, at: T0 + 1_000 });
    // The booking holds its place: the next fits when the second send leaves, after the booking.
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 300, demands: [requests(2)], bookUntil: T0 + 60_000 })).toEqual({ granted: true, at: T0 + 1_100 });
  });

  it("books no time that waits on a send still in flight: its response may move it later", async () => {
    const store = make();
    const inFlight = id();
    await store.acquire({ key: "k", id: inFlight, now: T0, demands: [requests(1)] });
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 10, demands: [requests(1)], bookUntil: T0 + 60_000 })).toEqual({ granted: false, retryAt: T0 + 1_000 });
    await store.settle("k", inFlight, T0 + 300, [requests(1)]);
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 310, demands: [requests(1)], bookUntil: T0 + 60_000 })).toEqual({ granted: true, at: T0 + 1_300 });
  });

  it("counts a booked send as used: a later send books after it", async () => {
    const store = make();
    const batch = requests(3, 1_000, 1, 1); // keeps one of three free
    await sent(store, "k", T0, requests(3));
    await sent(store, "k", T0 + 10, requests(3));
    // Batch may use 2: full until the send at T0 leaves.
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 20, demands: [batch], bookUntil: T0 + 5_000 })).toEqual({ granted: true, at: T0 + 1_000 });
    // Another batch send books after it (the booking counts), when the send at T0 + 10 leaves.
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 30, demands: [batch], bookUntil: T0 + 5_000 })).toEqual({ granted: true, at: T0 + 1_010 });
  });

  it("books racing sends one after another, never two in one slot", async () => {
    const first = make();
    const racers = another ? [first, another(first), another(first)] : [first];
    for (let i = 0; i < 5; i++) await sent(first, "book", T0 + i, requests(5));
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => racers[i % racers.length]!.acquire({ key: "book", id: id(), now: T0 + 10, demands: [requests(5)], bookUntil: T0 + 60_000 })));
    const times = answers.map((a) => (a.granted ? a.at : NaN)).sort((a, b) => a - b);
    // Slots free as the five sends at T0 … T0 + 4 leave, one booking each.
    expect(times).toEqual([T0 + 1_000, T0 + 1_001, T0 + 1_002, T0 + 1_003, T0 + 1_004]);
  });

  it("grants several sends in one step, each by the same rule, under ids derived from the first", async () => {
    const store = make();
    await sent(store, "k", T0, requests(4));
    await sent(store, "k", T0 + 100, requests(4));
    // Two fit now, the third is booked for when the send at T0 leaves; the fourth would wait past bookUntil.
    expect(await store.acquire({ key: "k", id: "many", now: T0 + 200, demands: [requests(4)], bookUntil: T0 + 1_050, count: 4 })).toEqual({ granted: true, at: T0 + 200, more: [T0 + 200, T0 + 1_000] });
    // Each extra is a send of its own: settled and cancelled by its id.
    await store.cancel("k", extraId("many", 2), [requests(4)]);
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 300, demands: [requests(4)], bookUntil: T0 + 5_000 })).toEqual({ granted: true, at: T0 + 1_000 });
    await store.settle("k", extraId("many", 1), T0 + 600, [requests(4)]);
    // Usage counts what the server answered: the settled extra, not the booking still to go.
    expect(await store.usage("k", "requests", T0 + 500)).toBe(1);
  });

  it("takes spare sends only now, and only while the window stays at most half used", async () => {
    const store = make();
    // 10 per window: the first send and 4 spares (5 of 10 used); a fifth spare would pass half.
    expect(await store.acquire({ key: "k", id: "lease", now: T0, demands: [requests(10)], spare: 8 })).toEqual({ granted: true, at: T0, more: [T0, T0, T0, T0] });
    // Past half used: no spare at all, though the send itself fits.
    const sixth = id();
    expect(await store.acquire({ key: "k", id: sixth, now: T0 + 1, demands: [requests(10)], spare: 3 })).toEqual({ granted: true, at: T0 + 1 });
    // A spare is never booked: a full window books the send alone.
    for (const done of ["lease", ...[1, 2, 3, 4].map((k) => extraId("lease", k)), sixth]) await store.settle("k", done, T0 + 1, [requests(10)]);
    for (let i = 0; i < 4; i++) await sent(store, "k", T0 + 2, requests(10));
    expect(await store.acquire({ key: "k", id: id(), now: T0 + 3, demands: [requests(10)], bookUntil: T0 + 5_000, spare: 3 })).toEqual({ granted: true, at: T0 + 1_001 });
  });

  it("keeps what instances learned per key and quota, the higher version winning", async () => {
    const store = make();
    expect(await store.known!("k")).toEqual({});
    await store.share!("k", "requests#probe", { version: 10, value: '{"limit":9}' });
    await store.share!("k", "requests#probe", { version: 5, value: '{"limit":3}' }); // older: ignored
    await store.share!("k", "requests#server", { version: 7, value: "a|b" }); // the value is opaque, bars included
    await store.share!("other", "requests#probe", { version: 1, value: "x" });
    expect(await store.known!("k")).toEqual({ "requests#probe": { version: 10, value: '{"limit":9}' }, "requests#server": { version: 7, value: "a|b" } });
    await store.share!("k", "requests#probe", { version: 11.5, value: '{"limit":8}' });
    expect((await store.known!("k"))["requests#probe"]).toEqual({ version: 11.5, value: '{"limit":8}' });
  });

  describe("tenants on one key", () => {
    const forTenant = (name: string, limit = 4, budget = UNBOUNDED): QuotaDemand[] => [requests(limit), { name: tenantQuota(name), limit: budget, windowMs: 1_000, cost: 1 }];
    const ask = (store: QuotaStore, name: string, now: number, weight = 1, limit = 4) => store.acquire({ key: "t", id: id(), now, demands: forTenant(name, limit), tenant: { name, weight, quota: "requests" } });

    it("lets any tenant take free room, but while another waits, the room goes to the one below its share", async () => {
      const store = make();
      // Nobody else asks: the noisy tenant takes the whole window.
      for (let i = 0; i < 4; i++) expect(await ask(store, "noisy", T0 + i)).toMatchObject({ granted: true });
      // The quiet one finds it full and waits for room.
      expect(await ask(store, "quiet", T0 + 10)).toEqual({ granted: false, retryAt: T0 + 1_000 });
      // A slot frees: the noisy tenant is past its share (2 of 4) while the quiet one waits, so it is told to ask again in a slot's time…
      expect(await ask(store, "noisy", T0 + 1_000)).toEqual({ granted: false, retryAt: T0 + 1_250 });
      // …and the slot goes to the quiet one.
      expect(await ask(store, "quiet", T0 + 1_000)).toMatchObject({ granted: true });
      // The quiet one no longer waits: the next free slot is anyone's.
      expect(await ask(store, "noisy", T0 + 1_001)).toMatchObject({ granted: true });
    });

    it("shares by weight", async () => {
      const store = make();
      for (let i = 0; i < 4; i++) expect(await ask(store, "big", T0 + i, 3)).toMatchObject({ granted: true });
      expect(await ask(store, "small", T0 + 10, 1)).toMatchObject({ granted: false });
      // Weights 3 : 1 → a share of 3 of 4 for "big": with 3 of its sends still in the window, the fourth waits for "small".
      expect(await ask(store, "big", T0 + 1_000, 3)).toMatchObject({ granted: false });
      expect(await ask(store, "small", T0 + 1_000, 1)).toMatchObject({ granted: true });
    });

    it("caps a tenant at its own budget, whatever room the shared quota has", async () => {
      const store = make();
      const withBudget = (now: number) => store.acquire({ key: "t", id: id(), now, demands: forTenant("capped", 10, 2), tenant: { name: "capped", weight: 1, quota: "requests" } });
      expect(await withBudget(T0)).toMatchObject({ granted: true });
      expect(await withBudget(T0 + 1)).toMatchObject({ granted: true });
      expect(await withBudget(T0 + 2)).toEqual({ granted: false, retryAt: T0 + 1_000 });
      // Held by its own budget, it does not wait for room: another tenant past its share still gets the free room.
      for (let i = 0; i < 8; i++) expect(await ask(store, "other", T0 + 3 + i, 1, 10)).toMatchObject({ granted: true });
    });
  });

  it("never grants more than the limit to sends racing for it", async () => {
    const stores = [make(), make(), make()];
    // The Redis stores are separate connections with separate prefixes; race on one of them through several clients instead.
    const shared = another ? [stores[0]!, ...[1, 2].map(() => another(stores[0]!))] : [stores[0]!];
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => shared[i % shared.length]!.acquire({ key: "race", id: id(), now: T0, demands: [requests(25)] })));
    expect(answers.filter((a) => a.granted)).toHaveLength(25);
  });
});

