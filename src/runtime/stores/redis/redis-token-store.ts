/**
 * The token store of a fleet: one token per provider + client in Redis, kept exactly as
 * long as it lives; a lock (SET NX PX) lets one instance request the next one; a 401
 * drops the token only while it is still the one that failed (compare and delete, in Lua).
 */
import type { StoredToken, TokenStore } from "../token-store.js";
import type { RedisConnection } from "./connection.js";

/** KEYS: token. ARGV: value, refreshAt, expiresAt, ttlMs. (HSET rewrites the only three fields there are.) */
const SET = `
redis.call('HSET', KEYS[1], 'value', ARGV[1], 'refreshAt', ARGV[2], 'expiresAt', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

/** KEYS: token. ARGV: the value that failed. */
const INVALIDATE = `
if redis.call('HGET', KEYS[1], 'value') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** KEYS: lock. ARGV: owner. */
const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export class RedisTokenStore implements TokenStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  async get(key: string, now: number): Promise<StoredToken | undefined> {
    const [value, refreshAt, expiresAt] = await this.redis.command((client) => client.hmget(this.key(key), "value", "refreshAt", "expiresAt"));
    if (value === null || value === undefined || now >= Number(expiresAt)) return undefined;
    return { value, refreshAt: Number(refreshAt), expiresAt: Number(expiresAt) };
  }

  async set(key: string, token: StoredToken, now: number): Promise<void> {
    const ttlMs = Math.floor(token.expiresAt - now);
    if (ttlMs <= 0) return;
    await this.redis.run(SET, [this.key(key)], [token.value, token.refreshAt, token.expiresAt, ttlMs]);
  }

  async tryLock(key: string, owner: string, _now: number, ttlMs: number): Promise<boolean> {
    const answer = await this.redis.command((client) => client.set(this.key(key, "lock"), owner, "PX", Math.max(1, Math.ceil(ttlMs)), "NX"));
    return answer === "OK";
  }

  async unlock(key: string, owner: string): Promise<void> {
    await this.redis.run(UNLOCK, [this.key(key, "lock")], [owner]);
  }

  async invalidate(key: string, value: string): Promise<boolean> {
    return Number(await this.redis.run(INVALIDATE, [this.key(key)], [value])) === 1;
  }

  /** Both keys of a token under one hash tag (one Cluster slot); `key` is already a hash. */
  private key(key: string, part?: string): string {
    return `${this.prefix}token:{${key}}${part ? `:${part}` : ""}`;
  }
}
