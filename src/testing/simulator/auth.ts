/**
 * The simulator's own OAuth 2.0 authorization server: client-credentials grant only,
 * opaque bearer tokens with a TTL. Requests are attributed to the token's client_id,
 * which is what the rate limiter counts by.
 */
import { randomBytes } from "node:crypto";

export interface IssuedToken {
  readonly token: string;
  readonly clientId: string;
  readonly scope: string;
  readonly expiresAt: number;
}

export type TokenCheck =
  | { readonly ok: true; readonly clientId: string }
  | { readonly ok: false; readonly error: "missing" | "invalid" | "expired"; readonly clientId?: string };

export type GrantResult =
  | { readonly ok: true; readonly token: IssuedToken }
  | { readonly ok: false; readonly status: 400 | 401; readonly error: string; readonly description: string; readonly clientId?: string };

export class TokenAuthority {
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(
    private readonly clients: Readonly<Record<string, string>>,
    private readonly ttlMs: number,
  ) {}

  /** RFC 6749 §4.4: credentials from the form body or HTTP Basic. */
  grant(form: URLSearchParams, authorization: string | undefined, now: number): GrantResult {
    let clientId = form.get("client_id") ?? undefined;
    let secret = form.get("client_secret") ?? undefined;
    const basic = /^Basic\s+(.+)$/i.exec(authorization ?? "");
    if (basic) {
      const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0) {
        clientId = decodeURIComponent(decoded.slice(0, colon));
        secret = decodeURIComponent(decoded.slice(colon + 1));
      }
    }
    if (form.get("grant_type") !== "client_credentials") {
      return { ok: false, status: 400, error: "unsupported_grant_type", description: "only client_credentials is supported", ...(clientId ? { clientId } : {}) };
    }
    if (!clientId || secret === undefined || this.clients[clientId] !== secret) {
      return { ok: false, status: 401, error: "invalid_client", description: "unknown client or wrong secret", ...(clientId ? { clientId } : {}) };
    }
    const token: IssuedToken = {
      token: randomBytes(24).toString("base64url"),
      clientId,
      scope: form.get("scope") ?? "",
      expiresAt: now + this.ttlMs,
    };
    this.tokens.set(token.token, token);
    return { ok: true, token };
  }

  check(authorization: string | undefined, now: number): TokenCheck {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    if (!match) return { ok: false, error: "missing" };
    const token = this.tokens.get(match[1]!);
    if (!token) return { ok: false, error: "invalid" };
    if (token.expiresAt <= now) return { ok: false, error: "expired", clientId: token.clientId };
    return { ok: true, clientId: token.clientId };
  }

  /** Expires a client's tokens now (the `expired-token` fault and tests). */
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
