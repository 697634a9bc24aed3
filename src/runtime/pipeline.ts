/**
 * The one entry every generated operation calls. It composes the policies around the
 * attempt (build Request → send with timeout → read body), reads the result
 * tolerantly and returns `{ data, error, response, meta }`. It never throws for
 * anything that can go wrong on the wire: failures come back in `error`.
 */
import { randomUUID } from "node:crypto";
import { CarewireError, HttpError, InvalidRequestError, UnexpectedError } from "./errors.js";
import type { OperationDescriptor, OperationSchemas } from "./operation.js";
import { composePolicies, type CallContext, type Policy } from "./policy.js";
import { serverRequestIdOf, type AttemptRecord, type ResultMeta } from "./provenance.js";
import { readBody } from "./read-body.js";
import { buildRequest, type RawCallInput } from "./request.js";
import { NO_DRIFT, type DriftReport } from "./tolerant.js";
import { sendAttempt, type Exchange, type FetchLike } from "./transport.js";
import type { CallOptions, CallResult } from "./types.js";

export interface ClientOptions {
  /** Server root, e.g. `https://api.example.com/v1`. Defaults to the spec's first absolute server URL. */
  readonly baseUrl?: string;
  /** Default headers for every request (e.g. a User-Agent). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per-attempt timeout in ms. Default 30 000. */
  readonly timeoutMs?: number;
  /** Policies, outermost first. The retry, rate-limit, breaker… units plug in here. */
  readonly policies?: readonly Policy[];
  /** Header that carries carewire's correlation id; `null` sends none. Default `X-Correlation-Id`. */
  readonly correlationHeader?: string | null;
  /** The fetch to send with (default: the global one). */
  readonly fetch?: FetchLike;
  /** Correlation id generator (default: random UUID). */
  readonly requestIdFactory?: () => string;
}

export interface PipelineOptions extends ClientOptions {
  readonly provider: string;
  /** Filled by generated code from the spec's `servers`. */
  readonly defaultBaseUrl?: string;
}

export interface Pipeline {
  readonly provider: string;
  call<Op>(
    operation: OperationDescriptor,
    schemas: OperationSchemas,
    input?: unknown,
    options?: CallOptions,
  ): Promise<CallResult<Op>>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export function createPipeline(options: PipelineOptions): Pipeline {
  const baseUrl = options.baseUrl ?? options.defaultBaseUrl ?? "";
  const policies = options.policies ?? [];
  const correlationHeader = options.correlationHeader === undefined ? "X-Correlation-Id" : options.correlationHeader;
  const fetchImpl: FetchLike = options.fetch ?? ((request) => fetch(request));
  const newId = options.requestIdFactory ?? randomUUID;

  async function call<Op>(
    operation: OperationDescriptor,
    schemas: OperationSchemas,
    input: unknown = {},
    callOptions: CallOptions = {},
  ): Promise<CallResult<Op>> {
    const context: CallContext = {
      provider: options.provider,
      operation,
      schemas,
      input: (input ?? {}) as RawCallInput,
      options: callOptions,
      requestId: callOptions.requestId ?? newId(),
      headers: new Headers(),
      attempts: [],
      startedAt: performance.now(),
      nextDelayMs: 0,
    };
    const startedAtIso = new Date().toISOString();
    const timeoutMs = callOptions.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

    const attempt = async (): Promise<Exchange> => {
      const n = context.attempts.length + 1;
      const delayMs = context.nextDelayMs;
      context.nextDelayMs = 0;
      const started = performance.now();
      const startedIso = new Date().toISOString();
      const record = (extra: Partial<AttemptRecord>) =>
        context.attempts.push({ attempt: n, startedAt: startedIso, durationMs: performance.now() - started, delayMs, ...extra });
      try {
        const exchange = await sendAttempt(
          (signal) =>
            buildRequest({
              baseUrl,
              operation,
              input: context.input,
              defaultHeaders: [options.headers, correlationHeader ? { [correlationHeader]: context.requestId } : undefined],
              overrideHeaders: [callOptions.headers, context.headers],
              signal,
            }),
          { fetch: fetchImpl, timeoutMs, ...(callOptions.signal ? { signal: callOptions.signal } : {}) },
        );
        record({ status: exchange.response.status });
        return exchange;
      } catch (error) {
        // A request that could not be built was never an attempt.
        if (!(error instanceof InvalidRequestError)) record({ errorKind: errorKindOf(error) });
        throw error;
      }
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
    let decoded;
    try {
      decoded = readBody(exchange, schemas, operation.method);
    } catch (error) {
      const failure = asCarewireError(error);
      if (response.ok) {
        failure.meta = metaOf(context, startedAtIso, response, NO_DRIFT);
        return { error: failure, response, meta: failure.meta } as CallResult<Op>;
      }
      // An error status with an unreadable body is still an HTTP error; keep the text.
      decoded = { value: new TextDecoder().decode(exchange.body), drift: NO_DRIFT };
    }
    const meta = metaOf(context, startedAtIso, response, decoded.drift);
    if (response.ok) return { data: decoded.value, response, meta } as CallResult<Op>;
    const httpError = new HttpError(response.status, decoded.value, response);
    httpError.meta = meta;
    return { error: httpError, response, meta } as CallResult<Op>;
  }

  return { provider: options.provider, call };
}

function metaOf(context: CallContext, startedAt: string, response: Response | undefined, drift: DriftReport): ResultMeta {
  const serverRequestId = serverRequestIdOf(response, context.requestId);
  return {
    provider: context.provider,
    operationId: context.operation.operationId,
    method: context.operation.method.toUpperCase(),
    path: context.operation.path,
    requestId: context.requestId,
    ...(serverRequestId !== undefined ? { serverRequestId } : {}),
    attempts: [...context.attempts],
    startedAt,
    durationMs: performance.now() - context.startedAt,
    source: "network",
    ...(response !== undefined ? { fetchedAt: new Date().toISOString() } : {}),
    drift,
  };
}

function errorKindOf(error: unknown): AttemptRecord["errorKind"] {
  return error instanceof CarewireError ? error.kind : "unexpected";
}

function asCarewireError(error: unknown): CarewireError {
  if (error instanceof CarewireError) return error;
  // A policy or custom fetch threw something of its own: keep it as the cause.
  return new UnexpectedError(error instanceof Error ? error.message : String(error), { cause: error });
}
