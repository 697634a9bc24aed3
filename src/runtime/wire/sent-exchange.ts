/**
 * How an attempt's request reaches fetch, and the exchange that remembers what was sent. A
 * caller's fetch is given a Request; the platform's own fetch a URL and init, which it would
 * otherwise copy out of a Request into a new one. The Request such an exchange stands for is
 * made only when something reads `exchange.request`.
 */
import type { OutgoingRequest } from "./request.js";
import type { Exchange, FetchLike } from "./transport.js";
import type { SocketAbort } from "./socket-abort.js";

/** Node's fetch takes undici's `dispatcher` beside the standard init (the DOM's RequestInit has no such member). */
type DispatchedInit = Omit<RequestInit, "dispatcher"> & { dispatcher?: SocketAbort["dispatcher"] };

/**
 * One request out: a caller's fetch always gets a Request; the platform's fetch gets a URL
 * and init as they are, with the attempt's dispatcher where Node's fetch can be aborted
 * through one (`socket`), and its signal otherwise.
 */
export function send(request: Request | OutgoingRequest, fetchLike: FetchLike | undefined, init: { readonly signal: AbortSignal }, socket?: SocketAbort): Promise<Response> {
  if (request instanceof Request) {
    if (fetchLike) return fetchLike(request, init);
    return socket !== undefined ? fetch(request, { dispatcher: socket.dispatcher } as DispatchedInit as RequestInit) : fetch(request, init);
  }
  if (fetchLike) return fetchLike(asRequest(request), init);
  // The init is this attempt's own, made for it by the request factory.
  if (socket !== undefined) (request.init as DispatchedInit).dispatcher = socket.dispatcher;
  else request.init.signal = init.signal;
  return fetch(request.url, request.init);
}

/** The Request an outgoing request stands for, made when something needs one (a caller's fetch, a redirect, a policy reading `exchange.request`). */
export function asRequest(request: Request | OutgoingRequest): Request {
  if (request instanceof Request) return request;
  // Not bound to the attempt's signal or dispatcher: the attempt is over, or the Request is for a redirect hop that gets its own.
  const { signal: _signal, dispatcher: _dispatcher, ...init } = request.init as DispatchedInit;
  return new Request(request.url, init);
}

/**
 * An exchange whose Request is made only when something reads `request`: the platform's
 * fetch was handed a URL and init, and most calls never look at the Request again.
 */
class SentExchange implements Exchange {
  private made: Request | undefined;
  constructor(
    private readonly sent: OutgoingRequest,
    readonly response: Response,
    readonly body: Uint8Array,
    readonly streamed: boolean,
    readonly json: { readonly value: unknown } | undefined,
  ) {}

  get request(): Request {
    return (this.made ??= asRequest(this.sent));
  }

  withJson(value: unknown): SentExchange {
    return new SentExchange(this.sent, this.response, this.body, this.streamed, { value });
  }
}

export function exchangeOf(request: Request | OutgoingRequest, response: Response, body: Uint8Array, streamed: boolean): Exchange {
  if (!(request instanceof Request)) return new SentExchange(request, response, body, streamed, undefined);
  return streamed ? { request, response, body, streamed } : { request, response, body };
}

/** The exchange with its body parsed as JSON (its request still made only when asked for). */
export function withJson(exchange: Exchange, value: unknown): Exchange {
  return exchange instanceof SentExchange ? exchange.withJson(value) : { ...exchange, json: { value } };
}
