/**
 * `carewireFetch`: carewire's pipeline under an SDK it did not generate. It returns a
 * standard `fetch`; give it to a hey-api client, an openapi-generator `Configuration`
 * (`fetchApi`) or a Stainless SDK (`fetch`), and every request the SDK makes runs through
 * retry (Retry-After aware), pacing under the provider's quota, the circuit breaker,
 * idempotency keys, the deadline and the size bounds, with `meta` for each call.
 *
 * Semantics, in short (the README has the long form):
 * - Each request becomes one call of an operation: the registry entry its method and path
 *   match when `operations` is given (its hints apply), else one made up from the method
 *   (GET/HEAD/OPTIONS safe, PUT/DELETE idempotent, POST/PATCH unsafe unless keyed).
 * - A write carries one Idempotency-Key for all its attempts: the SDK's own when it set one
 *   (Stainless SDKs do), else carewire's. Turn the SDK's retries off (`maxRetries: 0`), or
 *   every SDK retry becomes a new call with its own carewire retries.
 * - The body is buffered (within `maxRequestBytes`) so a retry can send it again.
 * - Whenever a response arrived, the last one is returned (any status), as a real Response
 *   the SDK reads as usual. With no response (network failure, timeout, an open circuit, a
 *   quota wait past the deadline) the promise rejects with carewire's typed error, the way
 *   fetch rejects for a network error. A caller's abort rejects with the signal's reason,
 *   as fetch does, so the SDK reports it as its own abort.
 * - `onResult` gets every call's `meta` (and its error); the response carries
 *   `x-carewire-attempts`.
 */
import { createPipeline, type ClientOptions, type Pipeline } from "../core/pipeline.js";
import { DEFAULT_DEADLINE_MS } from "../core/options.js";
import type { AttemptResult, Policy } from "../core/attempt.js";
import { InvalidRequestError, type CarewireError } from "../core/errors.js";
import type { ResultMeta } from "../core/meta.js";
import type { OperationHints, OperationSchemas } from "../core/operation.js";
import type { CallOptions } from "../core/types.js";
import type { CacheOptions } from "../policies/cache.js";
import type { RawCallInput } from "../wire/request.js";
import type { Exchange } from "../wire/transport.js";
import { operationMatcher, type OperationRegistry } from "./operation-matcher.js";
import { bufferRequestBody, DEFAULT_MAX_REQUEST_BYTES } from "./request-body.js";
import { httpMethodOf, requestOperation, type RequestOperation } from "./request-operation.js";
import { ATTEMPTS_HEADER, responseFromExchange } from "./response-copy.js";

/** What `fetch` is: the function carewireFetch returns, and what SDKs take. */
export type StandardFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** One finished call, for operators: its provenance, and its error when it failed. */
export interface CarewireFetchReport {
  /** The call's `meta`: attempts (status, wait, reason each), idempotency key, rate-limit and breaker state. */
  readonly meta: ResultMeta;
  /** Why the call failed: an HTTP error status (its response was still returned to the SDK), or a failure with no response (the promise rejected with it). */
  readonly error: CarewireError | undefined;
  /** Whether the request matched an entry of `operations`. */
  readonly matched: boolean;
}

export interface CarewireFetchOptions extends Omit<ClientOptions, "baseUrl" | "cache"> {
  /**
   * The provider's name, for pacing, breaker groups, telemetry and `meta`. Default: the
   * request's host. Every origin gets its own pipeline (its own quota and circuits).
   */
  readonly provider?: string;
  /**
   * The API's operations (a generated registry, or descriptors): a request matching one
   * by method and path runs as that operation, with its safety class and hints. Others
   * run as an operation made up from the method.
   */
  readonly operations?: OperationRegistry;
  /** Hints for requests no registry entry matches: an idempotency header, a quota, a priority. Default none. */
  readonly hints?: OperationHints;
  /** Most bytes of a request body held for replay; a larger one is refused unsent with LimitExceededError. Default 16 MiB. */
  readonly maxRequestBytes?: number;
  /**
   * Leave the body of a 2xx answer unread for the SDK to stream (Server-Sent Events).
   * Default: requests that accept `text/event-stream`.
   */
  readonly stream?: (request: Request) => boolean;
  /**
   * Response caching by carewire. Off unless given: an SDK expects each call to reach the
   * server, and may cache on its own.
   */
  readonly cache?: CacheOptions;
  /** Called once per call as it ends, with its `meta`; an exception from it is ignored. */
  readonly onResult?: (report: CarewireFetchReport) => void;
  /** Add `x-carewire-attempts` (the number of attempts sent) to every response. Default true. */
  readonly attemptsHeader?: boolean;
}

/** Pipelines kept at once, one per origin; the oldest goes first past this. */
const MAX_ORIGINS = 32;

