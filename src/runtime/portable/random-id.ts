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

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

export function randomId(): string {
  if (offset === pool.length) {
    globalThis.crypto.getRandomValues(pool);
    offset = 0;
  }
  const b = pool;
  const o = offset;
  offset += 16;
  const version = HEX[(b[o + 6]! & 0x0f) | 0x40]!; // version 4
  const variant = HEX[(b[o + 8]! & 0x3f) | 0x80]!; // RFC 4122 variant
  return (
    HEX[b[o]!]! + HEX[b[o + 1]!]! + HEX[b[o + 2]!]! + HEX[b[o + 3]!]! + "-" +
    HEX[b[o + 4]!]! + HEX[b[o + 5]!]! + "-" +
    version + HEX[b[o + 7]!]! + "-" +
    variant + HEX[b[o + 9]!]! + "-" +
    HEX[b[o + 10]!]! + HEX[b[o + 11]!]! + HEX[b[o + 12]!]! + HEX[b[o + 13]!]! + HEX[b[o + 14]!]! + HEX[b[o + 15]!]!
  );
}
