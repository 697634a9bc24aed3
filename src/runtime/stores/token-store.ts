/**
 * Where bearer tokens live, made for a fleet: one token per provider + client (+ token
 * endpoint and scope), fetched by one instance at a time while the others wait for it
 * to appear (providers count token requests too), and dropped after a 401 only while it
 * is still the token that failed. A token is a secret: a store keeps it no longer than it
 * lives and never puts it in an error or a key name.
 *
 * Memory (one process) and Redis (a fleet) implement it; one contract test suite runs
 * against both. Times are explicit epoch ms.
 */
import { sha256Hex } from "../portable/sha256.js";
import type { Awaitable } from "./quota-store.js";

export interface StoredToken {
  /** The access token: never logged, never in errors, meta or telemetry. */
  readonly value: string;
  /** When instances should fetch the next one: shortly before this one expires. */
  readonly refreshAt: number;
  /** When it expires: the store forgets it then. */
  readonly expiresAt: number;
}

export interface TokenStore {
  /** The token of `key`, unless it has expired by `now`. */
  get(key: string, now: number): Awaitable<StoredToken | undefined>;
  /** Keeps `token` until its `expiresAt`, in place of any other. */
  set(key: string, token: StoredToken, now: number): Awaitable<void>;
  /** Takes the right to request `key`'s next token for `ttlMs`, unless it is held (by anyone). */
  tryLock(key: string, owner: string, now: number, ttlMs: number): Awaitable<boolean>;
  /** Gives the right back, if `owner` still holds it. */
  unlock(key: string, owner: string): Awaitable<void>;
  /** Drops the token of `key` if it is still `value` (the one a server refused); true when it did. */
  invalidate(key: string, value: string): Awaitable<boolean>;
}

/**
 * The key a token is kept under: a hash of everything that tells tokens apart, so neither
 * the client id nor an URL shows in a shared store's key names.
 */
export function tokenKey(provider: string, clientId: string, audience = ""): string {
  return sha256Hex(`${provider}\u0000${clientId}\u0000${audience}`).slice(0, 32);
}

export class MemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<string, StoredToken>();
  private readonly locks = new Map<string, { owner: string; until: number }>();

  get(key: string, now: number): StoredToken | undefined {
    const token = this.tokens.get(key);
    if (token && now >= token.expiresAt) this.tokens.delete(key);
    return now < (token?.expiresAt ?? 0) ? token : undefined;
  }

  set(key: string, token: StoredToken, now: number): void {
    if (token.expiresAt > now) this.tokens.set(key, token);
    else this.tokens.delete(key);
  }

  tryLock(key: string, owner: string, now: number, ttlMs: number): boolean {
    const held = this.locks.get(key);
    if (held && now < held.until) return false;
    this.locks.set(key, { owner, until: now + ttlMs });
    return true;
  }

  unlock(key: string, owner: string): void {
    if (this.locks.get(key)?.owner === owner) this.locks.delete(key);
  }

  invalidate(key: string, value: string): boolean {
    if (this.tokens.get(key)?.value !== value) return false;
    this.tokens.delete(key);
    return true;
  }
}
