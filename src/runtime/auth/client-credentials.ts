/**
 * OAuth 2.0 client credentials (REQUIREMENTS R10). One token at a time, fetched by a
 * single request however many calls need it (single flight), refreshed shortly before
 * it expires, and on a 401 refreshed once and the call sent once more: never a loop.
 * The token request is paced with every other call (the token endpoint is rate-limited
 * too, seed 003). Tokens never appear in errors, meta or telemetry.
 */
import type { Clock } from "../clock.js";
import { AuthenticationError, CarewireError } from "../errors.js";
import type { CallContext, Next, Policy } from "../policy.js";
import { readServerHints } from "../server-hints.js";
import type { Exchange, FetchLike } from "../transport.js";

export interface ClientCredentialsOptions {
  /** Absolute, or relative to the client's baseUrl (e.g. `/oauth/token`). */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope?: string;
  /** Refresh this long before expiry. Default 30 s. */
  readonly refreshSkewMs?: number;
  /** Send credentials as HTTP Basic instead of in the form body. */
  readonly basicAuth?: boolean;
}

interface Token {
  readonly value: string;
  readonly expiresAt: number;
}

export function clientCredentialsPolicy(
  options: ClientCredentialsOptions,
  deps: { baseUrl: string; fetch: FetchLike; clock: Clock; paced?: <T>(work: () => Promise<T>, signal?: AbortSignal) => Promise<T> },
): Policy {
  const skew = options.refreshSkewMs ?? 30_000;
  let current: Token | undefined;
  let inFlight: Promise<Token> | undefined;
  const url = /^https?:\/\//.test(options.tokenUrl) ? options.tokenUrl : `${deps.baseUrl.replace(/\/+$/, "")}${options.tokenUrl}`;

  async function fetchToken(context: CallContext): Promise<Token> {
    for (let attempt = 1; ; attempt++) {
      const body = new URLSearchParams({ grant_type: "client_credentials", ...(options.scope ? { scope: options.scope } : {}) });
      const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
      if (options.basicAuth) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`).toString("base64")}`;
      else {
        body.set("client_id", options.clientId);
        body.set("client_secret", options.clientSecret);
      }
      let response: Response;
      try {
        const send = () => deps.fetch(new Request(url, { method: "POST", headers, body, ...(context.signal ? { signal: context.signal } : {}) }));
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
      const expiresIn = typeof json.expires_in === "number" && json.expires_in > 0 ? json.expires_in * 1000 : 3_600_000;
      context.emit({ type: "token", action: current ? "refreshed" : "fetched" });
      return { value: json.access_token, expiresAt: now + expiresIn };
    }
  }

  function token(context: CallContext, force: boolean): Promise<Token> {
    const now = deps.clock.now();
    if (!force && current && now < current.expiresAt - skew) return Promise.resolve(current);
    // Single flight: every call waiting for a token shares one request.
    inFlight ??= fetchToken(context).then(
      (t) => {
        current = t;
        inFlight = undefined;
        return t;
      },
      (error: unknown) => {
        inFlight = undefined;
        context.emit({ type: "token", action: "failed" });
        throw error;
      },
    );
    return inFlight;
  }

  return {
    name: "auth",
    async execute(context: CallContext, next: Next): Promise<Exchange> {
      if (context.operation.security === "none") return next();
      let used = await token(context, false);
      context.headers.set("Authorization", `Bearer ${used.value}`);
      const exchange = await next();
      if (exchange.response.status !== 401) return exchange;
      // Someone else may have refreshed already; otherwise refresh once and resend once.
      if (current && current.value !== used.value) used = current;
      else {
        current = undefined;
        used = await token(context, true);
      }
      context.headers.set("Authorization", `Bearer ${used.value}`);
      context.annotateAttempt({ outcome: "auth", reason: "HTTP 401; token refreshed, sent once more" });
      return next();
    },
  };
}
