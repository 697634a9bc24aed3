/**
 * One OAuth token request, sent as every token source sends it: a form POST, paced with
 * the calls, waiting out a 429/503 Retry-After and retrying a network fault a couple of
 * times. The body is built per attempt (a signed assertion must be fresh each time).
 */
import { AuthenticationError, CarewireError } from "../core/errors.js";
import { jsonObjectOf } from "../wire/read-body.js";
import { readServerHints } from "../wire/server-hints.js";
import { sendAttempt, type Exchange } from "../wire/transport.js";
import type { IssuedToken, TokenDeps, TokenRequestContext } from "./token-source.js";

/** One token request attempt waits this long for its answer, unless the client's timeout is set. */
const TOKEN_ATTEMPT_TIMEOUT_MS = 30_000;
/** A token response is a few hundred bytes; anything near this is not one. */
const MAX_TOKEN_RESPONSE_BYTES = 256 * 1024;

export async function postTokenRequest(
  url: string,
  makeBody: () => Promise<URLSearchParams> | URLSearchParams,
  extraHeaders: Record<string, string>,
  context: TokenRequestContext,
  deps: TokenDeps,
): Promise<IssuedToken> {
  for (let attempt = 1; ; attempt++) {
    const body = await makeBody();
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json", ...extraHeaders };
    const attemptTimeoutMs = deps.timeoutMs ?? TOKEN_ATTEMPT_TIMEOUT_MS;
    const remaining = context.deadline === undefined ? attemptTimeoutMs : context.deadline - deps.clock.now();
    let exchange: Exchange;
    try {
      // No redirects (maxRedirects 0): a 307/308 would re-post the client secret (or assertion) to wherever it points.
      const send = () =>
        sendAttempt(() => new Request(url, { method: "POST", headers, body, redirect: "manual" }), {
          fetch: deps.fetch,
          timeoutMs: Math.max(1, Math.min(attemptTimeoutMs, remaining)),
          ...(context.signal ? { signal: context.signal } : {}),
          maxBytes: MAX_TOKEN_RESPONSE_BYTES,
          maxRedirects: 0,
        });
      exchange = await (deps.paced ? deps.paced(send, context.signal) : send());
    } catch (error) {
      // Pacing refused (deadline, abort), or the caller gave up: not a fault of the endpoint.
      if (error instanceof CarewireError && (error.kind === "rate-limited" || error.kind === "aborted" || error.kind === "circuit-open")) throw error;
      if (attempt < 3 && (context.deadline === undefined || deps.clock.now() + 250 * attempt < context.deadline)) {
        await deps.clock.sleep(250 * attempt, context.signal);
        continue;
      }
      const why = error instanceof CarewireError ? ` (${error.kind})` : "";
      throw new AuthenticationError(`the token endpoint could not be reached${why}`, { cause: error });
    }
    const { response } = exchange;
    const now = deps.clock.now();
    // A passing fault of the endpoint (a gateway error, a cut-short answer) is asked again,
    // as any call would be: every call waiting for this token depends on it.
    const json = jsonObjectOf(exchange.body);
    const transient = TRANSIENT_STATUSES.has(response.status) || (response.ok && json.cutShort);
    if (transient && attempt < 4) {
      const wait = readServerHints(response.headers, now).retryAfterMs ?? 250 * 2 ** (attempt - 1);
      if (context.deadline === undefined || now + wait < context.deadline) {
        await deps.clock.sleep(wait, context.signal);
        continue;
      }
    }
    return issuedToken(response.status, json.value ?? {});
  }
}

const TRANSIENT_STATUSES = new Set([408, 429, 502, 503, 504]);

/** The token in a token endpoint's answer, or an AuthenticationError that quotes none of it. */
function issuedToken(status: number, json: Readonly<Record<string, unknown>>): IssuedToken {
  if (status < 200 || status > 299 || typeof json.access_token !== "string") {
    // An OAuth error code is a word such as invalid_client; anything else is not repeated.
    const code = typeof json.error === "string" && /^[a-z_]{1,40}$/.test(json.error) ? json.error : undefined;
    throw new AuthenticationError(`the token endpoint answered ${status}${code ? ` (${code})` : ""}${status >= 200 && status < 300 ? " without an access_token" : ""}`, { status });
  }
  const expiresInMs = typeof json.expires_in === "number" && Number.isFinite(json.expires_in) && json.expires_in > 0 ? json.expires_in * 1000 : undefined;
  return { value: json.access_token, expiresInMs };
}

/** A token URL as configured: absolute, or relative to the client's base URL. */
export function resolveTokenUrl(tokenUrl: string, baseUrl: string): string {
  return /^https?:\/\//.test(tokenUrl) ? tokenUrl : `${baseUrl.replace(/\/+$/, "")}${tokenUrl}`;
}
