/**
 * The simulator's own OAuth 2.0 authorization server: client-credentials grant only,
 * opaque bearer tokens with a TTL. Requests are attributed to the token's client_id,
 * which is what the rate limiter counts by.
 */
import type { AcceptedCredentials, ApiKeyPlace } from "./spec-model.js";
import { createHash, randomBytes } from "node:crypto";
import { safeDecodeURIComponent } from "./http-io.js";

export interface IssuedToken {
  readonly token: string;
  readonly clientId: string;
  readonly scope: string;
  readonly expiresAt: number;
}

export type TokenCheck =
  | { readonly ok: true; readonly clientId: string }
  | { readonly ok: false; readonly error: "missing" | "invalid" | "expired"; readonly clientId?: string };

/** A token request, read and checked but not granted yet (the rate limiter decides first). */
export type GrantRequest =
  | { readonly ok: true; readonly clientId: string; readonly scope: string }
  | { readonly ok: false; readonly status: 400 | 401; readonly error: string; readonly description: string };

export class TokenAuthority {
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(
    private readonly clients: Readonly<Record<string, string>>,
    private readonly ttlMs: number,
  ) {}

  /** RFC 6749 §4.4: credentials from the form body or HTTP Basic. Only a verified client is named. */
  verify(form: URLSearchParams, authorization: string | undefined): GrantRequest {
    let clientId = form.get("client_id") ?? undefined;
    let secret = form.get("client_secret") ?? undefined;
    const basic = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization ?? "");
    if (basic) {
      const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0) {
        clientId = safeDecodeURIComponent(decoded.slice(0, colon));
        secret = safeDecodeURIComponent(decoded.slice(colon + 1));
      }
    }
    if (form.get("grant_type") !== "client_credentials") {
      return { ok: false, status: 400, error: "unsupported_grant_type", description: "only client_credentials is supported" };
    }
    if (!clientId || secret === undefined || !Object.prototype.hasOwnProperty.call(this.clients, clientId) || this.clients[clientId] !== secret) {
      return { ok: false, status: 401, error: "invalid_client", description: "unknown client or wrong secret" };
    }
    return { ok: true, clientId, scope: form.get("scope") ?? "" };
  }

  issue(clientId: string, scope: string, now: number): IssuedToken {
    // Forget expired tokens as new ones are minted, so a long run does not grow without bound.
    for (const [key, token] of this.tokens) if (token.expiresAt <= now) this.tokens.delete(key);
    const token: IssuedToken = { token: randomBytes(24).toString("base64url"), clientId, scope, expiresAt: now + this.ttlMs };
    this.tokens.set(token.token, token);
    return token;
  }

  check(authorization: string | undefined, now: number): TokenCheck {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    if (!match) return { ok: false, error: "missing" };
    const token = this.tokens.get(match[1]!);
    if (!token) return { ok: false, error: "invalid" };
    if (token.expiresAt <= now) return { ok: false, error: "expired", clientId: token.clientId };
    return { ok: true, clientId: token.clientId };
  }

  /** Expires every issued token now (the admin endpoint; tests of token refresh). */
  expireAll(): void {
    for (const token of this.tokens.values()) this.tokens.set(token.token, { ...token, expiresAt: 0 });
  }

  get ttlSeconds(): number {
    return Math.round(this.ttlMs / 1000);
  }
}

export function wwwAuthenticate(error: "missing" | "invalid" | "expired"): string {
  if (error === "missing") return 'Bearer realm="carewire-simulator"';
  const description = error === "expired" ? "The access token expired" : "The access token is not valid";
  return `Bearer realm="carewire-simulator", error="invalid_token", error_description="${description}"`;
}

/** The form body of a client-credentials token request. */
export function clientCredentialsForm(clientId: string, clientSecret: string, scope?: string): URLSearchParams {
  return new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret, ...(scope ? { scope } : {}) });
}

/** The user name of an HTTP basic `Authorization` header, or undefined (none, or not basic). */
export function basicUserOf(authorization: string | undefined): string | undefined {
  const encoded = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? "")?.[1];
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const user = decoded.slice(0, decoded.indexOf(":") < 0 ? decoded.length : decoded.indexOf(":"));
  return user === "" ? undefined : user;
}

/** What a request carries that a credential set may ask for. */
export interface PresentedCredentials {
  /** The value sent where the key goes, if any. */
  apiKey(key: ApiKeyPlace): string | undefined;
  readonly basicUser: string | undefined;
  readonly token: TokenCheck;
}

/**
 * Lets a request in by the first credential set it carries whole, and says who it is: by its
 * API keys, else its basic user, else its token's client. A request that carries no set whole
 * is refused for its token where a set takes one (an expired token is told so), else as missing.
 */
export function admit(accepted: AcceptedCredentials, presented: PresentedCredentials): TokenCheck {
  for (const set of accepted.sets) {
    const keys = set.apiKeys.map((key) => presented.apiKey(key));
    if (keys.some((value) => !value)) continue;
    if (set.basic && presented.basicUser === undefined) continue;
    if (set.bearer && !presented.token.ok) continue;
    if (keys.length > 0) return { ok: true, clientId: clientIdOf("key", keys.join("\0")) };
    if (set.basic) return { ok: true, clientId: clientIdOf("basic", presented.basicUser!) };
    if (presented.token.ok) return presented.token;
  }
  const takesToken = accepted.sets.some((set) => set.bearer);
  return takesToken && !presented.token.ok ? presented.token : { ok: false, error: "missing" };
}

/** A client known by a credential it sends as it is (API keys, a basic user): counted by a short hash, never by the secret. */
function clientIdOf(kind: "key" | "basic", credential: string): string {
  return `${kind}:${createHash("sha256").update(credential).digest("hex").slice(0, 12)}`;
}

/** What a 401 for missing credentials tells the client it may send: each set whole, the sets as alternatives. */
export function acceptedForms(accepted: AcceptedCredentials, tokenPath: string | undefined): string {
  const forms = accepted.sets.map((set) => {
    const keys = set.apiKeys.map((key) => `the ${key.in} ${key.name}`);
    return [
      ...(set.bearer ? [`a bearer token from ${tokenPath ?? "the simulator's token endpoint"}`] : []),
      ...(set.basic ? ["HTTP basic (any user)"] : []),
      ...(keys.length > 0 ? [`${keys.join(" and ")} (any value${keys.length > 1 ? "s" : ""})`] : []),
    ].join(" and ");
  });
  return [...new Set(forms)].join(", or ");
}
