/** What a client is configured with: generated clients take these, the FHIR client too. */
import type { ClientCredentialsOptions } from "../auth/client-credentials.js";
import type { TokenSource } from "../auth/token-source.js";
import type { BreakerOptions } from "../policies/breaker.js";
import type { CacheOptions } from "../policies/cache.js";
import type { PacingOptions } from "../policies/pacing.js";
import type { RetryOptions } from "../policies/retry.js";
import type { SharedStore } from "../stores/shared-store.js";
import type { FetchLike } from "../wire/transport.js";
import type { Policy } from "./attempt.js";
import type { ClassifyOptions } from "./classify.js";
import type { Clock } from "./clock.js";
import type { ProtocolProfile } from "./profile.js";
import type { TelemetryOptions } from "./telemetry.js";
import type { OpenTelemetryOptions } from "../observe/open-telemetry.js";

/**
 * What bounds a call and what it sends besides its input: set on the client for every call,
 * and again on one call (CallOptions), where the call's own setting wins.
 */
export interface CallSettings {
  /** Extra request headers (e.g. a User-Agent on the client); a call's are added to its client's and win over them. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Per-attempt timeout in ms. Default 30 000. */
  readonly timeoutMs?: number | undefined;
  /** Overall time per call, attempts and waits included, in ms. Default 120 000. */
  readonly deadlineMs?: number | undefined;
  /**
   * Most bytes of one response body carewire reads, after decompression; a larger body ends
   * the call with LimitExceededError. Default 32 MiB. Streamed calls are not capped.
   */
  readonly maxResponseBytes?: number | undefined;
}

export interface ClientOptions extends TelemetryOptions, CallSettings {
  /** Server root, e.g. `https://api.example.com/v1`. Defaults to the spec's first absolute server URL. */
  readonly baseUrl?: string | undefined;
  /** Redirects followed within the base URL's origin (never to another origin). Default 5; 0 returns the 3xx. */
  readonly maxRedirects?: number | undefined;
  /**
   * Your own policies, outermost, before carewire's: each wraps every call
   * (`(next) => async (plan) => …`) and sees each attempt's classified result.
   */
  readonly policies?: readonly Policy[] | undefined;
  /** `false` turns off carewire's default policies (retry, idempotency, pacing, breaker, cache): a bare pipeline. */
  readonly resilience?: false | undefined;
  /** How attempts are classified, for every policy alike: extra retryable 5xx, a refinement. */
  readonly classify?: ClassifyOptions | undefined;
  readonly retry?: RetryOptions | false | undefined;
  readonly pacing?: PacingOptions | false | undefined;
  readonly breaker?: BreakerOptions | false | undefined;
  readonly cache?: CacheOptions | false | undefined;
  /** OAuth 2.0 client credentials: tokens fetched once, refreshed before expiry, paced like every call. */
  readonly auth?: ClientCredentialsOptions | TokenSource | undefined;
  /**
   * Query parameters every request carries, such as an API key the spec puts in the query
   * string (`in: query`): `{ apikey: process.env.KEY }`. A call's own parameter of the same
   * name wins. Like headers, they stay out of `meta`, telemetry and cache keys.
   */
  readonly query?: Readonly<Record<string, string>> | undefined;
  /** Header that carries carewire's correlation id; `null` sends none. Default `X-Correlation-Id`. */
  readonly correlationHeader?: string | null | undefined;
  /**
   * The fetch to send with, given a Request per attempt. Default: the global one, looked up per
   * attempt and handed the URL and init instead (it would copy a Request into another one).
   */
  readonly fetch?: FetchLike | undefined;
  /** Correlation id generator (default: random UUID). */
  readonly requestIdFactory?: (() => string) | undefined;
  /**
   * Where state beyond one call lives (the quota window, its pauses, the server's counts,
   * the OAuth token, the circuits; cached responses only when the store opts in):
   * `redisStore({ url })` shares it with every instance on the same client_id. A policy's
   * own `store` option wins. Default: the process's memory, or Redis when
   * `CAREWIRE_REDIS_URL` is set.
   */
  readonly store?: SharedStore | undefined;
  /** Tenant this client acts for: labels telemetry, keys budgets and caches. */
  readonly tenant?: string | undefined;
  /**
   * OpenTelemetry traces and metrics. By default, on Node, carewire loads
   * `@opentelemetry/api` (an optional peer) once and records to the providers the app
   * registered globally, including ones registered after this client was made; without
   * the package nothing is wired. Per call: a span `<provider> <operationId>` under the
   * app's active span, one CLIENT span `<METHOD> <url.template>` per attempt sent (trace
   * context injected through the app's propagator), and the `carewire` meter's
   * instruments. No URL with ids, query, header, body or credential is ever recorded.
   * `false` turns it off; `{ api }` passes the api where carewire cannot load it (bundles,
   * browsers); `tracerProvider` / `meterProvider` record to those instead of the global ones.
   */
  readonly openTelemetry?: OpenTelemetryOptions | undefined;
  /** Time source (tests pass a fake clock). */
  readonly clock?: Clock | undefined;
  /** Uniform random in [0, 1) for jitter (tests pass a seeded one). */
  readonly random?: (() => number) | undefined;
}

export interface PipelineOptions extends ClientOptions {
  readonly provider: string;
  /** Filled by generated code from the spec's `servers`. */
  readonly defaultBaseUrl?: string | undefined;
  /** The protocol the provider speaks beyond HTTP (FHIR clients pass theirs). */
  readonly profile?: ProtocolProfile;
}

/** Per-attempt timeout when none is set: also what other requests of a client (tokens, Bulk Data files) wait. */
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_DEADLINE_MS = 120_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 5;
