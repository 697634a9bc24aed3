/**
 * Cached responses shared by a fleet, in Redis. Opt-in only: cached responses are PHI,
 * and putting them in a shared Redis is a decision the application makes (who can read
 * that Redis, whether it is encrypted, how long data may stay), never a default.
 *
 * Each entry lives as long as it can be served (max-age + stale-if-error) and no longer.
 * Key names are hashes: no path, query or tenant shows in them. Dropping a prefix (a write
 * through the cache) is one step whatever the number of entries: every `\u0000`-bounded
 * prefix of a key has a generation, an entry remembers the generations it was stored
 * under, and dropping a prefix gives it a new one (the old entries expire by themselves).
 * A Redis that fails makes a miss, never a failed call.
 */
import { randomId } from "../../portable/random-id.js";
import { sha256Hex } from "../../portable/sha256.js";
import type { CacheEntry, CacheStore } from "../cache-store.js";
import { Fallback } from "../fallback.js";
import type { RedisConnection } from "./connection.js";
import type { RedisCacheOptions } from "./redis-cache-options.js";

/** Generations tracked per key: the root and the first seven `\u0000`-bounded prefixes. */
const MAX_DEPTH = 8;
/** A generation outlives the entries stored under it by this much when nothing refreshes it. */
const GENERATION_TTL_MS = 24 * 3_600_000;

/** KEYS: entry, generations. ARGV: none. Answers {meta, body} or nil (missing, or dropped with a prefix). */
const GET = `
local e = redis.call('HMGET', KEYS[1], 'meta', 'body', 'stamp')
if not e[1] then return nil end
local stamp = {}
for i = 2, #KEYS do stamp[#stamp + 1] = redis.call('GET', KEYS[i]) or '-' end
if table.concat(stamp, ',') ~= e[3] then
  redis.call('DEL', KEYS[1])
  return nil
end
return {e[1], e[2]}
`;

/** KEYS: entry, generations. ARGV: meta, body, ttlMs, a fresh generation for a prefix that has none. */
const SET = `
local ttl = tonumber(ARGV[3])
local stamp = {}
for i = 2, #KEYS do
  local g = redis.call('GET', KEYS[i])
  if not g then
    g = ARGV[4]
    redis.call('SET', KEYS[i], g)
  end
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
  stamp[#stamp + 1] = g
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'meta', ARGV[1], 'body', ARGV[2], 'stamp', table.concat(stamp, ','))
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`;

type Meta = Omit<CacheEntry, "body">;

export class RedisCacheStore implements CacheStore {
  private readonly maxEntryBytes: number;
  private readonly revalidateOnlyTtlMs: number;
  private readonly fallback: Fallback;

  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    options: RedisCacheOptions = {},
  ) {
    this.maxEntryBytes = options.maxEntryBytes ?? 1024 * 1024;
    this.revalidateOnlyTtlMs = options.revalidateOnlyTtlMs ?? 300_000;
    this.fallback = new Fallback(options.retryAfterMs, options.onStateChange);
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    const answer = await this.quietly(() => this.redis.runBinary(GET, [this.entry(key), ...this.generations(key)], []));
    if (!Array.isArray(answer)) return undefined;
    const [meta, body] = answer as [Buffer, Buffer];
    return { ...(JSON.parse(meta.toString("utf8")) as Meta), body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
  }

  async set(key: string, entry: CacheEntry): Promise<void> {
    const { body, ...rest } = entry;
    const meta = JSON.stringify(rest);
    // Too large to share: the older entry must not be served in its place either.
    if (body.byteLength + Buffer.byteLength(meta) > this.maxEntryBytes) return this.delete(key);
    const ttlMs = entry.maxAgeMs + entry.staleIfErrorMs > 0 ? entry.maxAgeMs + entry.staleIfErrorMs : this.revalidateOnlyTtlMs;
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    await this.quietly(() => this.redis.runBinary(SET, [this.entry(key), ...this.generations(key)], [meta, bytes, Math.ceil(ttlMs), randomId()]));
  }

  async delete(key: string): Promise<void> {
    await this.quietly(() => this.redis.command((client) => client.del(this.entry(key))));
  }

  /** One new generation for the deepest tracked prefix within `prefix`: its entries (and perhaps a few more) stop being served. */
  async deletePrefix(prefix: string): Promise<void> {
    const deepest = boundaries(prefix).pop()!;
    await this.quietly(() => this.redis.command((client) => client.set(this.generation(deepest), randomId(), "PX", GENERATION_TTL_MS)));
  }

  /** A Redis that fails (or was failing a moment ago) makes a miss, never a failed call. */
  private quietly<T>(work: () => Promise<T>): Promise<T | undefined> {
    const now = Date.now(); // the store's own back-off after a failure: wall time, not the call's clock
    return this.fallback.either(now, work, () => undefined);
  }

  /** All of a store's cache keys share one hash tag: a script touches an entry and its prefixes' generations together. */
  private entry(key: string): string {
    return `${this.prefix}{cache}:e:${hash(key)}`;
  }

  private generation(boundary: string): string {
    return `${this.prefix}{cache}:g:${hash(boundary)}`;
  }

  private generations(key: string): string[] {
    return boundaries(key).map((b) => this.generation(b));
  }
}

/** "" and each prefix of `key` that ends with `\u0000`, up to MAX_DEPTH in all. */
function boundaries(key: string): string[] {
  const out = [""];
  for (let i = key.indexOf("\u0000"); i >= 0 && out.length < MAX_DEPTH; i = key.indexOf("\u0000", i + 1)) out.push(key.slice(0, i + 1));
  return out;
}

function hash(value: string): string {
  return sha256Hex(value).slice(0, 40);
}
