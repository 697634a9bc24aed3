/** Reads a value at a descriptor's body path, without trusting the body's shape. */
import type { BodyPath } from "./descriptor.js";

export function valueAt(body: unknown, path: BodyPath): unknown {
  let node = body;
  for (const key of path) {
    if (typeof node !== "object" || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
