/**
 * One attempt on the wire, bounded in every direction: a timer carewire owns (so the
 * attempt settles even when the fetch underneath never does), a cap on the decoded body
 * bytes (a gzip bomb stops at the cap), and redirects followed by carewire itself, only
 * within the origin the request was meant for. Token, file and page requests use the same
 * exchange, so no request anywhere is left without a bound.
 */
import { startTimer, type Clock } from "../core/clock.js";
import { AttemptBound } from "./bound.js";
import { AbortedError, CarewireError, InvalidRequestError, LimitExceededError, NetworkError, originOf, TimeoutError, UntrustedUrlError } from "../core/errors.js";
import { readStreamCapped } from "./read-capped.js";
import { headerValue } from "./header-value.js";
import type { OutgoingRequest } from "./request.js";
import { asRequest, exchangeOf, send } from "./sent-exchange.js";
import { socketAbortFor } from "./socket-abort.js";

/**
 * The fetch carewire sends with. The attempt's signal comes in `init` (not on the Request,
 * which fetch would copy, following the signal twice): a fetch that honours it frees the
 * socket when the attempt times out or the caller aborts.
 */
export type FetchLike = (request: Request, init?: { readonly signal?: AbortSignal }) => Promise<Response>;

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
  /** The caller's fetch, given a Request; absent, the platform's own (`globalThis.fetch`, looked up per attempt). */
  readonly fetch: FetchLike | undefined;
  /** Runs the send in a context of the caller's (OpenTelemetry's, for the attempt's span). */
  readonly inContext?: (<T>(send: () => T) => T) | undefined;
  /** Headers and body together must arrive within this time. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Leave a 2xx body unread (see CallOptions.stream); the timer stops at the headers. */
  readonly stream?: boolean;
  /** Most decoded body bytes read; past it the attempt fails with LimitExceededError. */
  readonly maxBytes: number;
  /** Same-origin redirects followed; 0 hands a 3xx back as it is. */
  readonly maxRedirects: number;
  /** The clock the timeout runs on (a fake one in tests); default a real timer. */
  readonly clock?: Clock;
}

/**
 * Builds the attempt's request; called again, fresh, for each redirect hop (a body is read
 * once). A URL and init (an OutgoingRequest) go to the platform's fetch as they are, which
 * spares it a Request to copy; a fetch of the caller's is given a Request made of them.
 */
export type RequestFactory = () => Request | OutgoingRequest;

interface RedirectTarget {
  readonly url: string;
  /** 303, and 301/302 after a POST, turn into a GET without a body (as browsers and fetch do). */
  readonly method: string;
  readonly dropBody: boolean;
}

const NO_BYTES = new Uint8Array(0);

