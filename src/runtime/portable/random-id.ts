/**
 * Random v4 UUIDs from the Web Crypto API every runtime carewire supports has as a global
 * (Node 20+, browsers, workers). `crypto.getRandomValues` rather than `crypto.randomUUID`:
 * browsers offer the latter only on secure (https) pages.
 *
 * Every call makes one (its request id), and a `getRandomValues` call costs about 5 µs in
 * Node however few bytes it fills: the bytes are drawn 256 ids at a time, as Node's own
 * `randomUUID` caches its entropy. Each id still gets fresh bytes of its own.
 */
const IDS_PER_FILL = 256;
const pool = new Uint8Array(16 * IDS_PER_FILL);
let offset = pool.length;

/** Character codes of each byte's two hex digits, high then low. */
const HIGH = Array.from({ length: 256 }, (_, byte) => "0123456789abcdef".charCodeAt(byte >> 4));
const LOW = Array.from({ length: 256 }, (_, byte) => "0123456789abcdef".charCodeAt(byte & 0x0f));
const DASH = 0x2d;

export function randomId(): string {
  if (offset === pool.length) {
    globalThis.crypto.getRandomValues(pool);
    offset = 0;
  }
  const b = pool;
  const o = offset;
  offset += 16;
  const version = (b[o + 6]! & 0x0f) | 0x40; // version 4
  const variant = (b[o + 8]! & 0x3f) | 0x80; // RFC 4122 variant
  // One flat string from its 36 character codes: joining 20 pieces with `+` makes a chain
  // of 19 intermediate strings, flattened again when the id is sent as a header.
  return String.fromCharCode(
    HIGH[b[o]!]!, LOW[b[o]!]!, HIGH[b[o + 1]!]!, LOW[b[o + 1]!]!, HIGH[b[o + 2]!]!, LOW[b[o + 2]!]!, HIGH[b[o + 3]!]!, LOW[b[o + 3]!]!, DASH,
    HIGH[b[o + 4]!]!, LOW[b[o + 4]!]!, HIGH[b[o + 5]!]!, LOW[b[o + 5]!]!, DASH,
    HIGH[version]!, LOW[version]!, HIGH[b[o + 7]!]!, LOW[b[o + 7]!]!, DASH,
    HIGH[variant]!, LOW[variant]!, HIGH[b[o + 9]!]!, LOW[b[o + 9]!]!, DASH,
    HIGH[b[o + 10]!]!, LOW[b[o + 10]!]!, HIGH[b[o + 11]!]!, LOW[b[o + 11]!]!, HIGH[b[o + 12]!]!, LOW[b[o + 12]!]!,
    HIGH[b[o + 13]!]!, LOW[b[o + 13]!]!, HIGH[b[o + 14]!]!, LOW[b[o + 14]!]!, HIGH[b[o + 15]!]!, LOW[b[o + 15]!]!,
  );
}
