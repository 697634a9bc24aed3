/**
 * Where cached responses live: in memory by default (least recently used goes first when
 * full); a shared store can replace it.
 */
import type { Awaitable } from "./quota-store.js";

export interface CacheEntry {
  readonly status: number;
  readonly headers: ReadonlyArray<[string, string]>;
  readonly body: Uint8Array;
  readonly storedAt: number;
  readonly maxAgeMs: number;
  readonly staleIfErrorMs: number;
  readonly etag?: string;
  readonly lastModified?: string;
}

/** Where cached responses live (in memory by default; a shared store can replace it). */
export interface CacheStore {
  /** The entry, or undefined; a store in memory may answer at once (every read asks). */
  get(key: string): Awaitable<CacheEntry | undefined>;
  set(key: string, entry: CacheEntry): Promise<void>;
  delete(key: string): Promise<void>;
  /** Drops every entry whose key starts with `prefix` (all the cached reads of one resource). */
  deletePrefix(prefix: string): Promise<void>;
}

export class MemoryCacheStore implements CacheStore {
  private readonly entries = new Map<string, CacheEntry>();
  constructor(private readonly maxEntries = 1_000) {}
  get(key: string): CacheEntry | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      // Least recently used goes first when full.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }
  async set(key: string, entry: CacheEntry) {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
  async delete(key: string) {
    this.entries.delete(key);
  }
  async deletePrefix(prefix: string) {
    // Deleting the entry being visited is safe while iterating a Map: no copy of the keys needed.
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
