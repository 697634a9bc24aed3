/**
 * An attempt is a value. A `Send` takes the plan of one attempt and resolves to its
 * result: the exchange or the error, classified once (with the provider's classifier),
 * the server's hints read once, and the notes each layer added for `meta`.
 *
 * A policy wraps a Send in another (`(next) => (plan) => …`, the shape of undici's
 * interceptors). It may pass a changed plan on (a header, a key), call `next` more than
 * once (retry), or not at all (a cache hit, an open circuit), and it adds notes to the
 * result it returns. What a layer knows travels down in the plan or up in the result:
 * nothing shared is written. Policies never throw for a failure: they return it.
 */
import type { Call } from "./call.js";
import { classifyError, type Classification } from "./classify.js";
import type { CarewireError } from "./errors.js";
import type { AttemptRecord, DataSource, RateLimitState, ResultMeta } from "./meta.js";
import type { ServerHints } from "../wire/server-hints.js";
import type { Exchange } from "../wire/transport.js";

export interface AttemptPlan {
  /** The call this attempt belongs to: operation, input, options, clock, deadline, telemetry. */
  readonly call: Call;
  /** Headers policies add on top of the caller's (later wins, names case-insensitive). */
  readonly headers: Readonly<Record<string, string>>;
  /** The number this attempt gets in `meta.attempts` if it is sent (1-based). */
  readonly attempt: number;
  /** Time waited before it, in ms (a retry's backoff). */
  readonly delayMs: number;
  /** The Idempotency-Key the attempt carries, when it has one. */
  readonly idempotencyKey?: string;
  /**
   * Sending this write again after a lost answer duplicates nothing: the server honours
   * its idempotency key, the request is conditional, or the caller said so. Retry replays
   * a write whose outcome is unknown only then.
   */
  readonly replaySafe: boolean;
}

/** What policies add to a result; `meta` is folded from them. */
export interface Notes {
  /** The attempts actually sent, in order (none for a cache hit or a refusal). */
  readonly attempts: readonly AttemptRecord[];
  readonly source?: DataSource;
  readonly ageMs?: number;
  readonly idempotencyKey?: string;
  readonly rateLimit?: RateLimitState;
  readonly breaker?: ResultMeta["breaker"];
}

export interface AttemptResult {
  /** The response, when one arrived that the call can use (any status). */
  readonly exchange: Exchange | undefined;
  /** Why there is no usable response (network, timeout, a refusal by a policy…). */
  readonly error: CarewireError | undefined;
  /** What the result means for the call, decided once where the attempt ended. */
  readonly verdict: Classification;
  /** Retry-After and rate-limit headers, read once. */
  readonly hints: ServerHints;
  readonly notes: Notes;
}

export type Send = (plan: AttemptPlan) => Promise<AttemptResult>;

/** Wraps the rest of the pipeline: the first policy in a list is the outermost. */
export type Policy = (next: Send) => Send;

export const NO_HINTS: ServerHints = Object.freeze({});
const NO_ATTEMPTS: readonly AttemptRecord[] = Object.freeze([]);
export const NO_NOTES: Notes = Object.freeze({ attempts: NO_ATTEMPTS });

export function composePolicies(policies: readonly Policy[], send: Send): Send {
  return policies.reduceRight<Send>((next, policy) => policy(next), send);
}

/** A plan with one more header. */
export function withHeader(plan: AttemptPlan, name: string, value: string): AttemptPlan {
  return { ...plan, headers: { ...plan.headers, [name]: value } };
}

/** A failure decided without sending anything (an open circuit, no slot, no token). */
export function refusal(plan: AttemptPlan, error: CarewireError, notes: Notes = NO_NOTES): AttemptResult {
  return { exchange: undefined, error, verdict: classifyError(error, plan.call.operation.safety), hints: NO_HINTS, notes };
}

/** The same result with more notes (attempts are kept as they are). */
export function noted(result: AttemptResult, notes: Omit<Notes, "attempts">): AttemptResult {
  return { ...result, notes: { ...result.notes, ...notes } };
}

/**
 * Notes of two sends of one call, one after the other: attempts in order, the later
 * send's view of everything else (its breaker state, its rate-limit reading).
 */
export function joinNotes(earlier: Notes, later: Notes): Notes {
  const attempts = earlier.attempts.length === 0 ? later.attempts : later.attempts.length === 0 ? earlier.attempts : [...earlier.attempts, ...later.attempts];
  return { ...earlier, ...later, attempts };
}

/** The result with its last attempt's reason (and class) replaced: what a policy decided about it. */
export function annotateLast(result: AttemptResult, patch: Pick<AttemptRecord, "reason"> & Partial<Pick<AttemptRecord, "outcome">>): AttemptResult {
  const { attempts } = result.notes;
  const last = attempts[attempts.length - 1];
  if (last === undefined) return result;
  return { ...result, notes: { ...result.notes, attempts: [...attempts.slice(0, -1), { ...last, ...patch }] } };
}
