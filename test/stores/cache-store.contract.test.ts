/**
 * One contract, every cache store: memory and Redis (a real redis-server, and a real three-node
 * Redis Cluster) give back what was stored, byte for byte, and drop a prefix's entries (a write
 * through the cache) and nothing else. The Redis store's own bounds (size, lifetime, hashed
 * names) follow.
 */
import { describe, expect, it } from "@jest/globals";
import { MemoryCacheStore, type CacheEntry, type CacheStore } from "carewire";
import { RedisCacheStore } from "../../src/runtime/stores/redis/redis-cache-store.js";
import { waitFor } from "../helpers/windows.js";
import { redisClusterForFile, redisForFile } from "../helpers/redis-for-file.js";
import { memoryAndRedis } from "../helpers/store-fleets.js";

const redis = redisForFile();
const cluster = redisClusterForFile();
const T0 = 1_800_000_000_000;
const entry = (body: Uint8Array | string, overrides: Partial<CacheEntry> = {}): CacheEntry => ({
  status: 200,
  headers: [["content-type", "application/json"], ["etag", '"v1"']],
  body: typeof body === "string" ? new TextEncoder().encode(body) : body,
  storedAt: T0,
  maxAgeMs: 60_000,
  staleIfErrorMs: 0,
  etag: '"v1"',
  ...overrides,
});
/** Keys shaped as the cache policy makes them: provider, tenant, path, method, query. */
const key = (tenant: string, path: string, query = "") => `acme\u0000${tenant}\u0000${path}\u0000get\u0000${query}`;

describe.each(memoryAndRedis<CacheStore>(redis, cluster, () => new MemoryCacheStore(), (connection, prefix) => new RedisCacheStore(connection, prefix)))("%s cache store", (_name, make) => {
  it("gives back an entry as stored, binary body and all, to another instance", async () => {
    const { store, another } = make();
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    await store.set(key("t1", "/things/1"), entry(bytes, { lastModified: "Tue, 01 Jan 2030 00:00:00 GMT" }));
    const got = await another().get(key("t1", "/things/1"));
    expect(got).toEqual(entry(bytes, { lastModified: "Tue, 01 Jan 2030 00:00:00 GMT" }));
    expect(Buffer.from(got!.body).equals(Buffer.from(bytes))).toBe(true);
    expect(await store.get(key("t1", "/things/2"))).toBeUndefined();
  });

  it("replaces and deletes one entry", async () => {
    const { store } = make();
    await store.set(key("t1", "/things/1"), entry("one"));
    await store.set(key("t1", "/things/1"), entry("two"));
    expect(new TextDecoder().decode((await store.get(key("t1", "/things/1")))!.body)).toBe("two");
    await store.delete(key("t1", "/things/1"));
    expect(await store.get(key("t1", "/things/1"))).toBeUndefined();
  });

  it("drops every entry under a prefix (a resource's reads, or a whole tenant's), and only those", async () => {
    const { store, another } = make();
    const other = another();
    for (const k of [key("t1", "/things/1"), key("t1", "/things/1", "a=1"), key("t1", "/things/10"), key("t1", "/things"), key("t2", "/things/1")]) await store.set(k, entry(k));

    await other.deletePrefix("acme\u0000t1\u0000/things/1\u0000");
    expect(await store.get(key("t1", "/things/1"))).toBeUndefined();
    expect(await store.get(key("t1", "/things/1", "a=1"))).toBeUndefined();
    expect(await store.get(key("t1", "/things/10"))).toBeDefined();
    expect(await store.get(key("t1", "/things"))).toBeDefined();

    await other.deletePrefix("acme\u0000t1\u0000");
    expect(await store.get(key("t1", "/things/10"))).toBeUndefined();
    expect(await store.get(key("t1", "/things"))).toBeUndefined();
    expect(await store.get(key("t2", "/things/1"))).toBeDefined();

    // What is stored after the drop is served again.
    await store.set(key("t1", "/things/1"), entry("fresh"));
    expect(await other.get(key("t1", "/things/1"))).toBeDefined();
  });
});

describe("redis cache store: its bounds", () => {
  it("keeps no entry larger than its limit, nor the older one it would replace", async () => {
    const store = new RedisCacheStore(redis.connection(), redis.prefix(), { maxEntryBytes: 1_024 });
    await store.set(key("t", "/big"), entry("small"));
    await store.set(key("t", "/big"), entry(new Uint8Array(2_000)));
    expect(await store.get(key("t", "/big"))).toBeUndefined();
  });

  it("lets an entry live as long as it can be served (max-age + stale-if-error), then forgets it", async () => {
    const connection = redis.connection();
    const prefix = redis.prefix();
    const store = new RedisCacheStore(connection, prefix);
    await store.set(key("t", "/short"), entry("x", { maxAgeMs: 40, staleIfErrorMs: 40 }));
    const [entryKey] = await connection.command((c) => c.keys(`${prefix}{cache}:e:*`));
    const ttl = await connection.command((c) => c.pttl(entryKey!));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(80);
    await waitFor(async () => (await store.get(key("t", "/short"))) === undefined, "the entry to expire");
  });

  it("names keys by hashes: no path, query or tenant shows in Redis", async () => {
    const connection = redis.connection();
    const prefix = redis.prefix();
    const store = new RedisCacheStore(connection, prefix);
    await store.set(key("clinic-42", "/Patient/123", "name=Smith"), entry("{}"));
    const keys = await connection.command((c) => c.keys(`${prefix}*`));
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join(" ")).not.toMatch(/clinic|Patient|Smith/);
  });
});
