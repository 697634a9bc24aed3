/**
 * Waiting out a provider that asked for a pause: a 429 (until its Retry-After, as the call's
 * error or `meta.rateLimit` reports it) or an open circuit (until the breaker lets a probe
 * through). The pause holds every target of that tenant and provider, so the poller does
 * not spend the provider's patience on targets it already knows will be refused.
 */
import { readServerHints } from "../runtime/wire/server-hints.js";

export interface Pause {
  readonly reason: "rate-limited" | "circuit-open";
  readonly until: number;
}

/** The fields of a failed call a pause is read from (a CarewireError has them); read by shape, so errors of another copy of carewire count too. */
interface PauseHints {
  readonly kind?: unknown;
  readonly status?: unknown;
  readonly retryAt?: unknown;
  readonly meta?: { readonly rateLimit?: { readonly pausedUntil?: number } } | undefined;
  /** An HTTP error's response: its Retry-After when nothing else names a time. */
  readonly response?: { readonly headers?: unknown } | undefined;
}

/** The pause a failure asks for, if any: the error's time, else `meta`'s, else the 429's Retry-After, else `fallbackMs`. */
export function pauseFor(error: unknown, now: number, fallbackMs: number): Pause | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as PauseHints;
  const retryAt = typeof e.retryAt === "number" && Number.isFinite(e.retryAt) ? e.retryAt : undefined;
  if (e.kind === "circuit-open") return { reason: "circuit-open", until: retryAt ?? now + fallbackMs };
  const throttled = e.kind === "rate-limited" || e.status === 429;
  if (!throttled) return undefined;
  const pausedUntil = e.meta?.rateLimit?.pausedUntil;
  if (retryAt !== undefined) return { reason: "rate-limited", until: retryAt };
  if (typeof pausedUntil === "number" && pausedUntil > now) return { reason: "rate-limited", until: pausedUntil };
  const headers = e.response?.headers;
  // Read by shape too: a Headers of another realm (a test VM, a polyfill) is not `instanceof` this one's.
  const retryAfterMs = typeof (headers as { get?: unknown } | undefined)?.get === "function" ? readServerHints(headers as Headers, now).retryAfterMs : undefined;
  return { reason: "rate-limited", until: now + (retryAfterMs ?? fallbackMs) };
}

/** Pauses by tenant and provider. */
export class Pauses {
  private readonly until = new Map<string, number>();

  private static group(tenant: string, provider: string): string {
    return `${tenant}\u0000${provider}`;
  }

  /** Holds the group until `until` (a later pause already in force wins). */
  hold(tenant: string, provider: string, until: number): void {
    const group = Pauses.group(tenant, provider);
    this.until.set(group, Math.max(until, this.until.get(group) ?? 0));
  }

  /** Epoch ms until which the group waits, or undefined when it may poll at `now`. */
  heldUntil(tenant: string, provider: string, now: number): number | undefined {
    const group = Pauses.group(tenant, provider);
    const until = this.until.get(group);
    if (until === undefined) return undefined;
    if (until <= now) {
      this.until.delete(group);
      return undefined;
    }
    return until;
  }
}
