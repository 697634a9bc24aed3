/**
 * Random v4 UUIDs from the Web Crypto API every runtime carewire supports has as a global
 * (Node 20+, browsers, workers). `crypto.getRandomValues` rather than `crypto.randomUUID`:
 * browsers offer the latter only on secure (https) pages.
 */
export function randomId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
