/**
 * Which quota a call is paced under, and what it asks of it. Sources, strongest first:
 * what the server's rate-limit headers say (the server counts, so it wins over a
 * configured number that is wrong), then the client's config, then the spec's
 * `x-carewire-rate-limit`. `limit: Infinity` in config turns quota pacing off.
 */
import { UNBOUNDED, type QuotaDemand } from "../stores/quota-store.js";

/** Who goes first when calls wait for the same slots. */
export type Lane = "critical" | "interactive" | "batch";

export interface QuotaConfig {
  readonly limit?: number | undefined;
  readonly windowMs?: number | undefined;
  readonly safetyMarginMs?: number | undefined;
  /** Share of the limit that batch work leaves free for critical and interactive calls (0–1). */
  readonly batchReserve?: number | undefined;
}

export interface LearnedQuota {
  readonly limit: number;
  readonly windowMs: number;
}

export interface SpecQuota {
  readonly limit?: number;
  readonly windowSeconds?: number;
}

const DEFAULT_BATCH_RESERVE = 0.1;


/** How long sends are remembered while the quota is unknown. */
const OBSERVED_WINDOW_MS = 60_000;

/** The demand of a call while the quota is unknown: counted, never refused (one object for every call). */
const COUNTED_ONLY: PacedDemand = Object.freeze({ name: "requests", limit: UNBOUNDED, windowMs: OBSERVED_WINDOW_MS, cost: 1, marginMs: 0 });

/** Whether the demand paces (a known quota) or only counts. */
export function isPacing(demand: QuotaDemand): boolean {
  return demand.limit !== UNBOUNDED;
}

/** A demand and the margin its window carries (a send's record may trail its arrival by that much). */
export type PacedDemand = QuotaDemand & { readonly marginMs: number };

/** The call's demand on the "requests" quota; undefined when pacing by quota is off (`limit: Infinity`). */
export function requestDemand(config: QuotaConfig, learned: LearnedQuota | undefined, spec: SpecQuota | undefined, lane: Lane, cost = 1): PacedDemand | undefined {
  if (config.limit === Infinity) return undefined;
  const limit = learned?.limit ?? config.limit ?? spec?.limit;
  const windowMs = learned?.windowMs ?? config.windowMs ?? (spec?.windowSeconds !== undefined ? spec.windowSeconds * 1000 : undefined);
  // No quota known yet: the send is still counted (never refused), so that when the server
  // later says what it counts, the window already holds what was sent.
  if (limit === undefined || windowMs === undefined || !(limit > 0) || !(windowMs > 0)) return cost === 1 ? COUNTED_ONLY : { ...COUNTED_ONLY, cost };
  return quotaDemand("requests", { limit, windowMs }, cost, config, lane);
}

/** Spacing added to a window so a send timed at its edge does not reach the server inside it. */
export function marginOf(windowMs: number, config: QuotaConfig): number {
  return config.safetyMarginMs ?? windowMs * 0.005 + 10;
}

/** A send's demand on a known quota: `cost` units of `limit` per window, the window widened by its margin. */
export function quotaDemand(name: string, quota: LearnedQuota, cost: number, config: QuotaConfig, lane: Lane): PacedDemand {
  const { limit, windowMs } = quota;
  const margin = marginOf(windowMs, config);
  const reserve = lane === "batch" ? Math.floor(limit * (config.batchReserve ?? DEFAULT_BATCH_RESERVE)) : 0;
  return { name, limit, windowMs: windowMs + margin, cost, marginMs: margin, ...(reserve > 0 ? { reserve } : {}) };
}

/** Whether two lists of demands ask the same of the store (same quotas, limits, windows, costs and reserves). */
export function sameDemands(a: readonly QuotaDemand[], b: readonly QuotaDemand[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y && (x.name !== y.name || x.limit !== y.limit || x.windowMs !== y.windowMs || x.cost !== y.cost || (x.reserve ?? 0) !== (y.reserve ?? 0))) return false;
  }
  return true;
}
