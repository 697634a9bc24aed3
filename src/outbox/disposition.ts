/**
 * What one delivery's result means for its intent: committed, tried again later (when), or
 * dead (why). Pure: the same result, delivery count and rules always give the same answer,
 * so the worker's decisions are tested without a store, a server or a clock.
 *
 * The runtime has already classified every attempt and spent its own retries within the
 * delivery's deadline; what reaches here is the call's final word. A write replayed from the
 * outbox carries its stored idempotency key, so a "may have been applied" outcome is delivered
 * again, except where the provider does not honour keys and the write is not conditional.
 */
import type { ResultMeta } from "../runtime/core/meta.js";
import type { DeadReason, Json } from "./outbox-store.js";

export interface DeliveryRules {
  /** Deliveries (claims) before an intent that keeps failing is dead. Default 10. */
  readonly maxDeliveries: number;
  /** First wait before a new delivery after a failure, doubled each time. Default 2 s. */
  readonly baseDelayMs: number;
  /** Longest wait between deliveries. Default 10 minutes. */
  readonly maxDelayMs: number;
}

export const DEFAULT_DELIVERY_RULES: DeliveryRules = { maxDeliveries: 10, baseDelayMs: 2_000, maxDelayMs: 600_000 };

/** The parts of a call's error the decision reads (every carewire error has them). */
export interface DeliveredError {
  readonly kind: string;
  readonly message: string;
  readonly status?: number;
  readonly body?: unknown;
  /** RateLimitedError / CircuitOpenError: when the provider takes calls again. */
  readonly retryAt?: number;
  /** UnknownOutcomeError: whether sending the write again is safe (false: the provider would apply it twice). */
  readonly replaySafe?: boolean;
}

export type Disposition =
  | { readonly kind: "committed"; readonly status?: number }
  | { readonly kind: "deferred"; readonly notBefore: number; readonly reason: string }
  | { readonly kind: "dead"; readonly dead: DeadReason };

/** The runtime's outcome classes that settle nothing: the same write may be delivered again. */
const TRY_AGAIN = new Set(["retryable", "throttled", "unknown-outcome", "auth"]);
/** Error kinds raised before or beside an attempt that settle nothing either. */
const TRANSIENT_KINDS = new Set(["network", "timeout", "unknown-outcome", "rate-limited", "circuit-open", "auth-failed", "aborted", "unexpected"]);
/** Client-error statuses that ask to come back later rather than blame the request. */
const RETRY_STATUSES = new Set([401, 408, 425, 429]);
/** The request itself is wrong: sending it again gives the same answer. */
const INPUT_KINDS = new Set(["invalid-request", "limit-exceeded", "untrusted-url"]);
/** The provider answered, but not as its contract says: a person must look (the write may have landed). */
const CONTRACT_KINDS = new Set(["malformed-response", "contract-violation"]);

export function dispositionOf(
  outcome: { readonly error?: DeliveredError; readonly status?: number; readonly meta?: ResultMeta },
  deliveries: number,
  rules: DeliveryRules,
  now: number,
  random: () => number,
): Disposition {
  const { error } = outcome;
  if (error === undefined) return { kind: "committed", ...(outcome.status !== undefined ? { status: outcome.status } : {}) };
  const last = outcome.meta?.attempts.at(-1);
  // Named by an app version that had it: only a person (or that version) can deliver it.
  if (error.kind === "unknown-operation") return dead("unknown-operation", error);
  if (INPUT_KINDS.has(error.kind)) return dead("invalid-input", error);
  if (CONTRACT_KINDS.has(error.kind)) return dead("contract", error);
  // It may have landed, and the provider would apply a repeat again (it ignores idempotency
  // keys, and the write is not conditional): only a person can tell, never a redelivery.
  if (error.kind === "unknown-outcome" && error.replaySafe === false) return dead("unknown-outcome", error);
  // A server's own failure (5xx) settles nothing about the request, unlike a 4xx that blames it:
  // the runtime stops retrying a 500 within one call, but a later delivery may well succeed.
  const serverSide = error.status !== undefined && (error.status >= 500 || RETRY_STATUSES.has(error.status));
  const transient = TRANSIENT_KINDS.has(error.kind) || serverSide || (last?.outcome !== undefined && TRY_AGAIN.has(last.outcome));
  if (!transient) return dead("permanent", error);
  // A wait the provider named can be longer than any one delivery may hold a promise:
  // the intent waits in the store instead, and no process holds anything meanwhile.
  const named = error.retryAt ?? outcome.meta?.rateLimit?.pausedUntil;
  if (named !== undefined && !Number.isFinite(named)) return dead("permanent", error);
  if (deliveries >= rules.maxDeliveries) return dead("exhausted", error);
  const backoff = Math.min(rules.maxDelayMs, rules.baseDelayMs * 2 ** Math.max(0, deliveries - 1));
  // Full jitter over the upper half: workers that failed together do not return together.
  const jittered = backoff / 2 + random() * (backoff / 2);
  const notBefore = Math.max(now + jittered, named ?? 0);
  const reason = named !== undefined && named > now + jittered ? `${error.kind}: the provider named a wait` : `${error.kind}${error.status !== undefined ? ` (HTTP ${error.status})` : ""}`;
  return { kind: "deferred", notBefore: Math.round(notBefore), reason };
}

function dead(reason: DeadReason["reason"], error: DeliveredError): Disposition {
  const body = jsonOf(error.body);
  return {
    kind: "dead",
    dead: { reason, errorKind: error.kind, message: error.message, ...(error.status !== undefined ? { status: error.status } : {}), ...(body !== undefined ? { body } : {}) },
  };
}

/** An error body as stored JSON; a body that is not JSON (text, bytes) is kept as a string, capped. */
export function jsonOf(value: unknown): Json | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value.slice(0, 64 * 1024);
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return undefined;
    return text.length > 256 * 1024 ? text.slice(0, 64 * 1024) : (JSON.parse(text) as Json);
  } catch {
    return String(value).slice(0, 64 * 1024);
  }
}
