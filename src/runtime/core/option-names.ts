/**
 * Every option name of a client, of its policies and of a call, for the checks that refuse a
 * misspelt one (see check-options.ts). Each list is checked against its type by the compiler:
 * an option added to the type and not here fails to compile.
 */
import type { BreakerOptions } from "../policies/breaker.js";
import type { CacheOptions } from "../policies/cache.js";
import type { PacingOptions } from "../policies/pacing-options.js";
import type { RetryOptions } from "../policies/retry.js";
import type { ClientOptions } from "./options.js";
import type { CallOptions } from "./types.js";

/** A list that names every key of T, or a compile error naming the keys it lacks. */
type EveryKey<T, L extends ReadonlyArray<keyof T>> = [Exclude<keyof T, L[number]>] extends [never] ? L : { missing: Exclude<keyof T, L[number]> };
const every = <T>() => <const L extends ReadonlyArray<keyof T>>(list: L & EveryKey<T, L>): readonly string[] => list as readonly string[];

export const CLIENT_OPTION_NAMES = every<ClientOptions>()([
  "onEvent",
  "logger",
  "headers",
  "timeoutMs",
  "deadlineMs",
  "maxResponseBytes",
  "baseUrl",
  "maxRedirects",
  "policies",
  "resilience",
  "classify",
  "retry",
  "pacing",
  "breaker",
  "cache",
  "auth",
  "query",
  "correlationHeader",
  "fetch",
  "requestIdFactory",
  "store",
  "tenant",
  "openTelemetry",
  "clock",
  "random",
]);

/** The policies' own options, by the client option that carries them. */
export const POLICY_OPTION_NAMES: Readonly<Record<"retry" | "pacing" | "breaker" | "cache", readonly string[]>> = {
  retry: every<RetryOptions>()(["maxAttempts", "backoff", "maxRetryAfterMs", "budget", "classify", "perOperation"]),
  pacing: every<PacingOptions>()(["limit", "windowMs", "maxConcurrent", "safetyMarginMs", "maxWaitMs", "store", "clientId", "quotas", "cost", "batchReserve", "tenantWeights", "tenantBudget"]),
  breaker: every<BreakerOptions>()(["failureRatio", "minimumThroughput", "windowMs", "openMs", "probeLeaseMs", "groupOf", "store"]),
  cache: every<CacheOptions>()(["store", "defaultStaleIfErrorMs"]),
};

export const CALL_OPTION_NAMES = every<CallOptions>()(["signal", "timeoutMs", "deadlineMs", "maxResponseBytes", "headers", "requestId", "idempotencyKey", "businessKey", "priority", "replaySafe", "repeat", "cache", "stream"]);
