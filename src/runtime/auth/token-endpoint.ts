/**
 * One OAuth token request, sent as every token source sends it: a form POST, paced with
 * the calls, waiting out a 429/503 Retry-After and retrying a network fault a couple of
 * times. The body is built per attempt (a signed assertion must be fresh each time).
 */
import { AuthenticationError, CarewireError } from "../errors.js";
import { readServerHints } from "../server-hints.js";
import type { IssuedToken, TokenDeps, TokenRequestContext } from "./token-source.js";

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
    let response: Response;
    try {
      // No redirects: a 307/308 would re-post the client secret (or assertion) to wherever it points.
      const send = () => deps.fetch(new Request(url, { method: "POST", headers, body, redirect: "error", ...(context.signal ? { signal: context.signal } : {}) }));
      response = await (deps.paced ? deps.paced(send, context.signal) : send());
    } catch (error) {
      if (error instanceof CarewireError) throw error; // pacing refused (deadline, abort): not a network fault
      if (attempt < 3) {
        await deps.clock.sleep(250 * attempt, context.signal);
        continue;
      }
      throw new AuthenticationError("the token endpoint could not be reached", undefined, { cause: error });
    }
    const text = await response.text();
    const now = deps.clock.now();
    if ((response.status === 429 || response.status === 503) && attempt < 4) {
      const wait = readServerHints(response.headers, now).retryAfterMs ?? 1_000 * attempt;
      if (context.deadline === undefined || now + wait < context.deadline) {
        await deps.clock.sleep(wait, context.signal);
        continue;
      }
    }
    let json: { access_token?: unknown; expires_in?: unknown; error?: unknown } = {};
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      // handled below
    }
    if (!response.ok || typeof json.access_token !== "string") {
      const code = typeof json.error === "string" ? json.error.slice(0, 64) : undefined;
      throw new AuthenticationError(`the token endpoint answered ${response.status}${code ? ` (${code})` : ""}`, response.status);
    }
    const expiresInMs = typeof json.expires_in === "number" && json.expires_in > 0 ? json.expires_in * 1000 : undefined;
    return { value: json.access_token, expiresInMs };
  }
}

/** A token URL as configured: absolute, or relative to the client's base URL. */
export function resolveTokenUrl(tokenUrl: string, baseUrl: string): string {
  return /^https?:\/\//.test(tokenUrl) ? tokenUrl : `${baseUrl.replace(/\/+$/, "")}${tokenUrl}`;
}
