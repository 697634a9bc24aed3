/**
 * Signing secrets as bytes. Standard Webhooks secrets are `whsec_` and base64; any other
 * string is used as its UTF-8 bytes (GitHub's and most providers' secrets), and raw bytes
 * as they are.
 */
import { WebhookConfigError } from "./errors.js";

export type WebhookSecret = string | Uint8Array;

const PREFIX = "whsec_";
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function secretBytes(secret: WebhookSecret): Uint8Array {
  if (secret instanceof Uint8Array) {
    if (secret.length === 0) throw new WebhookConfigError("a webhook secret must not be empty");
    return secret;
  }
  if (typeof secret !== "string" || secret.length === 0) throw new WebhookConfigError("a webhook secret is a non-empty string or bytes");
  if (!secret.startsWith(PREFIX)) return new TextEncoder().encode(secret);
  const encoded = secret.slice(PREFIX.length);
  const bytes = encoded.length % 4 === 0 && BASE64.test(encoded) ? decodeBase64(encoded) : undefined;
  if (bytes === undefined || bytes.length === 0) throw new WebhookConfigError("a whsec_ secret must be base64 after the prefix");
  return bytes;
}

/** The secrets to try, newest first as given; at least one. */
export function secretList(secrets: WebhookSecret | readonly WebhookSecret[] | undefined): Uint8Array[] {
  const list = secrets === undefined ? [] : Array.isArray(secrets) ? (secrets as readonly WebhookSecret[]) : [secrets as WebhookSecret];
  if (list.length === 0) throw new WebhookConfigError("verifying webhooks needs at least one secret");
  return list.map(secretBytes);
}

export function decodeBase64(text: string): Uint8Array | undefined {
  try {
    const binary = atob(text);
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function decodeHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

export function encodeHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
