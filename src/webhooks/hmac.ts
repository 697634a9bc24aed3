/**
 * HMAC-SHA256 through Web Crypto (`globalThis.crypto.subtle`): Node 20+, browsers and edge
 * runtimes all have it as a global, so verification runs wherever a webhook lands (a
 * Next.js edge route, a worker) without importing `node:crypto`. `subtle.verify` compares
 * in constant time, so checking a signature never leaks how much of it matched.
 */
import { WebhookConfigError } from "./errors.js";

const ALGORITHM = { name: "HMAC", hash: "SHA-256" } as const;

type Subtle = typeof globalThis.crypto.subtle;
/** A key made ready once for signing and verifying. */
export type HmacKey = Awaited<ReturnType<Subtle["importKey"]>>;

function subtle(): Subtle {
  const found = globalThis.crypto?.subtle;
  if (found === undefined) throw new WebhookConfigError("webhook signatures need Web Crypto (crypto.subtle): Node 20+, a browser on https, or an edge runtime");
  return found;
}

export function importKey(secret: Uint8Array): Promise<HmacKey> {
  return subtle().importKey("raw", secret, ALGORITHM, false, ["sign", "verify"]);
}

export async function hmac(key: HmacKey, content: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().sign("HMAC", key, content));
}

/** Constant-time check of one candidate MAC. */
export function hmacMatches(key: HmacKey, mac: Uint8Array, content: Uint8Array): Promise<boolean> {
  return subtle().verify("HMAC", key, mac, content);
}

/** The signed content: the scheme's prefix, then the raw body bytes exactly as received. */
export function signedContent(prefix: string, body: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(prefix);
  const content = new Uint8Array(head.length + body.length);
  content.set(head);
  content.set(body, head.length);
  return content;
}

/** A hex SHA-256 of the signed content: the dedupe id when a scheme leaves its id header unsigned. */
export async function contentDigest(content: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await subtle().digest("SHA-256", content));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
