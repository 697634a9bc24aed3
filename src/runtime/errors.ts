/**
 * Every failure a call can end in, as a class with a stable `kind` and the call's `meta`.
 * Results carry these in `error`; `unwrap()` throws them for callers who prefer throwing.
 */
import type { ResultMeta } from "./provenance.js";

export type ErrorKind =
  | "http"
  | "network"
  | "timeout"
  | "aborted"
  | "malformed-response"
  | "invalid-request"
  | "unexpected";

export abstract class CarewireError extends Error {
  abstract readonly kind: ErrorKind;
  /** Provenance of the call; set by the pipeline before the error reaches the caller. */
  meta: ResultMeta | undefined;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The server answered with a non-2xx status; `body` is the (tolerantly read) error body. */
export class HttpError<Body = unknown> extends CarewireError {
  readonly kind = "http" as const;
  constructor(
    readonly status: number,
    readonly body: Body,
    readonly response: Response,
  ) {
    super(`HTTP ${status}${response.statusText ? ` ${response.statusText}` : ""}`);
  }
}

/**
 * The exchange failed below HTTP. `phase` says how far it got, which decides later
 * whether a write may have reached the server (`connect`: it did not).
 */
export class NetworkError extends CarewireError {
  readonly kind = "network" as const;
  constructor(
    message: string,
    readonly phase: "connect" | "request" | "body",
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One attempt took longer than its per-attempt timeout. */
export class TimeoutError extends CarewireError {
  readonly kind = "timeout" as const;
  constructor(readonly timeoutMs: number, readonly phase: "request" | "body") {
    super(`attempt timed out after ${timeoutMs} ms`);
  }
}

/** The caller's AbortSignal fired. */
export class AbortedError extends CarewireError {
  readonly kind = "aborted" as const;
  constructor(reason: unknown) {
    super(`call aborted${reason instanceof Error ? `: ${reason.message}` : ""}`, { cause: reason });
  }
}

/** A success status whose body could not be read as the declared media type (e.g. truncated JSON). */
export class MalformedResponseError extends CarewireError {
  readonly kind = "malformed-response" as const;
  constructor(
    message: string,
    readonly status: number,
    /** The first bytes of the body as text, for diagnosis (never logged by carewire). */
    readonly bodyPreview: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The call could not be turned into a request (missing path parameter, unserializable body). Never sent. */
export class InvalidRequestError extends CarewireError {
  readonly kind = "invalid-request" as const;
}

/** Something other than the exchange failed (a custom policy or fetch threw); the original is `cause`. */
export class UnexpectedError extends CarewireError {
  readonly kind = "unexpected" as const;
}
