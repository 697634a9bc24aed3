/**
 * The one entry every generated operation calls. A call becomes a plan; the plan runs
 * through the policies down to one attempt on the wire; the result that comes back up
 * becomes `{ data, error, response, meta }`. It never throws for anything that can go
 * wrong on the wire: failures come back in `error`.
 *
 * Default policy order, outermost first:
 *   caller's policies → cache → idempotency → retry → breaker → auth → pacing → [attempt span] → wire
 * The cache sees the final outcome (to serve stale on failure), one idempotency key
 * covers all retries, and every attempt (a retry, a re-send after a token refresh)
 * passes the breaker and the rate limiter. With OpenTelemetry on, the call span is begun and
 * ended here and each attempt sent gets its span just above the wire.
 */
import { randomId } from "../portable/random-id.js";
import { clientCredentials } from "../auth/client-credentials.js";
import { isTokenSource } from "../auth/token-source.js";
import { bearerAuthPolicy } from "../policies/bearer-auth.js";
import { breakerPolicy } from "../policies/breaker.js";
import { cachePolicy } from "../policies/cache.js";
import { idempotencyPolicy, unsafeRepeat } from "../policies/idempotency.js";
import { pacingPolicy, type PacingOptions } from "../policies/pacing.js";
import { retryPolicy } from "../policies/retry.js";
import { attemptSpanPolicy } from "../observe/attempt-span.js";
import { ClientTelemetry } from "../observe/client-telemetry.js";
import { resolveOpenTelemetry } from "../observe/open-telemetry.js";
import { redisStore } from "../stores/redis/redis-store.js";
import { environmentStore } from "../stores/shared-store.js";
import type { RawCallInput } from "../wire/request.js";
import type { FetchLike } from "../wire/transport.js";
import { composePolicies, refusal, type AttemptPlan, type AttemptResult, type Policy, type Send } from "./attempt.js";
import { Call } from "./call.js";
import type { ClassifyOptions } from "./classify.js";
import { systemClock, type Clock } from "./clock.js";
import { asCarewireError, InvalidRequestError, type CarewireError } from "./errors.js";
import { callOptionsProblem } from "./check-options.js";
import type { OperationDescriptor, OperationSchemas } from "./operation.js";
import { DEFAULT_DEADLINE_MS, DEFAULT_MAX_REDIRECTS, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT_MS, type PipelineOptions } from "./options.js";
import { resultOf } from "./result.js";
import { sendOnWire } from "./send-on-wire.js";
import { telemetrySink } from "./telemetry.js";
import type { CallOptions, CallResult, Result } from "./types.js";

export { DEFAULT_TIMEOUT_MS, type ClientOptions, type PipelineOptions } from "./options.js";

