/**
 * The state a client keeps beyond one call, in one place: today the quota window (with
 * its pauses and the server's counts). A client made with the same store as another
 * instance paces against the same window. `memoryStore()` is one process's; `redisStore()`
 * is a fleet's; `CAREWIRE_REDIS_URL` turns on the fleet's for every client without a
 * change in code.
 */
import { MemoryQuotaStore } from "./memory-quota-store.js";
import type { QuotaStore } from "./quota-store.js";

export interface SharedStore {
  readonly quota: QuotaStore;
  /** Lets go of connections the store made (not a client the app passed in). */
  close(): Promise<void>;
}

export function memoryStore(): SharedStore {
  return { quota: new MemoryQuotaStore(), close: async () => undefined };
}

/** The environment variable that puts every client of the process on one Redis. */
export const REDIS_URL_VARIABLE = "CAREWIRE_REDIS_URL";

let fromEnvironment: { readonly url: string; readonly store: SharedStore } | undefined;

/**
 * The process's store from `CAREWIRE_REDIS_URL`, made once and shared by every client
 * (one connection), or undefined when the variable is unset or empty. Its connection does
 * not keep the process alive.
 */
export function environmentStore(make: (url: string) => SharedStore, env: Readonly<Record<string, string | undefined>> = process.env): SharedStore | undefined {
  const url = env[REDIS_URL_VARIABLE]?.trim();
  if (!url) return undefined;
  if (fromEnvironment?.url !== url) fromEnvironment = { url, store: make(url) };
  return fromEnvironment.store;
}
