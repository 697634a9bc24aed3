/**
 * A shared token store (Redis) with this process's memory behind it: while the shared
 * store is out, this instance fetches and keeps its own token (its own single flight),
 * and shares again once the store answers. A lock taken locally is given back locally.
 */
import { Fallback, type StateListener } from "./fallback.js";
import { MemoryTokenStore, type StoredToken, type TokenStore } from "./token-store.js";

export class FailoverTokenStore implements TokenStore {
  private readonly local = new MemoryTokenStore();
  private readonly localLocks = new Set<string>();
  private readonly fallback: Fallback;
  /** The latest time a caller gave: unlock and invalidate take none. */
  private now = 0;

  constructor(
    private readonly shared: TokenStore,
    options: { readonly retryAfterMs?: number; readonly onStateChange?: StateListener } = {},
  ) {
    this.fallback = new Fallback(options.retryAfterMs, options.onStateChange);
  }

  get(key: string, now: number): Promise<StoredToken | undefined> {
    this.now = Math.max(this.now, now);
    return this.fallback.either(now, () => this.shared.get(key, now), () => this.local.get(key, now));
  }

  async set(key: string, token: StoredToken, now: number): Promise<void> {
    this.now = Math.max(this.now, now);
    // Kept locally too: a token fetched just before an outage still serves during it.
    this.local.set(key, token, now);
    await this.fallback.either(now, () => this.shared.set(key, token, now), () => undefined);
  }

  tryLock(key: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
    this.now = Math.max(this.now, now);
    return this.fallback.either(
      now,
      () => this.shared.tryLock(key, owner, now, ttlMs),
      () => {
        const taken = this.local.tryLock(key, owner, now, ttlMs);
        if (taken) this.localLocks.add(owner);
        return taken;
      },
    );
  }

  async unlock(key: string, owner: string): Promise<void> {
    if (this.localLocks.delete(owner)) return this.local.unlock(key, owner);
    // A lock lost with the shared store expires by itself.
    await this.fallback.either(this.now, () => this.shared.unlock(key, owner), () => undefined);
  }

  async invalidate(key: string, value: string): Promise<boolean> {
    const local = this.local.invalidate(key, value);
    return (await this.fallback.either(this.now, () => this.shared.invalidate(key, value), () => false)) || local;
  }
}
