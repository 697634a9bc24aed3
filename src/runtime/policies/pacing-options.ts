/** The options of client-side pacing (see pacing.ts): the quota, the queue's bounds and where the window lives. */
import type { QuotaStore } from "../stores/quota-store.js";
import type { CostConfig } from "./pacing-cost.js";
import type { QuotaConfig } from "./pacing-quota.js";
import type { TenantConfig } from "./pacing-tenants.js";

export interface PacingOptions extends QuotaConfig, TenantConfig {
  /**
   * Overrides the spec's quota (the server's rate-limit headers, where it sends them,
   * override both). `Infinity` turns client-side quota pacing off (for a sandbox without
   * limits); the concurrency cap and the server's 429 pauses still apply.
   */
  readonly limit?: number | undefined;
  readonly windowMs?: number | undefined;
  /** Calls in flight at once for this client. Default 16. */
  readonly maxConcurrent?: number | undefined;
  /**
   * Spacing added to the window so a send timed at the edge does not reach the server
   * inside it. Travel time is already covered (a slot counts from when its response
   * arrived), so this covers timers and clock rates. Default 0.5 % of the window + 10 ms.
   */
  readonly safetyMarginMs?: number | undefined;
  /** Longest wait a call accepts for a slot before failing with RateLimitedError. Default 120 s. */
  readonly maxWaitMs?: number | undefined;
  /** Where the window lives: in memory (default), or shared by a fleet (`redisStore(...).quota`). */
  readonly store?: QuotaStore | undefined;
  /**
   * Whose quota this is, when no OAuth token source names the client: an API key's id, say.
   * Every client of the provider on the same store and client id shares one quota (its
   * tenants share it fairly). Default: one quota per provider.
   */
  readonly clientId?: string | undefined;
  /**
   * Quotas the provider counts beside requests, by the name its RateLimit header gives
   * them, e.g. `{ fhirInteractions: { limit: 50_000, windowMs: 60_000 } }` for a points
   * quota. Each call then spends its price of each (see `cost`). A limit the server states
   * in RateLimit-Policy wins; a quota the server names there is paced even unconfigured.
   */
  readonly quotas?: Readonly<Record<string, { readonly limit: number; readonly windowMs: number }>> | undefined;
  /**
   * What one call spends of each quota, over the spec's `x-carewire-cost` (and the FHIR
   * price list): by operationId, or a function of the operation (undefined keeps the
   * spec's price); read once per operation. A number is units of requests; an object
   * prices each quota it names, requests staying 1 unless named; a quota a price does not
   * name costs 1 unit, 0 leaves the call out of it.
   * ```ts
   * cost: { exportReport: 10, "Patient.search-type": { fhirInteractions: 5 } }
   * cost: (operation) => (operation.method === "get" ? undefined : { fhirInteractions: 50 })
   * ```
   */
  readonly cost?: CostConfig | undefined;
}
