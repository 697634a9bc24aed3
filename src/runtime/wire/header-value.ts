/**
 * Response header reads, from one pass over the headers. carewire asks about twenty names of
 * each response (rate-limit and retry hints, request ids, caching, length and type), most of
 * them absent; undici's `Headers.get` checks and lower-cases its argument on every call,
 * which costs about four times as much as reading the few headers a response has once into
 * a map. The map is kept per Headers object: a response's headers are not changed after
 * it arrives (fetch's are immutable; carewire never changes those it makes). Only
 * `set-cookie` may come back several times, and carewire never reads it here.
 */
const snapshots = new WeakMap<Headers, Map<string, string>>();

/** The value of `name` (lower case), as `headers.get` returns it, or null. */
export function headerValue(headers: Headers, name: string): string | null {
  // Something shaped like headers but with `get` alone (a test double, a caller's own object): asked as it is.
  if (typeof headers.forEach !== "function") return headers.get(name);
  let snapshot = snapshots.get(headers);
  if (snapshot === undefined) {
    const read = new Map<string, string>();
    headers.forEach((value, key) => read.set(key, value));
    snapshots.set(headers, (snapshot = read));
  }
  return snapshot.get(name) ?? null;
}
