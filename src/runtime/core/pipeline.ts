/**
 * The one entry every generated operation calls. It composes the policies around the
 * attempt (build Request → send with timeout → read body), reads the result
 * tolerantly and returns `{ data, error, response, meta }`. It never throws for
 * anything that can go wrong on the wire: failures come back in `error`.
 *
 * Default policy order, outermost first:
 *   caller's policies → cache → idempotency → retry → breaker → auth → pacing → attempt
 * The cache sees the final outcome (to serve stale on failure), one idempotency key
 * covers all retries, and every attempt (a retry, a re-send after a token refresh)
 * passes the breaker and the rate limiter.
 */
import { randomUUID } from "node:crypto";
import { bearerAuthPolicy } from "../policies/bearer-auth.js";
import { clientCredentials, type ClientCredentialsOptions } from "../auth/client-credentials.js";
import { isTokenSource, type TokenSource } from "../auth/token-source.js";
import { breakerPolicy, type BreakerOptions } from "../policies/breaker.js";
import { cachePolicy, type CacheOptions } from "../policies/cache.js";
import { CallState, type AttemptStart } from "./call-state.js";
import { isoTime, systemClock, type Clock } from "./clock.js";
import { CarewireError, ContractViolationError, HttpError, InvalidRequestError, MalformedResponseError, UnexpectedError } from "./errors.js";
import { idempotencyPolicy } from "../policies/idempotency.js";
import type { OperationDescriptor, OperationSchemas } from "./operation.js";
import { pacingPolicy, type PacingOptions } from "../policies/pacing.js";
import { composePolicies, type Policy } from "./policy.js";
import { serverRequestIdOf, type ResultMeta } from "./meta.js";
import { isJsonBody, parseJsonBody, readBody } from "../wire/read-body.js";
import { buildRequest, type RawCallInput } from "../wire/request.js";
import { retryPolicy, type RetryOptions } from "../policies/retry.js";
import { telemetrySink, type TelemetryOptions } from "./telemetry.js";
import { NO_DRIFT, type DriftReport } from "../tolerant/tolerant.js";
import { sendAttempt, type Exchange, type FetchLike, type RequestFactory } from "../wire/transport.js";
import type { CallOptions, CallResult } from "./types.js";

export interface ClientOptions extends TelemetryOptions {
  /** Server root, e.g. `https://api.example.com/v1`. Defaults to the spec's first absolute server URL. */
  readonly baseUrl?: string;
  /** Default headers for every request (e.g. a User-Agent). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per-attempt timeout in ms. Default 30 000. */
  readonly timeoutMs?: number;
  /** Overall time per call, attempts and waits included, in ms. Default 120 000. */
  readonly deadlineMs?: number;
  /**
   * Most bytes of one response body carewire reads, after decompression; a larger body ends
   * the call with LimitExceededError. Default 32 MiB. Streamed calls are not capped.
   */
  readonly maxResponseBytes?: number;
  /** Redirects followed within the base URL's origin (never to another origin). Default 5; 0 returns the 3xx. */
  readonly maxRedirects?: number;
  /** Extra policies, outermost, before carewire's own. */
  readonly policies?: readonly Policy[];
  /** `false` turns off carewire's default policies (retry, idempotency, pacing, breaker, cache): a bare pipeline. */
  readonly resilience?: false;
  readonly retry?: RetryOptions | false;
  readonly pacing?: PacingOptions | false;
  readonly breaker?: BreakerOptions | false;
  readonly cache?: CacheOptions | false;
  /** OAuth 2.0 client credentials: tokens fetched once, refreshed before expiry, paced like every call. */
  readonly auth?: ClientCredentialsOptions | TokenSource;
  /** Header that carries carewire's correlation id; `null` sends none. Default `X-Correlation-Id`. */
  readonly correlationHeader?: string | null;
  /** The fetch to send with (default: the global one). */
  readonly fetch?: FetchLike;
  /** Correlation id generator (default: random UUID). */
  readonly requestIdFactory?: () => string;
  /** Tenant this client acts for: labels telemetry, keys budgets and caches. */
  readonly tenant?: string;
  /** Time source (tests pass a fake clock). */
  readonly clock?: Clock;
  /** Uniform random in [0, 1) for jitter (tests pass a seeded one). */
  readonly random?: () => number;
}

