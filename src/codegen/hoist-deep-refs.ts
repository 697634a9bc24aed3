/**
 * A `$ref` that points inside a component schema (`#/components/schemas/Event/properties/
 * attributes`) becomes, in openapi-typescript's output, an indexed access through optional
 * properties (`components["schemas"]["Event"]["attributes"]`): its type then includes
 * `undefined`, and the generated types stop compiling under `strict` (`keyof` of it is
 * `never`; a deeper index fails). Each such target is given a component schema of its own and
 * the refs point there, so the types name it directly. The spec's meaning is unchanged.
 */
import { isObject, resolvePointer, type JsonObject } from "./json.js";

const SCHEMAS = "#/components/schemas/";

/** A ref into a component schema (`#/components/schemas/Event/properties/attributes`), not to one. */
export function isDeepSchemaRef(ref: string): boolean {
  return ref.startsWith(SCHEMAS) && ref.slice(SCHEMAS.length).includes("/");
}

/** A copy of the document with every deep schema ref pointing at a hoisted component of its own. */
export function hoistDeepSchemaRefs(document: JsonObject): JsonObject {
  const doc = structuredClone(document);
  const schemas = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : undefined;
  if (schemas === undefined) return doc;
  const hoisted = new Map<string, string>();
  const nameFor = (ref: string): string | undefined => {
    const known = hoisted.get(ref);
    if (known !== undefined) return known;
    const target = resolvePointer(document, ref);
    if (!isObject(target)) return undefined;
    const base = ref
      .slice(SCHEMAS.length)
      .split("/")
      .filter((part) => part !== "properties")
      .map((part) => decodeURIComponent(part).replace(/~1/g, "_").replace(/~0/g, "_").replace(/[^A-Za-z0-9_]/g, "_"))
      .join("_");
    let name = base;
    for (let n = 2; Object.hasOwn(schemas, name); n++) name = `${base}${n}`;
    hoisted.set(ref, name);
    // The copy may itself hold deep refs: they are rewritten by the same walk.
    schemas[name] = structuredClone(target);
    return name;
  };
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (!isObject(node)) return;
    const ref = node.$ref;
    if (typeof ref === "string" && isDeepSchemaRef(ref)) {
      const name = nameFor(ref);
      if (name !== undefined) node.$ref = `${SCHEMAS}${name}`;
    }
    for (const value of Object.values(node)) walk(value);
  };
  // New components are walked as they are added (Object.values of a live object is a snapshot, so loop until none is added).
  let seen = -1;
  while (seen !== hoisted.size) {
    seen = hoisted.size;
    walk(doc);
  }
  return doc;
}
