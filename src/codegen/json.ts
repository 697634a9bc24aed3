/** Small helpers for walking untrusted spec JSON without `any`. */
export type JsonObject = { [key: string]: unknown };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isRef(value: unknown): value is { $ref: string } {
  return isObject(value) && typeof value.$ref === "string";
}

/** Keys whose values are example data, not schema: a "$ref" inside one is not a reference. */
export function isExampleKey(key: string): boolean {
  return key === "example" || key === "x-examples";
}

export function unescapePointerSegment(segment: string): string {
  return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}

/** Resolves a local JSON pointer ("#/a/b") inside `root`; undefined when it dangles. */
export function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  const path = ref.slice(1);
  if (path === "") return root;
  if (!path.startsWith("/")) return undefined;
  return resolveSegments(root, path.slice(1).split("/").map((raw) => unescapePointerSegment(decodeURIComponent(raw))));
}

/** The value at a pointer's unescaped segments inside `root`; undefined when it dangles. */
export function resolveSegments(root: unknown, segments: readonly string[]): unknown {
  let node: unknown = root;
  for (const key of segments) {
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isObject(node)) node = Object.prototype.hasOwnProperty.call(node, key) ? node[key] : undefined;
    else return undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

/** Follows `$ref` chains (bounded, so a ref cycle cannot hang codegen). */
export function deref(root: unknown, value: unknown): unknown {
  let node = value;
  for (let hops = 0; hops < 32 && isRef(node); hops++) node = resolvePointer(root, node.$ref);
  return node;
}

/**
 * Text that reads back the same from inside a JavaScript template literal: how generated
 * files carry JSON (the compiler checks one string, not a literal per value).
 */
export function templateLiteralSafe(text: string): string {
  return text.replace(/[`\\]|\$\{/g, (m) => `\\${m}`);
}