/** No schemas: the SDK reads the body itself. */
const NO_SCHEMAS: OperationSchemas = Object.freeze({ responses: Object.freeze({}) });

/** A standard `fetch` whose requests run through carewire's runtime pipeline. */
export function carewireFetch(options: CarewireFetchOptions = {}): StandardFetch {
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  if (!(maxRequestBytes >= 0)) throw new InvalidRequestError("carewireFetch: maxRequestBytes must be a number of bytes, 0 or more");
  const match = operationMatcher(options.operations);
  const defaults = { hints: options.hints ?? {} };
  const streams = options.stream ?? acceptsEventStream;
  const attemptsHeader = options.attemptsHeader !== false;
  // The final attempt of each call, handed from the outermost policy to the call that made
  // it: the pipeline's result has read the body, and the SDK needs those bytes.
  const finalAttempts = new WeakMap<CallOptions, AttemptResult>();
  const keepFinal: Policy = (next) => async (plan) => {
    const result = await next(plan);
    finalAttempts.set(plan.call.options, result);
    return result;
  };
  const pipelines = new Map<string, Pipeline>();
  const pipelineFor = (origin: string, host: string): Pipeline => {
    let pipeline = pipelines.get(origin);
    if (pipeline === undefined) {
      if (pipelines.size >= MAX_ORIGINS) pipelines.delete(pipelines.keys().next().value!);
      pipeline = createPipeline({ ...clientOptionsOf(options), provider: options.provider ?? host, baseUrl: origin, cache: options.cache ?? false, policies: [keepFinal, ...(options.policies ?? [])] });
      pipelines.set(origin, pipeline);
    }
    return pipeline;
  };

  return async (input, init) => {
    // The SDK's request as fetch would see it: URL, method, headers and body resolved once.
    const request = new Request(input, init);
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined) ?? undefined;
    const method = httpMethodOf(request.method);
    if (method === undefined) throw new InvalidRequestError(`carewireFetch: the method ${request.method.slice(0, 20)} is not one carewire can send`);
    const url = new URL(request.url);
    const operation = requestOperation(method, url.pathname, match(method, url.pathname), defaults, request.headers);
    let body: Uint8Array | undefined;
    try {
      body = await bufferRequestBody(request, { maxBytes: maxRequestBytes, timeoutMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS, clock: options.clock, signal });
    } catch (error) {
      // Aborted while the body was read: reject as fetch does.
      if (signal?.aborted) throw signal.reason;
      throw error;
    }
    const callInput: RawCallInput = {
      params: { header: Object.fromEntries(request.headers) },
      ...(body !== undefined ? { body } : {}),
      ...(url.search !== "" ? { rawQuery: url.search } : {}),
    };
    const callOptions: CallOptions = {
      ...(signal ? { signal } : {}),
      ...(streams(request) ? { stream: true } : {}),
    };
    const result = await pipelineFor(url.origin, url.host).request<unknown, CarewireError>(operation.descriptor, NO_SCHEMAS, callInput, callOptions);
    const final = finalAttempts.get(callOptions);
    finalAttempts.delete(callOptions);
    const meta = shownMeta(result.meta, operation);
    if (result.error !== undefined) result.error.meta = meta;
    report(options.onResult, { meta, error: result.error, matched: operation.matched });
    const exchange: Exchange | undefined = final?.exchange;
    if (exchange !== undefined && final?.error === undefined) {
      return responseFromExchange(exchange, { method: request.method, url: request.url, extraHeaders: attemptsHeader ? { [ATTEMPTS_HEADER]: String(meta.attempts.length) } : {} });
    }
    // Aborted by the caller: reject as fetch does, so the SDK sees its own abort.
    if (signal?.aborted) throw signal.reason;
    throw result.error ?? new InvalidRequestError("carewireFetch: the call ended with neither a response nor an error");
  };
}

/** The options the pipeline takes: the adapter's own left out. */
function clientOptionsOf(options: CarewireFetchOptions): Omit<ClientOptions, "baseUrl" | "cache"> {
  const { operations: _registry, hints: _hints, maxRequestBytes: _maxRequestBytes, stream: _stream, onResult: _onResult, attemptsHeader: _attemptsHeader, provider: _provider, cache: _cache, ...client } = options;
  return client;
}

/** The call's meta as shown: the template, never the request's path (it can hold identifiers). */
function shownMeta(meta: ResultMeta, operation: RequestOperation): ResultMeta {
  return { ...meta, path: operation.template };
}

function report(onResult: CarewireFetchOptions["onResult"], report: CarewireFetchReport): void {
  if (onResult === undefined) return;
  try {
    onResult(report);
  } catch {
    // An operator's hook must not change what the SDK gets.
  }
}

function acceptsEventStream(request: Request): boolean {
  return /text\/event-stream/i.test(request.headers.get("accept") ?? "");
}
