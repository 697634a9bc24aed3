/**
 * Bracketed keys (`metadata[plan]=gold`, `items[0][price]=p`, `expand[]=x`) as nested values:
 * the convention of form bodies with objects in them and of `deepObject` query parameters.
 * Numeric or empty segments make arrays. Keys that would reach an object's prototype are
 * dropped, and nesting is bounded: the input is a client's.
 */
import type { JsonObject } from "../../codegen/json.js";

const MAX_DEPTH = 32;
const FORBIDDEN = new Set(["__proto__", "constructor", "prototype"]);

type Node = Record<string, unknown> | unknown[];

export function bracketDecode(pairs: Iterable<readonly [string, string]>): JsonObject {
  const root: JsonObject = Object.create(null) as JsonObject;
  for (const [key, value] of pairs) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    const segments = match ? [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]!)] : [key];
    if (segments.length > MAX_DEPTH || segments.some((s) => FORBIDDEN.has(s))) continue;
    let node: Node = root;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const last = i === segments.length - 1;
      const nextIsIndex = !last && /^\d*$/.test(segments[i + 1]!);
      if (Array.isArray(node)) {
        const index = segment === "" ? node.length : Number(segment);
        if (!Number.isSafeInteger(index) || index > 10_000) break;
        if (last) node[index] = value;
        else node = (node[index] ??= nextIsIndex ? [] : (Object.create(null) as JsonObject)) as Node;
      } else if (last) {
        node[segment] = value;
      } else {
        const child: unknown = node[segment];
        // A key given both plain and bracketed keeps the first shape it was given.
        if (child !== undefined && (typeof child !== "object" || child === null)) break;
        node = (node[segment] ??= nextIsIndex ? [] : (Object.create(null) as JsonObject)) as Node;
      }
    }
  }
  return plain(root) as JsonObject;
}

/** Null-prototype objects (safe while building) as plain ones, and sparse arrays compacted. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== undefined).map(plain);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}
