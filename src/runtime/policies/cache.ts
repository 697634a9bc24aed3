/**
 * HTTP caching for reads: fresh entries are served without a request,
 * stale ones are revalidated with If-None-Match / If-Modified-Since (a 304 refreshes
 * them), `no-store` is respected from the response and from the spec's hint, and when
 * the provider fails (network fault, 5xx, 429, open circuit) a stale entry still within
 * its stale-if-error window is served, labelled `meta.source = "stale"` with its age.
 */
import { noted, withHeader, NO_HINTS, type AttemptPlan, type AttemptResult, type Policy, type Send } from "../core/attempt.js";
import type { Call } from "../core/call.js";
import type { OperationHints } from "../core/operation.js";
import { MemoryCacheStore, type CacheEntry, type CacheStore } from "../stores/cache-store.js";
import { withRawQuery } from "../wire/request.js";
import type { Exchange } from "../wire/transport.js";
import { headerValue } from "../wire/header-value.js";
import { isThenable } from "../portable/thenable.js";

export interface CacheOptions {
  readonly store?: CacheStore | undefined;
  /** Serve stale data on failure even for operations without a staleIfErrorSeconds hint, up to this age. Default 0. */
  readonly defaultStaleIfErrorMs?: number | undefined;
}

/** A Cache-Control header, parsed: what the cache policy reads of it. */
export interface Directives {
  noStore: boolean;
  noCache: boolean;
  maxAgeMs?: number;
  staleIfErrorMs?: number;
}

export function parseCacheControl(value: string | null): Directives {
  const out: Directives = { noStore: false, noCache: false };
  // Most responses send none.
  if (value === null) return out;
  for (const part of value.toLowerCase().split(",")) {
    const [name, raw] = part.trim().split("=").map((s) => s.trim());
    const seconds = raw !== undefined && /^\d+$/.test(raw.replace(/"/g, "")) ? Number(raw.replace(/"/g, "")) * 1000 : undefined;
    if (name === "no-store") out.noStore = true;
    else if (name === "no-cache") out.noCache = true;
    else if (name === "max-age" && seconds !== undefined) out.maxAgeMs = seconds;
    else if (name === "stale-if-error" && seconds !== undefined) out.staleIfErrorMs = seconds;
  }
  return out;
}

/** What a response without Cache-Control says (shared, never changed). */
const NO_DIRECTIVES: Readonly<Directives> = Object.freeze({ noStore: false, noCache: false });

/** The failures a stale entry may stand in for: the provider is unreachable or shedding load. */
const TRANSIENT_KINDS = new Set(["network", "timeout", "circuit-open", "rate-limited"]);

