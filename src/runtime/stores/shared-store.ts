/**
 * The state a client keeps beyond one call, in one place: the quota window (with its
 * pauses and the server's counts), the OAuth token, the circuits of its endpoint groups,
 * and, when the app opts in, cached responses. Clients made with the same store pace
 * against one window, hold one token and open one circuit. `memoryStore()` is one
 * process's; `redisStore()` is a fleet's; `CAREWIRE_REDIS_URL` turns on the fleet's for
 * every client without a change in code (cached responses stay in each process's memory).
 */
import { MemoryBreakerStore, type BreakerStore } from "./breaker-store.js";
import type { CacheStore } from "./cache-store.js";
import { MemoryQuotaStore } from "./memory-quota-store.js";
import type { QuotaStore } from "./quota-store.js";
import { MemoryTokenStore, type TokenStore } from "./token-store.js";

export interface SharedStore {
  readonly quota: QuotaStore;
  /** One token per provider + client id, requested by one instance at a time. */
  readonly tokens: TokenStore;
  /** The circuit of every endpoint group. */
  readonly breakers: BreakerStore;
  /**
   * Cached responses, only when the application asked for them (`redisStore({ cache: true })`):
   * they are PHI, and a shared copy of them is the application's decision.
   */
  readonly cache?: CacheStore;
  /** Lets go of connections the store made (not a client the app passed in). */
  close(): Promise<void>;
}

export function memoryStore(): SharedStore {
  return { quota: new MemoryQuotaStore(), tokens: new MemoryTokenStore(), breakers: new MemoryBreakerStore(), close: async () => undefined };
}

/** The environment variable that puts every client of the process on one Redis. */
export const REDIS_URL_VARIABLE = "CAREWIRE_REDIS_URL";

let fromEnvironment: { readonly url: string; readonly store: SharedStore } | undefined;

/**
 * The process's store from `CAREWIRE_REDIS_URL`, made once and shared by every client
 * (one connection), or undefined when the variable is unset or empty. Its connection does
 * not keep the process alive.
 */
export function environmentStore(make: (url: string) => SharedStore, env: Readonly<Record<string, string | undefined>> = processEnvironment()): SharedStore | undefined {
  const url = env[REDIS_URL_VARIABLE]?.trim();
  if (!url) return undefined;
  if (fromEnvironment?.url !== url) fromEnvironment = { url, store: make(url) };
  return fromEnvironment.store;
}

/** The process's environment on Node; none in a browser, where there is no `process`. */
function processEnvironment(): Readonly<Record<string, string | undefined>> {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
}