export interface PipelineOptions extends ClientOptions {
  readonly provider: string;
  /** Filled by generated code from the spec's `servers`. */
  readonly defaultBaseUrl?: string | undefined;
}

export interface Pipeline {
  readonly provider: string;
  call<Op>(operation: OperationDescriptor, schemas: OperationSchemas, input?: unknown, options?: CallOptions): Promise<CallResult<Op>>;
}

/** Per-attempt timeout when none is set: also what other requests of a client (tokens, Bulk Data files) wait. */
export const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_DEADLINE_MS = 120_000;
const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
const DEFAULT_MAX_REDIRECTS = 5;

export function createPipeline(options: PipelineOptions): Pipeline {
  const baseUrl = options.baseUrl ?? options.defaultBaseUrl ?? "";
  const correlationHeader = options.correlationHeader === undefined ? "X-Correlation-Id" : options.correlationHeader;
  const fetchImpl: FetchLike = options.fetch ?? ((request) => fetch(request));
  const newId = options.requestIdFactory ?? randomUUID;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const sink = telemetrySink(options);
  const policies = [...(options.policies ?? []), ...defaultPolicies(options, baseUrl, fetchImpl, clock)];

  async function call<Op>(operation: OperationDescriptor, schemas: OperationSchemas, input: unknown = {}, callOptions: CallOptions = {}): Promise<CallResult<Op>> {
    const startedAtMs = clock.now();
    const deadlineMs = callOptions.deadlineMs ?? options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    const context = new CallState({
      provider: options.provider,
      operation,
      schemas,
      input: (input ?? {}) as RawCallInput,
      options: callOptions,
      requestId: callOptions.requestId ?? newId(),
      clock,
      random,
      deadline: Number.isFinite(deadlineMs) ? startedAtMs + deadlineMs : undefined,
      deadlineMs,
      tenant: options.tenant,
      sink,
    });
    const startedAtIso = isoTime(startedAtMs);
    const timeoutMs = callOptions.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const makeRequest: RequestFactory = (signal) =>
      buildRequest({
        baseUrl,
        operation,
        input: context.input,
        defaultHeaders: [options.headers, correlationHeader ? { [correlationHeader]: context.requestId } : undefined],
        overrideHeaders: [callOptions.headers, context.headers],
        signal,
      });
    const maxBytes = callOptions.maxResponseBytes ?? options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;

    const attempt = async (): Promise<Exchange> => {
      const start: AttemptStart = { attempt: context.attempts.length + 1, startedMs: performance.now(), startedAt: isoTime(clock.now()), delayMs: context.nextDelayMs };
      context.nextDelayMs = 0;
      // The overall deadline bounds each attempt too.
      const remaining = context.deadline === undefined ? Infinity : context.deadline - clock.now();
      let exchange: Exchange;
      try {
        exchange = await sendAttempt(makeRequest, { fetch: fetchImpl, timeoutMs: Math.max(1, Math.min(timeoutMs, remaining)), signal: callOptions.signal, stream: callOptions.stream === true, maxBytes, maxRedirects });
      } catch (error) {
        // A request that could not be built was never an attempt.
        if (!(error instanceof InvalidRequestError)) {
          context.recordAttempt(start, { errorKind: error instanceof CarewireError ? error.kind : "unexpected" });
        }
        throw error;
      }
      const status = exchange.response.status;
      // A success whose JSON is cut short is part of the attempt: policies must see it to retry it.
      if (exchange.response.ok && operation.method !== "head" && isJsonBody(exchange)) {
        let value: unknown;
        try {
          value = parseJsonBody(exchange);
        } catch (error) {
          context.recordAttempt(start, { status, errorKind: "malformed-response" });
          throw error;
        }
        context.recordAttempt(start, { status });
        return { ...exchange, json: { value } };
      }
      context.recordAttempt(start, { status });
      return exchange;
    };

    let exchange: Exchange;
    try {
      exchange = await composePolicies(policies, context, attempt)();
    } catch (error) {
      const failure = asCarewireError(error);
      failure.meta = metaOf(context, startedAtIso, undefined, NO_DRIFT);
      return { error: failure, response: undefined, meta: failure.meta } as CallResult<Op>;
    }

    const { response } = exchange;
    if (exchange.streamed) return { data: response.body, response, meta: metaOf(context, startedAtIso, response, NO_DRIFT) } as CallResult<Op>;
    let decoded;
    try {
      decoded = readBody(exchange, schemas, operation.method);
    } catch (error) {
      // Data nested past what the reader can walk, a string too long to decode: still the server's data.
      const failure = error instanceof CarewireError ? error : new MalformedResponseError(`the ${response.status} body could not be read`, response.status, "", { cause: error });
      if (response.ok) {
        failure.meta = metaOf(context, startedAtIso, response, NO_DRIFT);
        return { error: failure, response, meta: failure.meta } as CallResult<Op>;
      }
      // An error status with an unreadable body is still an HTTP error; keep the text.
      decoded = { value: new TextDecoder().decode(exchange.body), drift: NO_DRIFT };
    }
    const meta = metaOf(context, startedAtIso, response, decoded.drift);
    if (response.ok && decoded.critical !== undefined && decoded.critical.length > 0) {
      // Tolerance stops at fields the spec marks critical: the caller must not act on this.
      const violation = new ContractViolationError(response.status, decoded.critical, decoded.value);
      violation.meta = meta;
      return { error: violation, response, meta } as CallResult<Op>;
    }
    if (response.ok) return { data: decoded.value, response, meta } as CallResult<Op>;
    const httpError = HttpError.from(response.status, decoded.value, response);
    httpError.meta = meta;
    return { error: httpError, response, meta } as CallResult<Op>;
  }

  return { provider: options.provider, call };
}

