/**
 * HTTP caching for reads: fresh entries are served without a request,
 * stale ones are revalidated with If-None-Match / If-Modified-Since (a 304 refreshes
 * them), `no-store` is respected from the response and from the spec's hint, and when
 * the provider fails (network fault, 5xx, 429, open circuit) a stale entry still within
 * its stale-if-error window is served, labelled `meta.source = "stale"` with its age.
 */
import { createFinalURL, createQuerySerializer, defaultPathSerializer } from "openapi-fetch";
import { classify } from "../core/classify.js";
import { CarewireError } from "../core/errors.js";
import type { CallContext, Next, Policy } from "../core/policy.js";
import { withRawQuery } from "../wire/request.js";
import type { Exchange } from "../wire/transport.js";

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
  get(key: string): Promise<CacheEntry | undefined>;
  set(key: string, entry: CacheEntry): Promise<void>;
  delete(key: string): Promise<void>;
  /** Drops every entry whose key starts with `prefix` (all the cached reads of one resource). */
  deletePrefix(prefix: string): Promise<void>;
}

export class MemoryCacheStore implements CacheStore {
  private readonly entries = new Map<string, CacheEntry>();
  constructor(private readonly maxEntries = 1_000) {}
  async get(key: string) {
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

export interface CacheOptions {
  readonly store?: CacheStore;
  /** Serve stale data on failure even for operations without a staleIfErrorSeconds hint, up to this age. Default 0. */
  readonly defaultStaleIfErrorMs?: number;
}

interface Directives {
  noStore: boolean;
  noCache: boolean;
  maxAgeMs?: number;
  staleIfErrorMs?: number;
}

export function parseCacheControl(value: string | null): Directives {
  const out: Directives = { noStore: false, noCache: false };
  for (const part of (value ?? "").toLowerCase().split(",")) {
    const [name, raw] = part.trim().split("=").map((s) => s.trim());
    const seconds = raw !== undefined && /^\d+$/.test(raw.replace(/"/g, "")) ? Number(raw.replace(/"/g, "")) * 1000 : undefined;
    if (name === "no-store") out.noStore = true;
    else if (name === "no-cache") out.noCache = true;
    else if (name === "max-age" && seconds !== undefined) out.maxAgeMs = seconds;
    else if (name === "stale-if-error" && seconds !== undefined) out.staleIfErrorMs = seconds;
  }
  return out;
}

const querySerializer = createQuerySerializer();

export function cachePolicy(options: CacheOptions = {}, tenant?: string): Policy {
  const store = options.store ?? new MemoryCacheStore();
  /**
   * A write to a resource drops what is cached of it and of its collection (the list it
   * appears in), so a client reads its own writes. Only a refusal (4xx) leaves the cache
   * alone: anything else may have changed the resource.
   */
  async function writeThrough(context: CallContext, next: Next): Promise<Exchange> {
    let exchange: Exchange | undefined;
    try {
      exchange = await next();
      return exchange;
    } finally {
      const status = exchange?.response.status;
      if (status === undefined || status < 400 || status >= 500) {
        const path = resourcePath(context);
        // A write to the root (a FHIR transaction or batch) may touch anything of this tenant's.
        if (path === "" || path === "/") await store.deletePrefix(`${context.provider}\u0000${tenant ?? ""}\u0000`);
        else {
          await store.deletePrefix(keyPrefix(context, tenant, path));
          const collection = path.replace(/\/[^/]*\/?$/, "");
          if (collection !== "" && collection !== path) await store.deletePrefix(keyPrefix(context, tenant, collection));
        }
      }
    }
  }

  return {
    name: "cache",
    async execute(context: CallContext, next: Next): Promise<Exchange> {
      const { operation, clock } = context;
      const hint = operation.hints.cache;
      if (operation.method !== "get" && operation.method !== "head") return writeThrough(context, next);
      if (context.options.cache === "no-store" || context.options.stream === true || hint?.policy === "no-store") return next();
      const key = cacheKey(context, tenant);
      const entry = await store.get(key);
      const now = clock.now();
      if (entry && context.options.cache !== "no-cache" && now - entry.storedAt < entry.maxAgeMs) {
        context.source = "cache";
        context.ageMs = now - entry.storedAt;
        context.emit({ type: "cache", result: "hit" });
        return exchangeFrom(entry);
      }
      if (entry?.etag) context.headers.set("If-None-Match", entry.etag);
      if (entry?.lastModified) context.headers.set("If-Modified-Since", entry.lastModified);

      const staleFallback = (): Exchange | undefined => {
        if (!entry) return undefined;
        const age = clock.now() - entry.storedAt;
        if (age > entry.maxAgeMs + entry.staleIfErrorMs) return undefined;
        context.source = "stale";
        context.ageMs = age;
        context.emit({ type: "cache", result: "stale" });
        return exchangeFrom(entry);
      };

      let exchange: Exchange;
      try {
        exchange = await next();
      } catch (error) {
        const transient = error instanceof CarewireError && ["network", "timeout", "circuit-open", "rate-limited"].includes(error.kind);
        const stale = transient ? staleFallback() : undefined;
        if (stale) return stale;
        throw error;
      }
      const status = exchange.response.status;
      if (status === 304 && entry) {
        // RFC 9111 §4.3.4: what the 304 carries updates the entry; what it leaves out is kept.
        const merged = new Headers(entry.headers as Array<[string, string]>);
        for (const [name, value] of exchange.response.headers) if (name !== "content-length" && name !== "content-type") merged.set(name, value);
        const life = exchange.response.headers.has("cache-control") ? lifetimes(parseCacheControl(exchange.response.headers.get("cache-control")), hint, options) : { maxAgeMs: entry.maxAgeMs, staleIfErrorMs: entry.staleIfErrorMs };
        const refreshed: CacheEntry = { ...entry, ...life, headers: [...merged.entries()], storedAt: clock.now() };
        await store.set(key, refreshed);
        context.source = "cache";
        context.ageMs = 0;
        context.emit({ type: "cache", result: "revalidated" });
        return exchangeFrom(refreshed);
      }
      if (status === 429 || status >= 500) {
        const verdict = classify({ exchange, safety: operation.safety }).outcome;
        const stale = verdict !== "ok" ? staleFallback() : undefined;
        if (stale) return stale;
        return exchange;
      }
      if (status >= 200 && status < 300) {
        const directives = parseCacheControl(exchange.response.headers.get("cache-control"));
        if (!directives.noStore) {
          const etag = exchange.response.headers.get("etag") ?? undefined;
          const lastModified = exchange.response.headers.get("last-modified") ?? undefined;
          const life = lifetimes(directives, hint, options);
          // Worth keeping only if it can be served, revalidated or used as a fallback.
          if (life.maxAgeMs > 0 || life.staleIfErrorMs > 0 || etag || lastModified) {
            await store.set(key, {
              status,
              headers: [...exchange.response.headers.entries()],
              body: exchange.body,
              storedAt: clock.now(),
              ...life,
              ...(etag ? { etag } : {}),
              ...(lastModified ? { lastModified } : {}),
            });
            context.emit({ type: "cache", result: "stored" });
          }
        } else await store.delete(key);
      }
      return exchange;
    },
  };
}

function lifetimes(d: Directives, hint: CallContext["operation"]["hints"]["cache"], options: CacheOptions): { maxAgeMs: number; staleIfErrorMs: number } {
  const hintMaxAge = hint?.policy === "max-age" && hint.maxAgeSeconds !== undefined ? hint.maxAgeSeconds * 1000 : 0;
  // The server's word wins; `no-cache` means revalidate every time.
  const maxAgeMs = d.noCache ? 0 : (d.maxAgeMs ?? hintMaxAge);
  const staleIfErrorMs = d.staleIfErrorMs ?? (hint?.staleIfErrorSeconds !== undefined ? hint.staleIfErrorSeconds * 1000 : (options.defaultStaleIfErrorMs ?? 0));
  return { maxAgeMs, staleIfErrorMs };
}

/** The filled-in path of a call, without its query: what a write changes and a read caches. */
function resourcePath(context: CallContext): string {
  return createFinalURL(context.operation.path, { baseUrl: "", params: { path: context.input.params?.path ?? {}, query: {} }, querySerializer, pathSerializer: defaultPathSerializer });
}

/** Keys start with provider, tenant and path, so one resource's entries share a prefix. */
function keyPrefix(context: CallContext, tenant: string | undefined, path: string): string {
  return `${context.provider}\u0000${tenant ?? ""}\u0000${path}\u0000`;
}

function cacheKey(context: CallContext, tenant: string | undefined): string {
  const query = withRawQuery(createFinalURL("", { baseUrl: "", params: { query: context.input.params?.query ?? {} }, querySerializer, pathSerializer: defaultPathSerializer }), context.input.rawQuery);
  return `${keyPrefix(context, tenant, resourcePath(context))}${context.operation.method}\u0000${query}`;
}

function exchangeFrom(entry: CacheEntry): Exchange {
  const response = new Response(entry.body.byteLength === 0 ? null : entry.body, { status: entry.status, headers: entry.headers as Array<[string, string]> });
  return { request: new Request("http://carewire.cache/"), response, body: entry.body };
}
