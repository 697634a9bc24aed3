/**
 * Bearer tokens for every call: one token at a time, fetched by a
 * single request however many calls need it (single flight), refreshed shortly before it
 * expires, and on a 401 refreshed once and the call sent once more: never a loop. Where
 * the token comes from is the source's business (client secret, SMART assertion…).
 * With a shared token store, the whole fleet on one client id holds one token and asks
 * for the next one once (token-flight.ts). Tokens never appear in errors, meta or telemetry.
 */
import { annotateLast, joinNotes, refusal, withHeader, type Policy } from "../core/attempt.js";
import type { Call } from "../core/call.js";
import { asCarewireError } from "../core/errors.js";
import { untilDeadline } from "../core/until-deadline.js";
import type { TokenDeps, TokenSource } from "../auth/token-source.js";
import { tokenFlight } from "../auth/token-flight.js";
import { MemoryTokenStore, tokenKey, type StoredToken, type TokenStore } from "../stores/token-store.js";

export interface BearerAuthOptions {
  /** Where the token lives: a fleet's shared store (`redisStore(...).tokens`), or this policy's memory (default). */
  readonly store?: TokenStore;
  /** The provider the client id belongs to: part of the token's key in a shared store. */
  readonly provider?: string;
}

export function bearerAuthPolicy(source: TokenSource, deps: TokenDeps, options: BearerAuthOptions = {}): Policy {
  const key = tokenKey(options.provider ?? "", source.clientId, `${deps.baseUrl}\u0000${source.cacheKey ?? ""}`);
  const obtain = tokenFlight(source, deps, options.store ?? new MemoryTokenStore(), key);
  /** This instance's copy of the token: the store is asked only when it is due or refused. */
  let current: StoredToken | undefined;
  let inFlight: Promise<StoredToken> | undefined;
  /** Whether this instance ever fetched a token (the next fetch is a refresh). */
  let everIssued = false;

  /** The token to send; `failed` names one a server just refused. */
  function token(call: Call, failed?: string): Promise<StoredToken> {
    if (failed === undefined && current && deps.clock.now() < current.refreshAt) return Promise.resolve(current);
    // Single flight: every call of this instance waiting for a token shares one request.
    inFlight ??= obtain(call, failed).then(
      ({ token: t, fetched }) => {
        if (fetched) call.emit({ type: "token", action: everIssued ? "refreshed" : "fetched" });
        current = t;
        everIssued ||= fetched;
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
    let used: StoredToken;
    try {
      used = await untilDeadline(token(call), call, "an access token");
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
        used = await untilDeadline(token(call, used.value), call, "an access token");
      } catch (error) {
        return refusal(plan, asCarewireError(error), first.notes);
      }
    }
    const before = annotateLast(first, { outcome: "auth", reason: "HTTP 401; token refreshed, sent once more" });
    const again = await next({ ...withHeader(plan, "Authorization", `Bearer ${used.value}`), attempt: plan.attempt + before.notes.attempts.length, delayMs: 0 });
    return { ...again, notes: joinNotes(before.notes, again.notes) };
  };
}
