/**
 * Quotas a provider counts beside requests, each by the name its RateLimit header gives
 * it: points priced per operation (`fhirInteractions`), a daily cap. Each is known from,
 * strongest first, what the server's RateLimit-Policy says, the client's `pacing.quotas`,
 * then the spec's `x-carewire-rate-limit.quotas`; a call spends its price of each known
 * one (1 unit where its price names none). A quota whose limit is not known is not paced:
 * its spent state still holds calls until the server's reset.
 */
import type { OperationHints } from "../core/operation.js";
import type { QuotaObservation } from "../stores/quota-store.js";
import { primaryPolicy, type RateLimitPolicy } from "../wire/rate-limit-policies.js";
import { unitsOf, type ResolvedCost } from "./pacing-cost.js";
import { marginOf, quotaDemand, type Lane, type LearnedQuota, type PacedDemand, type QuotaConfig } from "./pacing-quota.js";

type SpecQuotas = NonNullable<OperationHints["rateLimit"]>["quotas"];

/** What one response's policies teach beside the requests quota. */
export interface NamedReading {
  /** The primary policy stands for requests (else a named quota claimed it, and requests learn nothing from it). */
  readonly primaryIsRequests: boolean;
  /** Corrections for the store: the server's remaining count of each paced quota. */
  readonly observations: readonly QuotaObservation[];
  /** Hold every call until then: a quota no window is kept for says it is spent. */
  readonly pauseUntil?: number;
  /** The longest reset (ms) among the policies the server says are spent: the wait a 429 without Retry-After asks. */
  readonly spentResetMs?: number;
}

const REQUESTS_ONLY: NamedReading = Object.freeze({ primaryIsRequests: true, observations: Object.freeze([]) });

export class NamedQuotas {
  private readonly learned = new Map<string, LearnedQuota>();
  private readonly configured: ReadonlyMap<string, LearnedQuota>;

  constructor(
    configured: Readonly<Record<string, LearnedQuota>> | undefined,
    private readonly config: QuotaConfig,
  ) {
    // "requests" is the quota `limit` and `windowMs` state: it is never a named one.
    this.configured = new Map(Object.entries(configured ?? {}).filter(([name, q]) => name !== "requests" && q.limit > 0 && q.windowMs > 0));
  }

  /** Whether any quota beside requests can apply to a call under this spec (else the one-quota path). */
  active(spec: SpecQuotas): boolean {
    return this.learned.size > 0 || this.configured.size > 0 || spec !== undefined;
  }

  /** What is known of quota `name`: learned, configured, then declared by the spec. */
  window(name: string, spec: SpecQuotas): LearnedQuota | undefined {
    const found = this.learned.get(name) ?? this.configured.get(name);
    if (found !== undefined) return found;
    const declared = spec !== undefined && Object.hasOwn(spec, name) ? spec[name] : undefined;
    return declared === undefined ? undefined : { limit: declared.limit, windowMs: declared.windowSeconds * 1000 };
  }

  /** Adds to `into` a demand on every known quota beside requests, at the call's price. */
  demands(into: PacedDemand[], cost: ResolvedCost, spec: SpecQuotas, lane: Lane): void {
    for (const name of this.names(spec)) {
      const units = unitsOf(cost, name);
      const window = this.window(name, spec);
      if (units > 0 && window !== undefined) into.push(quotaDemand(name, window, units, this.config, lane));
    }
  }

  /**
   * Reads a response's policies: learns each named quota's limit, and says what the store
   * should be told and how long to hold. The primary policy is the requests quota unless
   * its name is a quota this client knows or the call was priced in.
   */
  read(policies: readonly RateLimitPolicy[], spec: SpecQuotas, cost: ResolvedCost, now: number): NamedReading {
    const primary = primaryPolicy(policies);
    // One policy that is the requests quota (the common case): nothing to read here.
    if (policies.length === 1 && primary !== undefined && !this.claims(primary.policy, spec, cost)) return REQUESTS_ONLY;
    let primaryIsRequests = true;
    const observations: QuotaObservation[] = [];
    let pauseUntil: number | undefined;
    let spentResetMs: number | undefined;
    for (const p of policies) {
      if (p.remaining === 0 && p.resetMs !== undefined) spentResetMs = Math.max(spentResetMs ?? 0, p.resetMs);
      if (p === primary && !this.claims(p.policy, spec, cost)) continue;
      if (p === primary) primaryIsRequests = false;
      if (p.limit !== undefined && p.windowMs !== undefined && p.limit > 0 && p.windowMs > 0) this.learn(p.policy, p.limit, p.windowMs);
      const window = this.window(p.policy, spec);
      if (window !== undefined && p.remaining !== undefined) {
        // The same widened window the call's demands carry, so the store counts both alike.
        const windowMs = window.windowMs + marginOf(window.windowMs, this.config);
        observations.push({ name: p.policy, limit: p.limit ?? window.limit, windowMs, remaining: p.remaining, ...(p.resetMs !== undefined ? { resetAt: now + p.resetMs } : {}) });
      } else if (window === undefined && p.remaining === 0 && p.resetMs !== undefined && p.resetMs > 0) {
        pauseUntil = Math.max(pauseUntil ?? 0, now + p.resetMs);
      }
    }
    return { primaryIsRequests, observations, ...(pauseUntil !== undefined ? { pauseUntil } : {}), ...(spentResetMs !== undefined ? { spentResetMs } : {}) };
  }

  private claims(name: string, spec: SpecQuotas, cost: ResolvedCost): boolean {
    if (name === "requests") return false;
    return this.window(name, spec) !== undefined || cost.others.some(([quota]) => quota === name);
  }

  private learn(name: string, limit: number, windowMs: number): void {
    const known = this.learned.get(name);
    if (known?.limit !== limit || known.windowMs !== windowMs) this.learned.set(name, { limit, windowMs });
  }

  /** Every quota name known from any source, once each. */
  private *names(spec: SpecQuotas): Generator<string> {
    yield* this.learned.keys();
    for (const name of this.configured.keys()) if (!this.learned.has(name)) yield name;
    if (spec !== undefined) for (const name of Object.keys(spec)) if (!this.learned.has(name) && !this.configured.has(name)) yield name;
  }
}
