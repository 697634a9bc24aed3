/**
 * Every failure a call can end in, as a class with a stable `kind` and the call's `meta`.
 * Results carry these in `error`; `unwrap()` throws them for callers who prefer throwing.
 */
import { KindedError } from "./kinded-error.js";
import type { ResultMeta } from "./meta.js";

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
  | "limit-exceeded"
  | "unexpected";

export abstract class CarewireError extends KindedError<ErrorKind> {
  /** Provenance of the call; set by the pipeline before the error reaches the caller. */
  meta: ResultMeta | undefined;
}

/**
 * The exchange failed below HTTP. `phase` says how far it got, which decides later
 * whether a write may have reached the server (`connect`: it did not).
 */
export class NetworkError extends CarewireError {
  readonly kind = "network" as const;
  /** `code`: the socket's error code (ECONNRESET…), when it has one. */
  constructor(message: string, readonly phase: "connect" | "request" | "body", readonly code: string | undefined, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Time ran out: one attempt took longer than its per-attempt timeout (`request`: before
 * the headers, `body`: while reading the body), or the call's overall deadline passed
 * while it waited for something shared, such as a token (`deadline`).
 */
export class TimeoutError extends CarewireError {
  readonly kind = "timeout" as const;
  constructor(
    readonly timeoutMs: number,
    readonly phase: "request" | "body" | "deadline",
    /** What the call was waiting for when its deadline passed. */
    waitingFor?: string,
  ) {
    super(phase === "deadline" ? `the call's deadline of ${timeoutMs} ms passed${waitingFor ? ` while waiting for ${waitingFor}` : ""}` : `attempt timed out after ${timeoutMs} ms`);
  }
}

/** Which bound a server's answer ran into. */
export type LimitName = "response-bytes" | "redirects" | "pages" | "paging-time" | "line-bytes" | "request-bytes";

/**
 * A server's answer ran past a bound carewire keeps so one call cannot take all the
 * memory or time: a body over `maxResponseBytes`, too many redirects, a search that
 * pages on and on, an NDJSON line past its cap. Reading stopped at the bound.
 */
export class LimitExceededError extends CarewireError {
  readonly kind = "limit-exceeded" as const;
  constructor(
    readonly limit: LimitName,
    /** The bound in force (bytes, hops, pages or ms). */
    readonly max: number,
  ) {
    super(`${LIMIT_TEXT[limit]} (limit ${max})`);
  }
}

const LIMIT_TEXT: Record<LimitName, string> = {
  "response-bytes": "the response body is larger than this client reads",
  redirects: "the server redirected more times than this client follows",
  pages: "the search returned more pages than this client follows",
  "paging-time": "paging through the search took longer than this client allows",
  "line-bytes": "an NDJSON line is longer than this client reads",
  "request-bytes": "the request body is larger than this client holds to replay it on a retry",
};

/**
 * A URL from a server (a redirect's Location, a paging link, a status or file URL) that
 * leaves the origin credentials belong to. carewire sends nothing there.
 */
export class UntrustedUrlError extends CarewireError {
  readonly kind = "untrusted-url" as const;
  constructor(
    /** The URL as the server gave it. */
    readonly url: string,
    readonly expectedOrigin: string,
  ) {
    super(`refusing to follow a link to ${originOf(url)} (not ${expectedOrigin}): it would carry credentials or data elsewhere`);
  }
}

/** The origin of a URL for a message; never the path (it may hold identifiers). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "an invalid URL";
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

/** A thrown value as a CarewireError: typed ones as they are, anything else (a policy's or a fetch's own) as the cause of an UnexpectedError. */
export function asCarewireError(error: unknown): CarewireError {
  return error instanceof CarewireError ? error : new UnexpectedError(error instanceof Error ? error.message : String(error), { cause: error });
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
    // Infinity: the call can never fit (it costs more than the whole quota); no date says that.
    super(Number.isFinite(retryAt) ? `rate limited until ${new Date(retryAt).toISOString()} (${reason})` : `rate limited (${reason})`);
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
 * been applied, and repeating it was not known to be safe (it carried no idempotency key,
 * or the provider does not honour one), so carewire did not repeat it. Also what a call
 * marked `repeat` ends as, unsent, when a repeat would not be safe. Reconcile with
 * `fingerprint` (a hash of method, path and body) before sending it again.
 */
export class UnknownOutcomeError extends CarewireError {
  readonly kind = "unknown-outcome" as const;
  constructor(
    readonly fingerprint: string,
    /** What cut the write short; undefined when it was an earlier attempt (a call marked `repeat`). */
    cause: CarewireError | undefined,
    /** The key the write carried, when it had one. */
    readonly idempotencyKey?: string,
    /** The status of the last attempt, when a later attempt got an answer that settled nothing (a 503, say). */
    readonly lastStatus?: number,
    /** Whether sending it again is safe: the provider honours its key, or the request is conditional. */
    readonly replaySafe: boolean = idempotencyKey !== undefined,
  ) {
    const later = lastStatus === undefined ? "" : `; the last attempt answered ${lastStatus}`;
    super(
      cause === undefined
        ? "an earlier attempt of this write may have been applied, and the provider may apply a repeat again (its spec does not say it honours idempotency keys): not sent; check whether it landed"
        : replaySafe
          ? `the outcome of this write is still unknown after its retries (${cause.message}${later}); ${idempotencyKey === undefined ? "it is safe to send again" : "repeat it with the same Idempotency-Key"}`
          : idempotencyKey === undefined
            ? `the outcome of this write is unknown (${cause.message}); it was not repeated without an idempotency key`
            : `the outcome of this write is unknown (${cause.message}); its provider's spec does not say it honours idempotency keys, so it was not repeated: check whether it landed before sending it again`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/** Credentials could not be obtained (the token endpoint refused or failed). No token text is kept. */
export class AuthenticationError extends CarewireError {
  readonly kind = "auth-failed" as const;
  /** The token endpoint's (or SMART configuration's) HTTP status, when it answered. */
  readonly status: number | undefined;
  constructor(message: string, options?: { readonly status?: number | undefined; readonly cause?: unknown }) {
    super(message, options);
    this.status = options?.status;
  }
}
