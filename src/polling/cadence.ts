/**
 * How often a target is polled: at the fastest right after a change (changes come in
 * bursts: a visit touches an encounter many times), slower by a factor after each poll that
 * found nothing, never outside [minIntervalMs, maxIntervalMs].
 */
import { PollOptionsError } from "./errors.js";

export interface CadenceOptions {
  /** Interval right after a change, in ms. Default 10 000. */
  readonly minIntervalMs?: number;
  /** Longest interval of a target that stays unchanged, in ms. Default 300 000. */
  readonly maxIntervalMs?: number;
  /** Factor the interval grows by after each unchanged poll. Default 2. */
  readonly slowdown?: number;
  /** Interval of a target's first poll cycle (its phase is spread over it). Default: maxIntervalMs. */
  readonly initialIntervalMs?: number;
}

/** Cadence options with every default filled in. */
export interface Cadence {
  readonly minIntervalMs: number;
  readonly maxIntervalMs: number;
  readonly slowdown: number;
  readonly initialIntervalMs: number;
}

export const DEFAULT_CADENCE: Cadence = { minIntervalMs: 10_000, maxIntervalMs: 300_000, slowdown: 2, initialIntervalMs: 300_000 };

export function cadenceOf(options: CadenceOptions): Cadence {
  const minIntervalMs = options.minIntervalMs ?? DEFAULT_CADENCE.minIntervalMs;
  const maxIntervalMs = options.maxIntervalMs ?? Math.max(minIntervalMs, DEFAULT_CADENCE.maxIntervalMs);
  const slowdown = options.slowdown ?? DEFAULT_CADENCE.slowdown;
  if (!(Number.isFinite(minIntervalMs) && minIntervalMs > 0)) throw new PollOptionsError(`minIntervalMs must be a positive number of ms, got ${minIntervalMs}`);
  if (!(Number.isFinite(maxIntervalMs) && maxIntervalMs >= minIntervalMs)) throw new PollOptionsError(`maxIntervalMs must be finite and at least minIntervalMs (${minIntervalMs}), got ${maxIntervalMs}`);
  if (!(Number.isFinite(slowdown) && slowdown >= 1)) throw new PollOptionsError(`slowdown must be a factor of at least 1, got ${slowdown}`);
  const initialIntervalMs = Math.min(maxIntervalMs, Math.max(minIntervalMs, options.initialIntervalMs ?? maxIntervalMs));
  return { minIntervalMs, maxIntervalMs, slowdown, initialIntervalMs };
}

/** The interval after a poll: the fastest after a change, a step slower otherwise. */
export function nextInterval(cadence: Cadence, currentMs: number, changed: boolean): number {
  if (changed) return cadence.minIntervalMs;
  return Math.min(cadence.maxIntervalMs, Math.max(cadence.minIntervalMs, currentMs * cadence.slowdown));
}
