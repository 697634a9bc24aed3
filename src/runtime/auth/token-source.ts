/**
 * Where bearer tokens come from. A source knows how to ask one token endpoint for one
 * token (a client secret, a signed assertion…); the bearer policy owns the rest of the
 * lifecycle: single flight, refresh before expiry, one refresh on a 401.
 */
import type { Clock } from "../core/clock.js";
import type { FetchLike } from "../wire/transport.js";

export interface IssuedToken {
  /** The access token: never logged, never in errors or meta. */
  readonly value: string;
  /** Lifetime the server granted (`expires_in`), when it said. */
  readonly expiresInMs: number | undefined;
}

export interface TokenDeps {
  readonly baseUrl: string;
  readonly fetch: FetchLike;
  readonly clock: Clock;
  /** The client's attempt timeout: one token request attempt (and discovery) waits no longer. */
  readonly timeoutMs?: number;
  /** Runs the token request in a pacing slot: the token endpoint counts against the quota. */
  readonly paced?: <T>(work: () => Promise<T>, signal?: AbortSignal) => Promise<T>;
}

/**
 * What one token request may use: its own signal and deadline. The request is shared by
 * every call waiting for a token (single flight), so it never carries one caller's signal.
 */
export interface TokenRequestContext {
  readonly signal: AbortSignal | undefined;
  readonly deadline: number | undefined;
}

export interface TokenSource {
  /** The OAuth client id: the pacing budget is kept per client. */
  readonly clientId: string;
  /** Refresh this long before expiry. Default 30 s. */
  readonly refreshSkewMs?: number;
  /**
   * What, besides the provider, base URL and client id, sets this source's tokens apart
   * (its token URL, its scope): a shared token store keeps one token per distinct value.
   */
  readonly cacheKey?: string;
  requestToken(context: TokenRequestContext, deps: TokenDeps): Promise<IssuedToken>;
}

export function isTokenSource(value: unknown): value is TokenSource {
  return typeof value === "object" && value !== null && typeof (value as { requestToken?: unknown }).requestToken === "function";
}
