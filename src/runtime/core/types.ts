/**
 * Types of a call, derived from openapi-typescript's operation types. Input has the
 * openapi-fetch shape (`{ params: { path, query, header }, body }`) so users of
 * openapi-fetch feel at home.
 */
import type { ParamsOption, RequestBodyOption } from "openapi-fetch";
import type {
  ErrorResponse,
  MediaType,
  RequiredKeysOf,
  ResponseObjectMap,
  SuccessResponse,
} from "openapi-typescript-helpers";
import type {
  AbortedError,
  AuthenticationError,
  CircuitOpenError,
  RateLimitedError,
  UnknownOutcomeError,
  InvalidRequestError,
  LimitExceededError,
  MalformedResponseError,
  UntrustedUrlError,
  ContractViolationError,
  NetworkError,
  TimeoutError,
  UnexpectedError,
} from "./errors.js";
import type { HttpError } from "./http-errors.js";
import type { ResultMeta } from "./meta.js";
import type { CallSettings } from "./options.js";

/** The input of one operation: parameters by location and the request body. */
export type CallInput<Op> = ParamsOption<Op> & RequestBodyOption<Op>;

/**
 * Per-call options, separate from the operation's own input. Each may be given as
 * `undefined` (the same as leaving it out), so an app under `exactOptionalPropertyTypes`
 * can pass on a value it may not have (`{ signal: maybe }`).
 */
export interface CallOptions extends CallSettings {
  /** Cancels the whole call, including waits between attempts. */
  readonly signal?: AbortSignal | undefined;
  /** Use this correlation id instead of a generated one (e.g. to continue a trace). */
  readonly requestId?: string | undefined;
  /** The Idempotency-Key for a write (default: derived from `businessKey`, else random). */
  readonly idempotencyKey?: string | undefined;
  /**
   * Stable business identifiers of a write (e.g. `{ mrn, appointmentStart }`): the key is a
   * hash of them, so the same logical write gets the same key across runs. Never sent in clear.
   */
  readonly businessKey?: unknown;
  /** Lane for pacing: critical and interactive calls go ahead of batch work. Default: the operation's hint, else interactive. */
  readonly priority?: "critical" | "interactive" | "batch" | undefined;
  /**
   * This write may be sent again after a lost answer without doing it twice (a conditional
   * create, a full PUT): retry then replays it when its outcome is unknown, as it does for a
   * write with an idempotency key. Only the caller, or a protocol that knows, can say so.
   */
  readonly replaySafe?: boolean | undefined;
  /**
   * This call repeats a write whose earlier attempt may have been applied (an outbox delivery a
   * crash cut short). It is sent only where a repeat is safe: the provider honours the
   * idempotency key, or the request is conditional (`replaySafe`). Otherwise it ends, unsent,
   * as `unknown-outcome` with `replaySafe: false`, for a person to check.
   */
  readonly repeat?: boolean | undefined;
  /** `no-cache`: revalidate even if fresh; `no-store`: bypass the cache entirely. */
  readonly cache?: "default" | "no-cache" | "no-store" | undefined;
  /**
   * Hand a 2xx body back unread, as `data: ReadableStream` (large downloads such as Bulk
   * Data NDJSON): never buffered, parsed or cached. The attempt timeout ends when the
   * headers arrive; the caller's signal still aborts the body.
   */
  readonly stream?: boolean | undefined;
}

/**
 * An operation with the named header parameters made optional: a spec that declares its
 * credentials (`Authorization`, an API key's header) as parameters, as some do, would
 * otherwise make every call pass them, while the client's `auth` or default headers send
 * them. The header group itself turns optional when nothing else in it is required.
 */
export type OptionalHeaders<Op, Names extends string> = Op extends { parameters: infer P }
  ? P extends { header: infer H }
    ? Omit<H, Names> & Partial<Pick<H, Extract<keyof H, Names>>> extends infer Loosened
      ? Omit<Op, "parameters"> & { parameters: Omit<P, "header"> & (RequiredKeysOf<Loosened> extends never ? { header?: Loosened } : { header: Loosened }) }
      : never
    : Op
  : Op;

/** The argument list of a generated operation: input optional when nothing in it is required. */
export type OperationArgs<Op> =
  RequiredKeysOf<CallInput<Op>> extends never
    ? [input?: CallInput<Op>, options?: CallOptions]
    : [input: CallInput<Op>, options?: CallOptions];

/** The operation's responses by status, as openapi-typescript declares them. */
type ResponsesOf<Op> = ResponseObjectMap<Op> extends infer R extends Record<string | number, unknown> ? R : Record<string, never>;

/** The body of any 2xx response the operation declares. */
export type SuccessData<Op> = SuccessResponse<ResponsesOf<Op>, MediaType>;
/**
 * The body of any error response the operation declares; `unknown` when it declares none
 * with a body (the server still sends one, a problem+json document say, and code that reads
 * it must check its shape rather than be told it cannot exist).
 */
export type ErrorBody<Op> = [ErrorResponse<ResponsesOf<Op>, MediaType>] extends [never] ? unknown : ErrorResponse<ResponsesOf<Op>, MediaType>;

/** A failed call: an HTTP error with the operation's typed error body, or a failure below HTTP. */
export type CallError<Op> = HttpError<ErrorBody<Op>> | PipelineError;

/** Every way a call fails other than an HTTP error status; `kind` tells them apart. */
export type PipelineError =
  | NetworkError
  | TimeoutError
  | AbortedError
  | MalformedResponseError
  | ContractViolationError
  | InvalidRequestError
  | RateLimitedError
  | CircuitOpenError
  | UnknownOutcomeError
  | AuthenticationError
  | LimitExceededError
  | UntrustedUrlError
  | UnexpectedError;

/** A call's outcome: `data` or `error`, never both, with the response and `meta` either way. */
export type Result<Data, Failure> =
  | { readonly data: Data; readonly error?: undefined; readonly response: Response; readonly meta: ResultMeta }
  | {
      readonly data?: undefined;
      readonly error: Failure;
      /** Absent when no response arrived (network failure, timeout, abort). */
      readonly response: Response | undefined;
      readonly meta: ResultMeta;
    };

/** The result of a generated operation: its typed success body, or its typed error. */
export type CallResult<Op> = Result<SuccessData<Op>, CallError<Op>>;

/** For callers who prefer exceptions: the data, or the call's error thrown. */
export function unwrap<Data, Failure extends Error>(result: Result<Data, Failure>): Data {
  if (result.error !== undefined) throw result.error;
  // TypeScript does not narrow a union on a generic error type; no error means the success branch.
  return result.data as Data;
}
