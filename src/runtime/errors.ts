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
  | "contract-violation"
  | "fhir"
  | "untrusted-url"
  | "invalid-request"
  | "rate-limited"
  | "circuit-open"
  | "unknown-outcome"
  | "auth-failed"
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

/**
 * A 2xx body broke a field the spec marks `x-carewire-critical` (a missing patient id, an
 * unknown appointment status): data the caller must not act on. Nothing is lost: `data`
 * holds the body as received, `issues` says what broke.
 */
export class ContractViolationError extends CarewireError {
  readonly kind = "contract-violation" as const;
  constructor(
    readonly status: number,
    readonly issues: ReadonlyArray<{ readonly path: string; readonly code: string; readonly message: string }>,
    readonly data: unknown,
  ) {
    super(`${status} response breaks ${issues.length === 1 ? "a critical field" : `${issues.length} critical fields`}: ${issues.slice(0, 3).map((i) => `${i.path} (${i.message})`).join("; ")}`);
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

/**
 * The provider asked for a wait that does not fit: beyond the call's deadline or the
 * client's longest acceptable wait. Nothing more was sent; `retryAt` says when to try.
 */
export class RateLimitedError extends CarewireError {
  readonly kind = "rate-limited" as const;
  constructor(
    /** Epoch ms from which the provider will accept the call again. */
    readonly retryAt: number,
    readonly reason: string,
  ) {
    super(`rate limited until ${new Date(retryAt).toISOString()} (${reason})`);
  }
}

/** The circuit for this provider and endpoint group is open: the call was not sent. */
export class CircuitOpenError extends CarewireError {
  readonly kind = "circuit-open" as const;
  constructor(
    readonly group: string,
    /** Epoch ms when the breaker lets a probe through. */
    readonly retryAt: number,
  ) {
    super(`circuit open for ${group} until ${new Date(retryAt).toISOString()}`);
  }
}

/**
 * A write was sent and the connection failed before the answer: it may or may not have
 * been applied, and it carried no idempotency key, so carewire did not repeat it.
 * Reconcile with `fingerprint` (a hash of method, path and body) before retrying by hand.
 */
export class UnknownOutcomeError extends CarewireError {
  readonly kind = "unknown-outcome" as const;
  constructor(
    readonly fingerprint: string,
    cause: CarewireError,
    /** The key the write carried, when it had one (retries were spent); resend with it to be safe. */
    readonly idempotencyKey?: string,
  ) {
    super(
      idempotencyKey === undefined
        ? `the outcome of this write is unknown (${cause.message}); it was not repeated without an idempotency key`
        : `the outcome of this write is still unknown after its retries (${cause.message}); repeat it with the same Idempotency-Key`,
      { cause },
    );
  }
}

/** Credentials could not be obtained (the token endpoint refused or failed). No token text is kept. */
export class AuthenticationError extends CarewireError {
  readonly kind = "auth-failed" as const;
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
