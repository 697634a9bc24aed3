/**
 * SMART Backend Services: OAuth2 client credentials where the client
 * proves itself with a signed JWT (`private_key_jwt`, RS384 or ES384) instead of a secret.
 * Tokens live ≤ 300 s and come without refresh tokens, so each token request signs a fresh
 * assertion: `iss` = `sub` = client id, `aud` = the token URL, `exp` ≤ 5 min, a unique `jti`.
 * The token endpoint is found in `.well-known/smart-configuration` unless configured.
 */
import { randomId } from "../runtime/portable/random-id.js";
import type { KeyInput } from "jose";
import { postTokenRequest, resolveTokenUrl } from "../runtime/auth/token-endpoint.js";
import type { IssuedToken, TokenDeps, TokenRequestContext, TokenSource } from "../runtime/auth/token-source.js";
import { AuthenticationError, CarewireError } from "../runtime/core/errors.js";
import { jsonObjectOf } from "../runtime/wire/read-body.js";
import { sendAttempt, type Exchange, type FetchLike } from "../runtime/wire/transport.js";

export interface SmartBackendOptions {
  readonly clientId: string;
  /** The private key registered (as its public JWK) with the server. */
  readonly privateKey: KeyInput;
  readonly algorithm: "RS384" | "ES384";
  /** `kid` of the registered key, so the server picks the right one from the JWKS. */
  readonly keyId?: string;
  /** `system/*.rs` (SMART v2) or `system/*.read` (v1), or narrower. */
  readonly scope: string;
  /** Skips discovery. */
  readonly tokenUrl?: string;
  /** Assertion lifetime; the spec allows at most 5 minutes. Default 300 s. */
  readonly assertionLifetimeSeconds?: number;
  /** Refresh this long before the token expires. Default 30 s. */
  readonly refreshSkewMs?: number;
}

export interface SmartConfiguration {
  readonly token_endpoint: string;
  readonly token_endpoint_auth_methods_supported?: readonly string[];
  readonly token_endpoint_auth_signing_alg_values_supported?: readonly string[];
  readonly scopes_supported?: readonly string[];
  readonly capabilities?: readonly string[];
}

const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const MAX_ASSERTION_SECONDS = 300;

/** Discovery answers within this time, in this many bytes, or not at all. */
const DISCOVERY_TIMEOUT_MS = 30_000;
const MAX_DISCOVERY_BYTES = 1024 * 1024;

/** Reads `<base>/.well-known/smart-configuration`; a server without one is a typed failure. */
export async function discoverSmartConfiguration(baseUrl: string, fetchImpl: FetchLike = (r, init) => fetch(r, init), signal?: AbortSignal, timeoutMs = DISCOVERY_TIMEOUT_MS): Promise<SmartConfiguration> {
  const url = `${baseUrl.replace(/\/+$/, "")}/.well-known/smart-configuration`;
  let exchange: Exchange;
  try {
    exchange = await sendAttempt(() => new Request(url, { headers: { accept: "application/json" }, redirect: "manual" }), {
      fetch: fetchImpl,
      timeoutMs,
      ...(signal ? { signal } : {}),
      maxBytes: MAX_DISCOVERY_BYTES,
      maxRedirects: 0,
    });
  } catch (error) {
    throw new AuthenticationError(`the SMART configuration could not be fetched${error instanceof CarewireError ? ` (${error.kind})` : ""}`, { cause: error });
  }
  const { response } = exchange;
  const config = (jsonObjectOf(exchange.body).value ?? {}) as Partial<SmartConfiguration>;
  if (!response.ok || typeof config.token_endpoint !== "string" || !isHttpUrl(config.token_endpoint)) {
    throw new AuthenticationError(`the SMART configuration answered ${response.status} without a usable token_endpoint`, { status: response.status });
  }
  return config as SmartConfiguration;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/** A fresh, signed client assertion for one token request. */
export async function signClientAssertion(options: SmartBackendOptions, tokenUrl: string, nowMs: number, jti: string = randomId()): Promise<string> {
  const lifetime = Math.min(MAX_ASSERTION_SECONDS, Math.max(1, options.assertionLifetimeSeconds ?? MAX_ASSERTION_SECONDS));
  const now = Math.floor(nowMs / 1000);
  // jose loads when the first assertion is signed, not with carewire/fhir (most clients never sign one).
  const { SignJWT } = await import("jose");
  return new SignJWT({})
    .setProtectedHeader({ alg: options.algorithm, typ: "JWT", ...(options.keyId ? { kid: options.keyId } : {}) })
    .setIssuer(options.clientId)
    .setSubject(options.clientId)
    .setAudience(tokenUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + lifetime)
    .setJti(jti)
    .sign(options.privateKey);
}

/** The form body of a SMART Backend Services token request. */
export async function smartTokenRequestBody(options: SmartBackendOptions, tokenUrl: string, nowMs: number): Promise<URLSearchParams> {
  return new URLSearchParams({
    grant_type: "client_credentials",
    scope: options.scope,
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: await signClientAssertion(options, tokenUrl, nowMs),
  });
}

/**
 * The token source for `auth:` on a FHIR (or any carewire) client: discovery once, then a
 * freshly signed assertion for every token request. The bearer policy keeps one token at a
 * time and asks again shortly before it expires (there are no refresh tokens here).
 */
export function smartBackendAuth(options: SmartBackendOptions): TokenSource {
  if (!/^system\//.test(options.scope.split(" ")[0] ?? "")) {
    throw new TypeError(`SMART Backend Services scopes are system scopes (system/*.rs, system/*.read), not "${options.scope}"`);
  }
  let tokenUrl: Promise<string> | undefined;
  return {
    clientId: options.clientId,
    cacheKey: `smart\u0000${options.tokenUrl ?? ""}\u0000${options.scope}`,
    ...(options.refreshSkewMs !== undefined ? { refreshSkewMs: options.refreshSkewMs } : {}),
    async requestToken(context: TokenRequestContext, deps: TokenDeps): Promise<IssuedToken> {
      tokenUrl ??= options.tokenUrl !== undefined
        ? Promise.resolve(resolveTokenUrl(options.tokenUrl, deps.baseUrl))
        : discoverSmartConfiguration(deps.baseUrl, deps.fetch, context.signal, deps.timeoutMs).then((c) => c.token_endpoint);
      let url: string;
      try {
        url = await tokenUrl;
      } catch (error) {
        tokenUrl = undefined; // try discovery again next time
        throw error;
      }
      return postTokenRequest(url, () => smartTokenRequestBody(options, url, deps.clock.now()), {}, context, deps);
    },
  };
}
