/**
 * One contract, every token store: memory and Redis (a real redis-server, and a real three-node
 * Redis Cluster) keep one token per key for as long as it lives, let one owner at a time ask
 * for the next, and drop a token after a 401 only while it is still the one that failed. Times
 * are explicit epoch ms.
 */
import { describe, expect, it } from "@jest/globals";
import { MemoryTokenStore, tokenKey, type StoredToken, type TokenStore } from "carewire";
import { RedisTokenStore } from "../../src/runtime/stores/redis/redis-token-store.js";
import { waitFor } from "../helpers/windows.js";
import { redisClusterForFile, redisForFile } from "../helpers/redis-for-file.js";
import { memoryAndRedis } from "../helpers/store-fleets.js";

const redis = redisForFile();
const cluster = redisClusterForFile();
const T0 = 1_800_000_000_000;
const token = (value: string, lifetimeMs = 60_000, at = T0): StoredToken => ({ value, refreshAt: at + lifetimeMs - 10_000, expiresAt: at + lifetimeMs });

describe.each(memoryAndRedis<TokenStore>(redis, cluster, () => new MemoryTokenStore(), (connection, prefix) => new RedisTokenStore(connection, prefix)))("%s token store", (name, make) => {
  it("has no token for a new key, keeps one once set, and forgets it when it expires", async () => {
    const { store } = make();
    expect(await store.get("k", T0)).toBeUndefined();
    await store.set("k", token("tok-1"), T0);
    expect(await store.get("k", T0 + 1)).toEqual(token("tok-1"));
    expect(await store.get("k", T0 + 60_000)).toBeUndefined();
  });

  it("keeps one token per key, the latest set, and keys apart", async () => {
    const { store } = make();
    await store.set("a", token("tok-a1"), T0);
    await store.set("a", token("tok-a2"), T0);
    await store.set("b", token("tok-b1"), T0);
    expect((await store.get("a", T0))?.value).toBe("tok-a2");
    expect((await store.get("b", T0))?.value).toBe("tok-b1");
  });

  it("keeps nothing of a token that has already expired", async () => {
    const { store } = make();
    await store.set("k", token("tok-1", 1_000), T0 + 1_000);
    expect(await store.get("k", T0 + 1_000)).toBeUndefined();
  });

  it("shows a token set by one instance to another", async () => {
    const { store, another } = make();
    await store.set("k", token("tok-1"), T0);
    expect((await another().get("k", T0))?.value).toBe("tok-1");
  });

  it("lets one owner hold the lock; its release (not another's) frees it", async () => {
    const { store, another } = make();
    const other = another();
    expect(await store.tryLock("k", "a", T0, 60_000)).toBe(true);
    expect(await other.tryLock("k", "b", T0, 60_000)).toBe(false);
    expect(await store.tryLock("k", "a", T0, 60_000)).toBe(false);
    await other.unlock("k", "b");
    expect(await other.tryLock("k", "b", T0, 60_000)).toBe(false);
    await store.unlock("k", "a");
    expect(await other.tryLock("k", "b", T0, 60_000)).toBe(true);
    // Locks of other keys are their own.
    expect(await store.tryLock("other", "a", T0, 60_000)).toBe(true);
  });

  it("frees a lock whose owner never gives it back, after its time", async () => {
    const { store, another } = make();
    expect(await store.tryLock("k", "gone", T0, 50)).toBe(true);
    // Memory reads the caller's time; Redis expires the key itself, so it is polled.
    await waitFor(async () => await another().tryLock("k", "next", T0 + 51, 60_000), "the lock to expire");
  });

  it("gives the lock to exactly one of many instances racing for it", async () => {
    const { store, another } = make();
    const racers = [store, another(), another(), another()];
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => racers[i % racers.length]!.tryLock("race", `owner-${i}`, T0, 60_000)));
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  it("drops a refused token only while it is still the stored one", async () => {
    const { store, another } = make();
    await store.set("k", token("tok-1"), T0);
    // Another instance refreshed already: its 401 on tok-1 must not drop tok-2.
    await another().set("k", token("tok-2"), T0);
    expect(await store.invalidate("k", "tok-1")).toBe(false);
    expect((await store.get("k", T0))?.value).toBe("tok-2");
    expect(await store.invalidate("k", "tok-2")).toBe(true);
    expect(await store.get("k", T0)).toBeUndefined();
    expect(await store.invalidate("k", "tok-2")).toBe(false);
  });

  if (name === "redis") {
    it("names its keys by a hash: neither the client id nor the token shows in Redis", async () => {
      const connection = redis.connection();
      const prefix = redis.prefix();
      const store = new RedisTokenStore(connection, prefix);
      const key = tokenKey("acme", "client-with-a-name", "https://auth.example/token");
      await store.set(key, token("tok-secret"), T0);
      await store.tryLock(key, "owner", T0, 60_000);
      const keys = await connection.command((c) => c.keys(`${prefix}*`));
      expect(keys.sort()).toEqual([`${prefix}token:{${key}}`, `${prefix}token:{${key}}:lock`]);
      expect(keys.join(" ")).not.toMatch(/client-with-a-name|auth\.example|tok-secret/);
      // And it lives no longer than the token: its TTL is the token's remaining life.
      const ttl = await connection.command((c) => c.pttl(`${prefix}token:{${key}}`));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });
  }
});
