/**
 * Getting the next token, once for a whole fleet: the token in the store if it is fresh,
 * else whoever takes the store's lock asks the token endpoint and stores the answer while
 * the others look again with a bounded backoff until it appears. Every wait and the
 * request itself fit in one limit of 60 s, with no caller's signal or deadline (the
 * result serves every call waiting for it; each call bounds its own wait).
 */
import { randomId } from "../portable/random-id.js";
import type { Call } from "../core/call.js";
import { AuthenticationError, CarewireError } from "../core/errors.js";
import { quietly } from "../stores/fallback.js";
import type { StoredToken, TokenStore } from "../stores/token-store.js";
import type { TokenDeps, TokenSource } from "./token-source.js";

/** How long one shared token request (its retries and the wait for another instance's included) may take. */
const TOKEN_REQUEST_LIMIT_MS = 60_000;

/** Used when the server gives no `expires_in`. */
const DEFAULT_LIFETIME_MS = 3_600_000;

/** Looks for another instance's token this often at first, then less often, never less than once a second. */
const FIRST_LOOK_MS = 25;
const LAST_LOOK_MS = 1_000;

export interface Obtained {
  readonly token: StoredToken;
  /** This instance asked the token endpoint for it (rather than finding it in the store). */
  readonly fetched: boolean;
}

/** Obtains `key`'s next token; `failed` is a token a server just refused (a 401): never handed out again. */
export type ObtainToken = (call: Call, failed?: string) => Promise<Obtained>;

export function tokenFlight(source: TokenSource, deps: TokenDeps, store: TokenStore, key: string): ObtainToken {
  const { clock } = deps;
  const skew = source.refreshSkewMs ?? 30_000;

  return async (call, failed) => {
    // The controller is held by this frame and its timer until the request ends, so the
    // limit holds however the fetch underneath treats its signal.
    const limit = new AbortController();
    const timer = setTimeout(() => limit.abort(new Error("token request limit")), TOKEN_REQUEST_LIMIT_MS);
    const owner = randomId();
    const fresh = async () => {
      const now = clock.now();
      const token = await store.get(key, now);
      return token && now < token.refreshAt && token.value !== failed ? token : undefined;
    };
    try {
      // Dropped only while it is still the token that failed: another instance may have refreshed it already.
      if (failed !== undefined) await store.invalidate(key, failed);
      for (let wait = FIRST_LOOK_MS; ; wait = Math.min(wait * 2, LAST_LOOK_MS)) {
        const found = await fresh();
        if (found) return { token: found, fetched: false };
        if (await store.tryLock(key, owner, clock.now(), TOKEN_REQUEST_LIMIT_MS)) {
          try {
            // Another instance may have stored one between the look and the lock.
            const meanwhile = await fresh();
            if (meanwhile) return { token: meanwhile, fetched: false };
            const token = await request(limit.signal);
            await quietly(() => store.set(key, token, clock.now()));
            return { token, fetched: true };
          } finally {
            await quietly(() => store.unlock(key, owner));
          }
        }
        // Another instance is asking: its token appears in the store when it comes.
        await clock.sleep(wait, limit.signal);
      }
    } catch (error) {
      if (limit.signal.aborted) throw new AuthenticationError(`no token within ${TOKEN_REQUEST_LIMIT_MS / 1000} s`, { cause: error });
      if (error instanceof CarewireError) throw error;
      // A token source or store of the application's own threw: keep its error as the cause, not its message.
      throw new AuthenticationError("the token source failed", { cause: error });
    } finally {
      clearTimeout(timer);
    }
  };

  async function request(signal: AbortSignal): Promise<StoredToken> {
    const issued = await source.requestToken({ signal, deadline: clock.now() + TOKEN_REQUEST_LIMIT_MS }, deps);
    // A token must travel in a header: CR, LF or other controls would break it (or inject
    // another header). Refused here, without repeating it anywhere.
    if (typeof issued.value !== "string" || !/^[\x21-\x7e]+$/.test(issued.value)) {
      throw new AuthenticationError("the token source issued an access token that is not a valid header value");
    }
    const lifetime = issued.expiresInMs ?? DEFAULT_LIFETIME_MS;
    const now = clock.now();
    // The margin never eats more than half of a short-lived token's life (a 20 s token
    // with a 30 s margin would be fetched again for every call).
    return { value: issued.value, refreshAt: now + lifetime - Math.min(skew, lifetime / 2), expiresAt: now + lifetime };
  }
}

/** A store step whose failure changes nothing for the call: the token serves this instance anyway. */