/** carewire's own policies, in their order, as configured. */
function defaultPolicies(options: PipelineOptions, baseUrl: string, fetchImpl: FetchLike, clock: Clock): Policy[] {
  if (options.resilience === false) return [];
  const tokens = options.auth === undefined ? undefined : isTokenSource(options.auth) ? options.auth : clientCredentials(options.auth);
  const pacing = options.pacing === false ? undefined : pacingPolicy(options.provider, options.pacing ?? {}, clock, tokens?.clientId ?? options.tenant);
  const list: Array<Policy | undefined> = [
    options.cache === false ? undefined : cachePolicy(options.cache ?? {}, options.tenant),
    idempotencyPolicy(),
    options.retry === false ? undefined : retryPolicy(options.retry ?? {}),
    options.breaker === false ? undefined : breakerPolicy(options.provider, options.breaker ?? {}, clock),
    tokens ? bearerAuthPolicy(tokens, { baseUrl, fetch: fetchImpl, clock, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, ...(pacing ? { paced: pacing.paced } : {}) }) : undefined,
    pacing,
  ];
  return list.filter((p): p is Policy => p !== undefined);
}

function metaOf(context: CallState, startedAt: string, response: Response | undefined, drift: DriftReport): ResultMeta {
  const serverRequestId = serverRequestIdOf(response, context.requestId);
  // Assigned field by field (no spreads of temporary objects), in the documented order.
  const meta = {
    provider: context.provider,
    operationId: context.operation.operationId,
    method: context.operation.method.toUpperCase(),
    path: context.operation.path,
    requestId: context.requestId,
  } as { -readonly [K in keyof ResultMeta]: ResultMeta[K] };
  if (serverRequestId !== undefined) meta.serverRequestId = serverRequestId;
  meta.attempts = context.attempts.map((a) => ({ ...a }));
  meta.startedAt = startedAt;
  meta.durationMs = performance.now() - context.startedAt;
  meta.source = context.source;
  if (response !== undefined) meta.fetchedAt = isoTime(context.clock.now() - (context.ageMs ?? 0));
  if (context.ageMs !== undefined) meta.ageMs = context.ageMs;
  else if (response !== undefined) meta.ageMs = 0;
  if (context.idempotencyKey !== undefined) meta.idempotencyKey = context.idempotencyKey;
  Object.assign(meta, context.extraMeta);
  meta.drift = drift;
  return meta;
}

function asCarewireError(error: unknown): CarewireError {
  if (error instanceof CarewireError) return error;
  // A policy or custom fetch threw something of its own: keep it as the cause.
  return new UnexpectedError(error instanceof Error ? error.message : String(error), { cause: error });
}