export function cachePolicy(options: CacheOptions = {}, tenant?: string): Policy {
  const store = options.store ?? new MemoryCacheStore();
  // Built once per provider (a client has one), not per call.
  const prefixes = new Map<string, string>();
  const tenantPrefix = (call: Call) => {
    let prefix = prefixes.get(call.provider);
    if (prefix === undefined) prefixes.set(call.provider, (prefix = `${call.provider}\u0000${tenant ?? ""}\u0000`));
    return prefix;
  };

  /**
   * A write to a resource drops what is cached of it and of its collection (the list it
   * appears in), so a client reads its own writes. Only a refusal (4xx) leaves the cache
   * alone: anything else may have changed the resource.
   */
  async function writeThrough(next: Send, plan: AttemptPlan): Promise<AttemptResult> {
    const result = await next(plan);
    const status = result.exchange?.response.status;
    if (status !== undefined && status >= 400 && status < 500) return result;
    const { call } = plan;
    // The filled-in path, without its query: what the write changed.
    const { path } = call.target;
    // A write to the root (a FHIR transaction or batch) may touch anything of this tenant's.
    if (path === "" || path === "/") await store.deletePrefix(tenantPrefix(call));
    else {
      await store.deletePrefix(`${tenantPrefix(call)}${path}\u0000`);
      const collection = path.replace(/\/[^/]*\/?$/, "");
      if (collection !== "" && collection !== path) await store.deletePrefix(`${tenantPrefix(call)}${collection}\u0000`);
    }
    return result;
  }

  return (next) => async (plan) => {
    const { call } = plan;
    const { operation, clock, options: callOptions } = call;
    const hint = operation.hints.cache;
    if (operation.method !== "get" && operation.method !== "head") return writeThrough(next, plan);
    if (callOptions.cache === "no-store" || callOptions.stream === true || hint?.policy === "no-store") return next(plan);
    const key = cacheKey(call, tenantPrefix(call));
    const reading = store.get(key);
    const entry = isThenable(reading) ? await reading : reading;
    const now = clock.now();
    if (entry && callOptions.cache !== "no-cache" && now - entry.storedAt < entry.maxAgeMs) {
      if (call.observed) call.emit({ type: "cache", result: "hit", ageMs: now - entry.storedAt });
      return served(entry, "cache", now - entry.storedAt);
    }
    let revalidating = plan;
    if (entry?.etag) revalidating = withHeader(revalidating, "If-None-Match", entry.etag);
    if (entry?.lastModified) revalidating = withHeader(revalidating, "If-Modified-Since", entry.lastModified);

    const result = await next(revalidating);
    const { exchange } = result;
    if (exchange === undefined) return result.error !== undefined && TRANSIENT_KINDS.has(result.error.kind) ? staleInstead(entry, result, call) : result;
    const { status, headers } = exchange.response;
    const cacheControl = headerValue(headers, "cache-control");
    if (status === 304 && entry) {
      // RFC 9111 §4.3.4: what the 304 carries updates the entry; what it leaves out is kept.
      const merged = new Headers(entry.headers as Array<[string, string]>);
      for (const [name, value] of headers) if (name !== "content-length" && name !== "content-type") merged.set(name, value);
      const life = cacheControl !== null ? lifetimes(parseCacheControl(cacheControl), hint, options) : { maxAgeMs: entry.maxAgeMs, staleIfErrorMs: entry.staleIfErrorMs };
      // A 304 may name a new validator: the next revalidation must send it.
      const etag = headerValue(headers, "etag") ?? entry.etag;
      const lastModified = headerValue(headers, "last-modified") ?? entry.lastModified;
      const refreshed: CacheEntry = { ...entry, ...life, headers: [...merged.entries()], storedAt: clock.now(), ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
      await store.set(key, refreshed);
      call.emit({ type: "cache", result: "revalidated" });
      return { ...served(refreshed, "cache", 0), notes: { ...result.notes, source: "cache", ageMs: 0 } };
    }
    if (status === 429 || status >= 500) return result.verdict.outcome !== "ok" ? staleInstead(entry, result, call) : result;
    if (status >= 200 && status < 300) {
      // Most responses send none: they share one reading of nothing.
      const directives = cacheControl === null ? NO_DIRECTIVES : parseCacheControl(cacheControl);
      if (directives.noStore) await store.delete(key);
      else {
        const etag = headerValue(headers, "etag") ?? undefined;
        const lastModified = headerValue(headers, "last-modified") ?? undefined;
        const life = lifetimes(directives, hint, options);
        // Worth keeping only if it can be served, revalidated or used as a fallback.
        if (life.maxAgeMs > 0 || life.staleIfErrorMs > 0 || etag || lastModified) {
          await store.set(key, {
            status,
            headers: [...headers.entries()],
            body: exchange.body,
            storedAt: clock.now(),
            ...life,
            ...(etag ? { etag } : {}),
            ...(lastModified ? { lastModified } : {}),
          });
          call.emit({ type: "cache", result: "stored" });
        }
      }
    }
    return result;
  };
}

/**
 * The stale entry in place of a failure, while it is within its stale-if-error window. (Not a
 * closure in the policy: a read that succeeds then allocates nothing for it.)
 */
function staleInstead(entry: CacheEntry | undefined, failed: AttemptResult, call: Call): AttemptResult {
  if (!entry) return failed;
  const age = call.clock.now() - entry.storedAt;
  if (age > entry.maxAgeMs + entry.staleIfErrorMs) return failed;
  if (call.observed) call.emit({ type: "cache", result: "stale", ageMs: age });
  return { ...served(entry, "stale", age), notes: { ...failed.notes, source: "stale", ageMs: age } };
}

/** A cached answer as an attempt's result: nothing was sent. */
function served(entry: CacheEntry, source: "cache" | "stale", ageMs: number): AttemptResult {
  return noted({ exchange: exchangeFrom(entry), error: undefined, verdict: { outcome: "ok", reason: source }, hints: NO_HINTS, notes: { attempts: [] } }, { source, ageMs });
}

function lifetimes(d: Directives, hint: OperationHints["cache"], options: CacheOptions): { maxAgeMs: number; staleIfErrorMs: number } {
  const hintMaxAge = hint?.policy === "max-age" && hint.maxAgeSeconds !== undefined ? hint.maxAgeSeconds * 1000 : 0;
  // The server's word wins; `no-cache` means revalidate every time.
  const maxAgeMs = d.noCache ? 0 : (d.maxAgeMs ?? hintMaxAge);
  const staleIfErrorMs = d.staleIfErrorMs ?? (hint?.staleIfErrorSeconds !== undefined ? hint.staleIfErrorSeconds * 1000 : (options.defaultStaleIfErrorMs ?? 0));
  return { maxAgeMs, staleIfErrorMs };
}

/** Keys start with provider, tenant and path, so one resource's entries share a prefix. */
function cacheKey(call: Call, prefix: string): string {
  const { path, query } = call.target;
  return `${prefix}${path}\u0000${call.operation.method}\u0000${withRawQuery(query, call.input.rawQuery)}`;
}

function exchangeFrom(entry: CacheEntry): Exchange {
  const response = new Response(entry.body.byteLength === 0 ? null : entry.body, { status: entry.status, headers: entry.headers as Array<[string, string]> });
  return { request: new Request("http://carewire.cache/"), response, body: entry.body };
}
