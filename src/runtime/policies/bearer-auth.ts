/**
 * Bearer tokens for every call: one token at a time, fetched by a
 * single request however many calls need it (single flight), refreshed shortly before it
 * expires, and on a 401 refreshed once and the call sent once more: never a loop. Where
 * the token comes from is the source's business (client secret, SMART assertion…).
 * Tokens never appear in errors, meta or telemetry.
 */
import { annotateLast, joinNotes, refusal, withHeader, type Policy } from "../core/attempt.js";
import type { Call } from "../core/call.js";
import { startTimer } from "../core/clock.js";
import { AbortedError, asCarewireError, AuthenticationError, CarewireError, TimeoutError } from "../core/errors.js";
import type { TokenDeps, TokenSource } from "../auth/token-source.js";

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
  /** Whether a token was ever issued (a refresh after a 401 clears `current` first). */
  let everIssued = false;

  async function fetchToken(call: Call): Promise<Token> {
    // Shared by every waiting call: its own time limit, no caller's signal or deadline. The
    // controller is held by this frame and its timer until the request ends, so the limit
    // holds however the fetch underneath treats its signal.
    const limit = new AbortController();
    const timer = setTimeout(() => limit.abort(new Error("token request limit")), TOKEN_REQUEST_LIMIT_MS);
    let issued;
    try {
      issued = await source.requestToken({ signal: limit.signal, deadline: deps.clock.now() + TOKEN_REQUEST_LIMIT_MS }, deps);
    } catch (error) {
      if (limit.signal.aborted) throw new AuthenticationError(`no token within ${TOKEN_REQUEST_LIMIT_MS / 1000} s`, undefined, { cause: error });
      if (error instanceof CarewireError) throw error;
      // A token source of the application's own threw: keep its error as the cause, not its message.
      throw new AuthenticationError("the token source failed", undefined, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    // A token must travel in a header: CR, LF or other controls would break it (or inject
    // another header). Refused here, without repeating it anywhere.
    if (typeof issued.value !== "string" || !/^[\x21-\x7e]+$/.test(issued.value)) {
      throw new AuthenticationError("the token source issued an access token that is not a valid header value");
    }
    const lifetime = issued.expiresInMs ?? DEFAULT_LIFETIME_MS;
    call.emit({ type: "token", action: everIssued ? "refreshed" : "fetched" });
    // The margin never eats more than half of a short-lived token's life (a 20 s token
    // with a 30 s margin would be fetched again for every call).
    return { value: issued.value, refreshAt: deps.clock.now() + lifetime - Math.min(skew, lifetime / 2) };
  }

  function token(call: Call, force: boolean): Promise<Token> {
    const now = deps.clock.now();
    if (!force && current && now < current.refreshAt) return Promise.resolve(current);
    // Single flight: every call waiting for a token shares one request.
    inFlight ??= fetchToken(call).then(
      (t) => {
        current = t;
        everIssued = true;
        inFlight = undefined;
        return t;
      },
      (error: unknown) => {
        inFlight = undefined;
        call.emit({ type: "token", action: "failed" });
        throw error;
      },
    );
    return inFlight;
  }

  return (next) => async (plan) => {
    const { call } = plan;
    if (call.operation.security === "none") return next(plan);
    let used: Token;
    try {
      used = await untilDeadline(token(call, false), call);
    } catch (error) {
      return refusal(plan, asCarewireError(error));
    }
    const first = await next(withHeader(plan, "Authorization", `Bearer ${used.value}`));
    if (first.exchange?.response.status !== 401) return first;
    // Someone else may have refreshed already; otherwise refresh once and resend once.
    if (current && current.value !== used.value) used = current;
    else {
      current = undefined;
      try {
        used = await untilDeadline(token(call, true), call);
      } catch (error) {
        return refusal(plan, asCarewireError(error), first.notes);
      }
    }
    const before = annotateLast(first, { outcome: "auth", reason: "HTTP 401; token refreshed, sent once more" });
    const again = await next({ ...withHeader(plan, "Authorization", `Bearer ${used.value}`), attempt: plan.attempt + before.notes.attempts.length, delayMs: 0 });
    return { ...again, notes: joinNotes(before.notes, again.notes) };
  };
}

/**
 * Waits for the shared token, but no longer than this call may: its own signal and its
 * deadline end the wait (the shared request goes on for the calls that can still use it).
 * The deadline is a timer on the call's clock, like an attempt's timeout.
 */
function untilDeadline<T>(shared: Promise<T>, call: Call): Promise<T> {
  const { signal, deadline } = call;
  if (!signal && deadline === undefined) return shared;
  if (signal?.aborted) return Promise.reject(new AbortedError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => settle(() => reject(new AbortedError(signal?.reason)));
    const remaining = deadline === undefined ? undefined : Math.max(0, deadline - call.clock.now());
    const cancelTimer = remaining === undefined ? undefined : startTimer(call.clock, remaining, () => settle(() => reject(new TimeoutError(call.deadlineMs, "deadline", "an access token"))));
    function settle(done: () => void): void {
      cancelTimer?.();
      signal?.removeEventListener("abort", onAbort);
      done();
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    shared.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}
