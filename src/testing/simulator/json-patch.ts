/**
 * JSON Patch (RFC 6902) for the simulators: the FHIR `patch` interaction and an OpenAPI PATCH
 * with an `application/json-patch+json` body. Add, remove, replace, move, copy
 * and test on a copy of the document, so a patch that fails part-way changes nothing.
 */

/** A failure says why, and whether it was a `test` operation that did not hold (a conflict, not a bad patch). */
export type PatchResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string; readonly testFailed?: true };

type Container = Record<string, unknown> | unknown[];

export function applyJsonPatch(document: unknown, operations: unknown): PatchResult {
  if (!Array.isArray(operations)) return { ok: false, reason: "a JSON Patch is a list of operations" };
  let doc = structuredClone(document);
  for (const [i, operation] of operations.entries()) {
    const { op, path, value, from } = (operation ?? {}) as { op?: unknown; path?: unknown; value?: unknown; from?: unknown };
    if (typeof path !== "string") return { ok: false, reason: `operation ${i} has no path` };
    try {
      switch (op) {
        case "add":
          doc = put(doc, path, structuredClone(value), true);
          break;
        case "replace":
          get(doc, path);
          doc = put(doc, path, structuredClone(value), false);
          break;
        case "remove":
          doc = remove(doc, path);
          break;
        case "copy":
        case "move": {
          if (typeof from !== "string") return { ok: false, reason: `operation ${i} has no from` };
          const moved = structuredClone(get(doc, from));
          if (op === "move") doc = remove(doc, from);
          doc = put(doc, path, moved, true);
          break;
        }
        case "test":
          if (JSON.stringify(get(doc, path)) !== JSON.stringify(value)) return { ok: false, reason: `operation ${i}: test failed at ${path}`, testFailed: true };
          break;
        default:
          return { ok: false, reason: `operation ${i} has an unknown op` };
      }
    } catch (error) {
      return { ok: false, reason: `operation ${i}: ${(error as Error).message}` };
    }
  }
  return { ok: true, value: doc };
}

function tokens(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new Error(`${pointer} is not a JSON pointer`);
  return pointer.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function child(container: unknown, token: string): unknown {
  if (Array.isArray(container)) return container[arrayIndex(container, token, false)];
  if (container !== null && typeof container === "object" && Object.hasOwn(container, token)) return (container as Record<string, unknown>)[token];
  throw new Error(`nothing at ${token}`);
}

function arrayIndex(list: readonly unknown[], token: string, adding: boolean): number {
  if (adding && token === "-") return list.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new Error(`${token} is not an index`);
  const index = Number(token);
  if (index > list.length || (!adding && index === list.length)) throw new Error(`index ${token} is out of range`);
  return index;
}

function get(doc: unknown, pointer: string): unknown {
  return tokens(pointer).reduce(child, doc);
}

/** The parent container of the pointer's target, and the target's last token. */
function parentOf(doc: unknown, pointer: string): { parent: Container; last: string } {
  const path = tokens(pointer);
  const last = path.pop();
  if (last === undefined) throw new Error("the root cannot be changed in place");
  const parent = path.reduce(child, doc);
  if (parent === null || typeof parent !== "object") throw new Error(`${pointer} has no parent object`);
  return { parent: parent as Container, last };
}

function put(doc: unknown, pointer: string, value: unknown, adding: boolean): unknown {
  if (pointer === "") return value;
  const { parent, last } = parentOf(doc, pointer);
  if (Array.isArray(parent)) {
    const index = arrayIndex(parent, last, adding);
    if (adding) parent.splice(index, 0, value);
    else parent[index] = value;
  } else {
    // Own data properties only: a body's `__proto__` must not reach Object's prototype.
    Object.defineProperty(parent, last, { value, enumerable: true, writable: true, configurable: true });
  }
  return doc;
}

function remove(doc: unknown, pointer: string): unknown {
  const { parent, last } = parentOf(doc, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, false), 1);
  else if (Object.hasOwn(parent, last)) delete parent[last];
  else throw new Error(`nothing at ${pointer}`);
  return doc;
}
