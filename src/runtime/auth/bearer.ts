/**
 * Bearer tokens for every call (REQUIREMENTS R10): one token at a time, fetched by a
 * single request however many calls need it (single flight), refreshed shortly before it
 * expires, and on a 401 refreshed once and the call sent once more: never a loop. Where
 * the token comes from is the source's business (client secret, SMART assertion…).
 * Tokens never appear in errors, meta or telemetry.
 */
import { AbortedError } from "../errors.js";
import type { CallContext, Next, Policy } from "../policy.js";
import type { Exchange } from "../transport.js";
import type { TokenDeps, TokenSource } from "./token-source.js";

interface Token {
  readonly value: string;
  /** When to fetch the next one: shortly before this one expires. */
  readonly refreshAt: number;
}

/** How long one shared token request (its retries included) may take. */
const TOKEN_REQUEST_LIMIT_MS = 60_000;

/** Used when the server gives no `expires_in`. */
const DEFAULT_LIFETIME_MS = 3_600_000;

export function bearerAuthPolicy(source: TokenSource, deps: TokenDeps): Policy {
  const skew = source.refreshSkewMs ?? 30_000;
  let current: Token | undefined;
  let inFlight: Promise<Token> | undefined;

  async function fetchToken(context: CallContext): Promise<Token> {
    // Shared by every waiting call: its own time limit, no caller's signal or deadline.
    const issued = await source.requestToken({ signal: AbortSignal.timeout(TOKEN_REQUEST_LIMIT_MS), deadline: deps.clock.now() + TOKEN_REQUEST_LIMIT_MS }, deps);
    const lifetime = issued.expiresInMs ?? DEFAULT_LIFETIME_MS;
    context.emit({ type: "token", action: current ? "refreshed" : "fetched" });
    // The margin never eats more than half of a short-lived token's life (a 20 s token
    // with a 30 s margin would be fetched again for every call).
    return { value: issued.value, refreshAt: deps.clock.now() + lifetime - Math.min(skew, lifetime / 2) };
  }

  function token(context: CallContext, force: boolean): Promise<Token> {
    const now = deps.clock.now();
    if (!force && current && now < current.refreshAt) return Promise.resolve(current);
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
      let used = await untilAborted(token(context, false), context.signal);
      context.headers.set("Authorization", `Bearer ${used.value}`);
      const exchange = await next();
      if (exchange.response.status !== 401) return exchange;
      // Someone else may have refreshed already; otherwise refresh once and resend once.
      if (current && current.value !== used.value) used = current;
      else {
        current = undefined;
        used = await untilAborted(token(context, true), context.signal);
      }
      context.headers.set("Authorization", `Bearer ${used.value}`);
      context.annotateAttempt({ outcome: "auth", reason: "HTTP 401; token refreshed, sent once more" });
      return next();
    },
  };
}

/** Waits for the shared token, or for this call's own signal, whichever comes first. */
function untilAborted<T>(shared: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return shared;
  if (signal.aborted) return Promise.reject(new AbortedError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError(signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
    shared.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
