/**
 * The Response handed back to the SDK: a real `Response` with the last attempt's status,
 * headers and body. The pipeline has read the body (to bound it and to retry a truncated
 * one), so the bytes it read become the body again; a streamed body is passed on unread.
 */
import type { Exchange } from "../wire/transport.js";

/** Statuses whose Response may not have a body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** The header that tells how many attempts the call took. */
export const ATTEMPTS_HEADER = "x-carewire-attempts";

/** What the copy takes from the request the SDK made. */
export interface RequestSide {
  readonly method: string;
  /** The URL the SDK asked for: the copy's `url` when the answer has none of its own (a cached one, say). */
  readonly url: string;
  readonly extraHeaders: Readonly<Record<string, string>>;
}

export function responseFromExchange(exchange: Exchange, { method, url: askedUrl, extraHeaders }: RequestSide): Response {
  const { response } = exchange;
  const headers = new Headers(response.headers);
  let body: ConstructorParameters<typeof Response>[0];
  if (exchange.streamed) body = response.body;
  else {
    // The bytes are decoded already, and their length is what it is now.
    headers.delete("content-encoding");
    headers.delete("content-length");
    body = exchange.body.byteLength === 0 ? null : new Blob([exchange.body]);
  }
  if (NULL_BODY_STATUSES.has(response.status) || method === "HEAD") body = null;
  for (const [name, value] of Object.entries(extraHeaders)) headers.set(name, value);
  const copy = new Response(body, { status: response.status, statusText: response.statusText, headers });
  // SDKs read `url` for error messages and pagination; a constructed Response has none.
  const url = response.url !== "" ? response.url : askedUrl;
  Object.defineProperty(copy, "url", { value: url });
  return copy;
}