export interface Pipeline {
  readonly provider: string;
  /** A generated operation's call: input and result typed from its openapi-typescript operation type. */
  call<Op>(operation: OperationDescriptor, schemas: OperationSchemas, input?: unknown, options?: CallOptions): Promise<CallResult<Op>>;
  /** The same call with the result's types given directly (a protocol client whose operations are not in a spec). */
  request<Data, Failure = CarewireError>(operation: OperationDescriptor, schemas: OperationSchemas, input?: unknown, options?: CallOptions): Promise<Result<Data, Failure>>;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const NO_CALL_OPTIONS: CallOptions = Object.freeze({});

export function createPipeline(options: PipelineOptions): Pipeline {
  const fetchImpl: FetchLike = options.fetch ?? ((request, init) => fetch(request, init));
  const newId = options.requestIdFactory ?? randomId;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const sink = telemetrySink(options);
  const profile = options.profile ?? {};
  const classifyOptions = classifyOptionsOf(options);
  const baseUrl = options.baseUrl ?? options.defaultBaseUrl ?? "";
  const wire = sendOnWire({
    baseUrl,
    fetch: options.fetch,
    query: options.query,
    headers: options.headers,
    correlationHeader: options.correlationHeader === undefined ? "X-Correlation-Id" : options.correlationHeader,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    maxRedirects: options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
  });
  const otel = openTelemetryOf(options, baseUrl);
  // Composed once per client. Reads that can never be cached skip the cache policy entirely.
  const own = defaultPolicies(options, baseUrl, fetchImpl, clock);
  const user = options.policies ?? [];
  const observed = otel === undefined ? [] : [attemptSpanPolicy];
  const everything = composePolicies([...user, ...own.map((p) => p.policy), ...observed], wire);
  const uncached = composePolicies([...user, ...own.filter((p) => p.name !== "cache").map((p) => p.policy), ...observed], wire);
  // With carewire's own policies off, no idempotency key is sent.
  const keysSent = options.resilience !== false;
  const chainFor = (operation: OperationDescriptor): Send => (operation.cacheable === false && isRead(operation) ? uncached : everything);

  async function request<Data, Failure>(operation: OperationDescriptor, schemas: OperationSchemas, input: unknown = {}, given: CallOptions = NO_CALL_OPTIONS): Promise<Result<Data, Failure>> {
    // From JavaScript a misspelt option (`timeout`) or a time given as a string would go unnoticed;
    // the call is refused with what is wrong, and its bounds are the client's.
    const problem = given === NO_CALL_OPTIONS ? undefined : callOptionsProblem(given);
    const callOptions = problem === undefined ? given : NO_CALL_OPTIONS;
    const call = new Call({
      provider: options.provider,
      operation,
      schemas,
      input: (input ?? {}) as RawCallInput,
      options: callOptions,
      requestId: callOptions.requestId ?? newId(),
      clock,
      random,
      deadlineMs: callOptions.deadlineMs ?? options.deadlineMs ?? DEFAULT_DEADLINE_MS,
      classify: classifyOptions,
      tenant: options.tenant,
      sink,
      observer: otel?.begin(operation, options.tenant),
    });
    const plan: AttemptPlan = { call, headers: NO_HEADERS, attempt: 1, delayMs: 0, replaySafe: callOptions.replaySafe === true };
    let result: AttemptResult;
    try {
      if (problem !== undefined) result = refusal(plan, new InvalidRequestError(`${operation.name}: ${problem}`));
      // Without carewire's policies no key is sent: a repeat of a write is safe only when the caller says so.
      else result = !keysSent && unkeyedRepeat(plan) ? unsafeRepeat(plan, undefined) : await chainFor(operation)(plan);
    } catch (error) {
      // A policy of the caller's threw: its error is kept as the cause.
      result = refusal(plan, asCarewireError(error));
    }
    const final = resultOf(call, result, profile);
    call.observer?.end(result, final.response, final.error);
    // The runtime reads the body; the generated types say what it is.
    return final as Result<Data, Failure>;
  }

  return {
    provider: options.provider,
    request,
    call: <Op>(operation: OperationDescriptor, schemas: OperationSchemas, input?: unknown, callOptions?: CallOptions) => request(operation, schemas, input, callOptions) as Promise<CallResult<Op>>,
  };
}

/** The client's OpenTelemetry wiring, or undefined when it is off or the api is absent. */
function openTelemetryOf(options: PipelineOptions, baseUrl: string): ClientTelemetry | undefined {
  const option = options.openTelemetry;
  const apiOf = resolveOpenTelemetry(option);
  if (apiOf === undefined) return undefined;
  const breakerOn = options.resilience !== false && options.breaker !== false;
  return new ClientTelemetry(apiOf, { provider: options.provider, baseUrl, breakerOn, tracerProvider: option ? option.tracerProvider : undefined, meterProvider: option ? option.meterProvider : undefined });
}

/** A write marked `repeat` that the caller did not vouch for (used where no idempotency key is sent). */
function unkeyedRepeat(plan: AttemptPlan): boolean {
  const { call } = plan;
  return call.options.repeat === true && !plan.replaySafe && call.operation.safety !== "safe";
}

function isRead(operation: OperationDescriptor): boolean {
  return operation.method === "get" || operation.method === "head";
}

/** The provider's classifier: the caller's settings, then the protocol's refinement. */
function classifyOptionsOf(options: PipelineOptions): ClassifyOptions {
  const given = options.classify ?? (options.retry ? options.retry.classify : undefined) ?? {};
  const refine = given.refine ?? options.profile?.refine;
  return refine === undefined ? given : { ...given, refine };
}

/** carewire's own policies, in their order, as configured. */
function defaultPolicies(options: PipelineOptions, baseUrl: string, fetchImpl: FetchLike, clock: Clock): Array<{ name: string; policy: Policy }> {
  if (options.resilience === false) return [];
  // Each policy's store: its own option, else the client's shared store, else the one
  // CAREWIRE_REDIS_URL names (made only when a policy needs it), else the policy's memory.
  const shared = () => options.store ?? environmentStore((url) => redisStore({ url, unref: true }));
  const tokens = options.auth === undefined ? undefined : isTokenSource(options.auth) ? options.auth : clientCredentials(options.auth);
  const pacingOptions: PacingOptions | undefined = options.pacing === false ? undefined : withStore(options.pacing || {}, () => shared()?.quota);
  const pacing = pacingOptions && pacingPolicy(options.provider, pacingOptions, clock, tokens?.clientId);
  const tokenStore = tokens ? shared()?.tokens : undefined;
  const list: Array<{ name: string; policy: Policy | undefined }> = [
    { name: "cache", policy: options.cache === false ? undefined : cachePolicy(withStore(options.cache ?? {}, () => shared()?.cache), options.tenant) },
    { name: "idempotency", policy: idempotencyPolicy() },
    { name: "retry", policy: options.retry === false ? undefined : retryPolicy(options.retry ?? {}) },
    { name: "breaker", policy: options.breaker === false ? undefined : breakerPolicy(options.provider, withStore(options.breaker ?? {}, () => shared()?.breakers), clock) },
    {
      name: "auth",
      policy: tokens
        ? bearerAuthPolicy(tokens, { baseUrl, fetch: fetchImpl, clock, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, ...(pacing ? { paced: pacing.paced } : {}) }, { provider: options.provider, ...(tokenStore ? { store: tokenStore } : {}) })
        : undefined,
    },
    { name: "pacing", policy: pacing },
  ];
  return list.filter((p): p is { name: string; policy: Policy } => p.policy !== undefined);
}

/** A policy's options with the shared store filled in, unless they name their own. */
function withStore<O extends { readonly store?: S }, S>(options: O, shared: () => S | undefined): O {
  if (options.store) return options;
  const store = shared();
  return store ? { ...options, store } : options;
}
