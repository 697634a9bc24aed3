/**
 * One attempt on the wire: fetch with a per-attempt timeout joined to the caller's
 * AbortSignal, and the whole body read inside that same timeout (a server that sends
 * headers and then drips the body is still a timed-out attempt).
 */
import { AbortedError, CarewireError, NetworkError, TimeoutError } from "./errors.js";

export type FetchLike = (request: Request) => Promise<Response>;

/** A completed HTTP exchange: status, headers and the full body bytes. */
export interface Exchange {
  readonly request: Request;
  readonly response: Response;
  readonly body: Uint8Array;
  /** The 2xx body was left unread in `response.body` for the caller to stream. */
  readonly streamed?: boolean;
  /** The body parsed as JSON, when the attempt already did (so it is parsed once). */
  readonly json?: { readonly value: unknown };
}

export interface AttemptOptions {
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Leave a 2xx body unread (see CallOptions.stream). */
  readonly stream?: boolean;
}

const NO_BYTES = new Uint8Array(0);

/** Builds the Request lazily so it can carry the attempt's combined signal. */
export async function sendAttempt(makeRequest: (signal: AbortSignal) => Request, options: AttemptOptions): Promise<Exchange> {
  const timeout = new AbortController();
  // setTimeout fires at once beyond 2^31-1 ms; an infinite timeout means no timer at all.
  const timer = Number.isFinite(options.timeoutMs) ? setTimeout(() => timeout.abort(new Error("attempt timeout")), Math.min(Math.max(0, options.timeoutMs), 2 ** 31 - 1)) : undefined;
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
  let phase: "request" | "body" = "request";
  try {
    if (options.signal?.aborted) throw new AbortedError(options.signal.reason);
    const request = makeRequest(signal);
    const response = await options.fetch(request);
    phase = "body";
    // Streamed downloads: the headers are in, the timer stops, the body is the caller's.
    if (options.stream && response.ok) return { request, response, body: NO_BYTES, streamed: true };
    // Read whole inside the timeout. The Response keeps its status and headers; its body is
    // consumed (as openapi-fetch leaves it): the bytes live in `body`, the parsed value in `data`.
    const body = new Uint8Array(await response.arrayBuffer());
    return { request, response, body };
  } catch (error) {
    // Already typed (aborted before sending, or a request that could not be built).
    if (error instanceof CarewireError) throw error;
    if (options.signal?.aborted) throw new AbortedError(options.signal.reason);
    if (timeout.signal.aborted) throw new TimeoutError(options.timeoutMs, phase);
    throw toNetworkError(error, phase);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** Undici hides the socket error in `cause`; keep its code, it decides retry safety later. */
function toNetworkError(error: unknown, phase: "request" | "body"): NetworkError {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  // Refused or unresolvable: nothing reached the server.
  const connectCodes = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"];
  const effectivePhase = code !== undefined && connectCodes.includes(code) ? "connect" : phase;
  const detail = cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new NetworkError(`network failure${code ? ` (${code})` : ""}: ${detail}`, effectivePhase, code, { cause: error });
}
