/**
 * OAuth 2.0 client credentials with a client secret: the token source
 * behind `auth: { tokenUrl, clientId, clientSecret }`. The bearer policy (bearer.ts) owns
 * single flight, refresh and the 401 rule; the request itself is token-endpoint.ts.
 */
import { postTokenRequest, resolveTokenUrl } from "./token-endpoint.js";
import type { IssuedToken, TokenDeps, TokenRequestContext, TokenSource } from "./token-source.js";

export interface ClientCredentialsOptions {
  /** Absolute, or relative to the client's baseUrl (e.g. `/oauth/token`). */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope?: string | undefined;
  /** Refresh this long before expiry. Default 30 s. */
  readonly refreshSkewMs?: number | undefined;
  /** Send credentials as HTTP Basic instead of in the form body. */
  readonly basicAuth?: boolean | undefined;
}

export function clientCredentials(options: ClientCredentialsOptions): TokenSource {
  return {
    clientId: options.clientId,
    cacheKey: `${options.tokenUrl}\u0000${options.scope ?? ""}`,
    ...(options.refreshSkewMs !== undefined ? { refreshSkewMs: options.refreshSkewMs } : {}),
    requestToken(context: TokenRequestContext, deps: TokenDeps): Promise<IssuedToken> {
      const headers: Record<string, string> = {};
      if (options.basicAuth) headers.authorization = `Basic ${btoa(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`)}`;
      const body = () => {
        const form = new URLSearchParams({ grant_type: "client_credentials", ...(options.scope ? { scope: options.scope } : {}) });
        if (!options.basicAuth) {
          form.set("client_id", options.clientId);
          form.set("client_secret", options.clientSecret);
        }
        return form;
      };
      return postTokenRequest(resolveTokenUrl(options.tokenUrl, deps.baseUrl), body, headers, context, deps);
    },
  };
}
