/**
 * Who of the waiting calls goes first, and how far ahead of its slot the first one is
 * booked: close enough that a more urgent call arriving meanwhile still goes ahead, far
 * enough for a shared store's round trip (or as far as a leasing store asks).
 */
import type { QuotaDemand, QuotaStore } from "../stores/quota-store.js";
import type { Lane } from "./pacing-quota.js";

const LANE_ORDER: Record<Lane, number> = { critical: 0, interactive: 1, batch: 2 };

/** Best lane first, then in the order the calls came. */
export function byLaneThenArrival(a: { readonly lane: Lane; readonly seq: number }, b: { readonly lane: Lane; readonly seq: number }): number {
  return LANE_ORDER[a.lane] - LANE_ORDER[b.lane] || a.seq - b.seq;
}

/** How long before its slot a send is booked: 2 % of the window, 5–50 ms. */
export function bookingLead(demands: readonly QuotaDemand[]): number {
  const windowMs = demands[0]?.windowMs ?? 1_000;
  return Math.min(50, Math.max(5, windowMs * 0.02));
}

/** How far ahead the head books: just before its slot, or as far as a leasing store asks. */
export function bookingHorizon(store: QuotaStore, demands: readonly QuotaDemand[], lead: number): number {
  return Math.max(2 * lead, store.bookAheadMs?.(demands[0]?.windowMs ?? 1_000) ?? 0);
}
