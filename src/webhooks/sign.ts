/**
 * Signing a webhook as a sender does: for tests, the simulators, and apps that send
 * webhooks of their own. The answer is the headers to send with exactly `body`.
 */
import { hmac, importKey, signedContent } from "./hmac.js";
import { standardWebhooks, type WebhookScheme } from "./schemes.js";
import { encodeBase64, encodeHex, secretBytes, type WebhookSecret } from "./secrets.js";
import { WebhookConfigError } from "./errors.js";

export interface SignOptions {
  readonly secret: WebhookSecret;
  /** The event id (required by schemes that carry it in a header). */
  readonly id?: string;
  /** Unix seconds; default now. */
  readonly timestamp?: number;
  /** Default Standard Webhooks. */
  readonly scheme?: WebhookScheme;
}

export async function signWebhook(body: string | Uint8Array, options: SignOptions): Promise<Record<string, string>> {
  const scheme = options.scheme ?? standardWebhooks;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  if (scheme.idHeader !== undefined && (options.id === undefined || options.id === "")) throw new WebhookConfigError(`signing for ${scheme.signatureHeader} needs an id`);
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const mac = await hmac(await importKey(secretBytes(options.secret)), signedContent(scheme.signedPrefix({ id: options.id, timestamp }), bytes));
  const encoded = scheme.encoding === "hex" ? encodeHex(mac) : encodeBase64(mac);
  const format = scheme.format;
  const headers: Record<string, string> = {
    [scheme.signatureHeader]:
      format.kind === "list" ? `${format.prefix}${encoded}` : `${format.timestampKey !== undefined ? `${format.timestampKey}=${timestamp},` : ""}${format.signatureKey}=${encoded}`,
  };
  if (scheme.idHeader !== undefined) headers[scheme.idHeader] = options.id!;
  if (scheme.timestampHeader !== undefined) headers[scheme.timestampHeader] = String(timestamp);
  return headers;
}
