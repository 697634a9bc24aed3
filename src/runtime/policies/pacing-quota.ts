/**
 * Which quota a call is paced under, and what it asks of it. Sources, strongest first:
 * what the server's rate-limit headers say (the server counts, so it wins over a
 * configured number that is wrong), then the client's config, then the spec's
 * `x-carewire-rate-limit`. `limit: Infinity` in config turns quota pacing off.
 */
import type { QuotaDemand } from "../stores/quota-store.js";

/** Who goes first when calls wait for the same slots. */
export type Lane = "critical" | "interactive" | "batch";

export interface QuotaConfig {
  readonly limit?: number;
  readonly windowMs?: number;
  readonly safetyMarginMs?: number;
  /** Share of the limit that batch work leaves free for critical and interactive calls (0–1). */
  readonly batchReserve?: number;
}

export interface LearnedQuota {
  readonly limit: number;
  readonly windowMs: number;
}

export interface SpecQuota {
  readonly limit?: number;
  readonly windowSeconds?: number;
}

export const DEFAULT_BATCH_RESERVE = 0.1;

/** The call's demand on the "requests" quota, or undefined when no quota is known (or pacing by quota is off). */
export function requestDemand(config: QuotaConfig, learned: LearnedQuota | undefined, spec: SpecQuota | undefined, lane: Lane): QuotaDemand | undefined {
  if (config.limit === Infinity) return undefined;
  const limit = learned?.limit ?? config.limit ?? spec?.limit;
  const windowMs = learned?.windowMs ?? config.windowMs ?? (spec?.windowSeconds !== undefined ? spec.windowSeconds * 1000 : undefined);
  if (limit === undefined || windowMs === undefined || !(limit > 0) || !(windowMs > 0)) return undefined;
  // Spacing added to the window so a send timed at its edge does not reach the server inside it.
  const margin = config.safetyMarginMs ?? windowMs * 0.005 + 10;
  const reserve = lane === "batch" ? Math.floor(limit * (config.batchReserve ?? DEFAULT_BATCH_RESERVE)) : 0;
  return { name: "requests", limit, windowMs: windowMs + margin, cost: 1, ...(reserve > 0 ? { reserve } : {}) };
}