export async function sendAttempt(makeRequest: RequestFactory, options: AttemptOptions): Promise<Exchange> {
  if (options.signal?.aborted) throw new AbortedError(options.signal.reason);
  // The attempt's signal is made only when the fetch asks for it: a fetch that never looks
  // (a stub, a test double) costs no AbortController, and neither does Node's own fetch when
  // it is aborted through its dispatcher instead (below). A fetch that asks gets the abort
  // (timer or caller) at its socket. An own getter, so a fetch wrapper that spreads `init`
  // passes the signal on.
  let controller: AbortController | undefined;
  let signal: AbortSignal | undefined;
  const init = {
    get signal(): AbortSignal {
      controller ??= new AbortController();
      return (signal ??= options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal);
    },
  };
  // Node's own fetch is aborted through the dispatcher it is handed, which costs it far less
  // than a signal (socket-abort.ts). A caller's signal must reach fetch, so it keeps the signal.
  const socket = options.fetch === undefined && options.signal === undefined ? socketAbortFor() : undefined;
  // Settles the attempt when the timer fires or the caller aborts, whatever the fetch underneath does.
  const bound = new AttemptBound();
  let phase: "request" | "body" = "request";
  const cancelTimer = Number.isFinite(options.timeoutMs)
    ? startTimer(options.clock, options.timeoutMs, () => {
        bound.fail(new TimeoutError(options.timeoutMs, phase));
        const reason = new Error("attempt timeout");
        controller?.abort(reason);
        socket?.abort(reason);
      })
    : undefined;
  // Only a caller's signal needs a listener (the timer fails the attempt itself). It goes on
  // the joined signal, this attempt's own: a caller's signal shared by a whole sync gets no
  // listener per attempt in flight. Removed when the attempt ends, so nothing the fetch
  // keeps alive holds the attempt.
  const onAbort = options.signal ? () => bound.fail(new AbortedError(options.signal?.reason)) : undefined;
  const joined = onAbort ? init.signal : undefined;
  if (onAbort) joined?.addEventListener("abort", onAbort, { once: true });
  let response: Response | undefined;
  // Outside the try for a refusal's message: every hop stays within its origin.
  let first: Request | OutgoingRequest | undefined;
  try {
    first = makeRequest();
    let request = first;
    for (let hops = 0; ; hops++) {
      const sent = request;
      response = await bound.within(options.inContext ? options.inContext(() => send(sent, options.fetch, init, socket)) : send(sent, options.fetch, init, socket));
      socket?.confirm();
      const location = isRedirect(response.status) && options.maxRedirects > 0 ? headerValue(response.headers, "location") : null;
      if (location === null) break;
      const target = redirectTarget(asRequest(request), response.status, location);
      void response.body?.cancel().catch(() => undefined);
      // Only a redirect needs the origin: the common path parses no URL.
      const origin = new URL(first.url).origin;
      if (new URL(target.url).origin !== origin) throw new UntrustedUrlError(target.url, origin);
      if (hops + 1 > options.maxRedirects) throw new LimitExceededError("redirects", options.maxRedirects);
      request = redirectedRequest(asRequest(makeRequest()), target);
    }
    phase = "body";
    // Streamed downloads: the headers are in, the timer stops, the body is the caller's.
    if (options.stream && response.ok) return exchangeOf(request, response, NO_BYTES, true);
    // The Response keeps its status and headers; its body is consumed here (as openapi-fetch
    // leaves it): the bytes live in `body`, the parsed value in `data`.
    const body = await readCapped(response, options.maxBytes, bound);
    return exchangeOf(request, response, body, false);
  } catch (error) {
    if (response !== undefined && !(options.stream && response.ok)) void response.body?.cancel().catch(() => undefined);
    // Already typed (timeout, abort, a refused redirect, a request that could not be built).
    if (error instanceof CarewireError) throw error;
    if (options.signal?.aborted) throw new AbortedError(options.signal.reason);
    // Fetch refuses some ports outright (1, 6000, 10080, …: the Fetch standard's "bad ports")
    // before any connection: a setting to fix, never sent, so never worth a retry.
    if (refusedPort(error)) throw new InvalidRequestError(`fetch refuses to connect to ${first === undefined ? "this URL" : originOf(first.url)}: its port is one the Fetch standard blocks; use another port`, { cause: error });
    // The platform's fetch makes the Request itself, and rejects with the TypeError its
    // constructor throws (a network failure is "fetch failed"): a request that cannot be built.
    // Only fetch's own rejection, before any response: a body that fails later is the network's.
    // Its message quotes the URL (ids, a key in the query): only its kind of error is kept.
    if (response === undefined && first !== undefined && !(first instanceof Request) && refusedRequest(error)) throw new InvalidRequestError("cannot build the request: fetch refused it (TypeError)");
    throw toNetworkError(error, phase, first?.url);
  } finally {
    cancelTimer?.();
    if (onAbort) joined?.removeEventListener("abort", onAbort);
  }
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function redirectTarget(request: Request, status: number, location: string): RedirectTarget {
  let url: URL;
  try {
    url = new URL(location, request.url);
  } catch {
    throw new UntrustedUrlError(location.slice(0, 200), new URL(request.url).origin);
  }
  const toGet = status === 303 ? request.method !== "HEAD" : (status === 301 || status === 302) && request.method === "POST";
  const method = toGet ? "GET" : request.method;
  // A body dropped at an earlier hop stays dropped (the request is rebuilt whole at each hop).
  return { url: url.href, method, dropBody: toGet || method === "GET" || method === "HEAD" };
}

/**
 * Reads the whole body, chunk by chunk, stopping at `maxBytes` and at the attempt's bound.
 * Chunk by chunk even when the length is declared: `arrayBuffer()` copies the bytes into a
 * new buffer, and costs 5× as much for a page (15 µs against 3 µs for 8.6 kB); a body of one
 * chunk is kept as it came.
 */
function readCapped(response: Response, maxBytes: number, bound: AttemptBound): Uint8Array | Promise<Uint8Array> {
  if (response.body === null) return NO_BYTES;
  // An honest Content-Length over the cap (of an uncompressed body) needs no reading at all.
  const declared = Number(headerValue(response.headers, "content-length"));
  if (Number.isFinite(declared) && declared > maxBytes && headerValue(response.headers, "content-encoding") === null) throw new LimitExceededError("response-bytes", maxBytes);
  // Not an async function of its own: one await fewer between the last byte and the caller.
  return readStreamCapped(response.body, maxBytes, bound, "response-bytes");
}


/** A request for a redirect's target: the original's headers, and its body unless the hop drops it. */
function redirectedRequest(original: Request, target: RedirectTarget): Request {
  const headers = new Headers(original.headers);
  if (target.dropBody) {
    for (const name of ["content-type", "content-length", "content-encoding", "content-language", "content-location"]) headers.delete(name);
  }
  const init: RequestInit & { duplex?: "half" } = { method: target.method, headers, redirect: "manual" };
  if (!target.dropBody && original.body !== null) {
    init.body = original.body;
    init.duplex = "half";
  }
  return new Request(target.url, init);
}

/** Node's fetch (undici) turning a blocked port away: a TypeError whose cause says "bad port". */
function refusedPort(error: unknown): boolean {
  // By name, not instanceof: a TypeError from another realm (a test runner's vm) is one too.
  return (error as { name?: unknown } | null)?.name === "TypeError" && (error as { cause?: { message?: unknown } }).cause?.message === "bad port";
}

/** The platform's fetch refusing the request it was to make (not a failure on the network, which is "fetch failed"). */
function refusedRequest(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === "TypeError" && (error as { message?: unknown }).message !== "fetch failed";
}

/** Undici hides the socket error in `cause`; keep its code, it decides retry safety later. */
function toNetworkError(error: unknown, phase: "request" | "body", url: string | undefined): NetworkError {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  // Refused or unresolvable: nothing reached the server.
  const connectCodes = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"];
  const effectivePhase = code !== undefined && connectCodes.includes(code) ? "connect" : phase;
  const detail = withoutPath(typeof cause?.message === "string" ? cause.message : error instanceof Error ? error.message : "", url);
  return new NetworkError(`network failure${typeof code === "string" ? ` (${code})` : ""}${detail ? `: ${detail.slice(0, 200)}` : ""}`, effectivePhase, code, { cause: error });
}

/**
 * A message from under fetch with the request's filled-in path taken out (a mock agent's
 * "not matched for path '/patients/123'"): a path holds resource ids, which stay out of
 * messages; the error names its operation by the path template instead.
 */
function withoutPath(message: string, url: string | undefined): string {
  if (url === undefined) return message;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return message;
  }
  const withQuery = parsed.pathname + parsed.search;
  let cleaned = message.split(url).join("…");
  if (withQuery.length > 1) cleaned = cleaned.split(withQuery).join("…");
  if (parsed.pathname.length > 1) cleaned = cleaned.split(parsed.pathname).join("…");
  return cleaned;
}
