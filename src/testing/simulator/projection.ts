/**
 * A stored resource as one operation's response shows it: only what that response's schema
 * declares, all the way down. A resource is stored as its create answered it, with what the
 * client sent that the read declares; a read, a list or an update may declare less (a compact
 * list item, a read view without the create's extras), and serving the rest would make the
 * simulator's own answers look like drift.
 * Where a schema admits more (`additionalProperties`, `patternProperties`), branches
 * (`oneOf`, `anyOf`, a discriminator) or declares one key twice in its `allOf` parts, the
 * value there is kept as it is: dropping a field the response may well declare is worse than
 * keeping one it does not.
 */
import { deref, isObject, type JsonObject } from "../../codegen/json.js";

/** Objects deeper than real resources go: past it a value is served as stored. */
const MAX_OBJECT_DEPTH = 32;

/** How deep `allOf` parts are followed. */
const MAX_PARTS_DEPTH = 8;

export function projectTo(doc: JsonObject, value: unknown, schema: unknown, depth = 0): unknown {
  const resolved = deref(doc, schema);
  if (!isObject(resolved)) return value;
  if (Array.isArray(value)) return resolved.items === undefined ? value : value.map((item) => projectTo(doc, item, resolved.items, depth));
  if (!isObject(value) || depth >= MAX_OBJECT_DEPTH) return value;
  const shape = declaredShape(doc, resolved);
  if (shape === undefined) return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    const schemas = Object.hasOwn(shape.properties, key) ? shape.properties[key]! : undefined;
    if (schemas === undefined && !shape.open) continue;
    // Defined, not assigned: a stored `__proto__` field stays a field.
    Object.defineProperty(out, key, { value: schemas?.length === 1 ? projectTo(doc, child, schemas[0], depth + 1) : child, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

interface DeclaredShape {
  /** Each declared key's schemas (more than one when several allOf parts declare it). */
  readonly properties: Record<string, unknown[]>;
  /** The object may hold keys it does not name. */
  readonly open: boolean;
}

/** What an object schema declares across its allOf parts; undefined where it branches or names nothing. */
function declaredShape(doc: JsonObject, schema: JsonObject): DeclaredShape | undefined {
  const properties: Record<string, unknown[]> = Object.create(null) as Record<string, unknown[]>;
  let open = false;
  let named = false;
  const visit = (node: unknown, depth: number): boolean => {
    const part = deref(doc, node);
    if (!isObject(part) || depth > MAX_PARTS_DEPTH) return false;
    if (part.oneOf !== undefined || part.anyOf !== undefined || part.discriminator !== undefined) return false;
    if ((part.additionalProperties !== undefined && part.additionalProperties !== false) || part.patternProperties !== undefined || part.unevaluatedProperties === true || isObject(part.unevaluatedProperties)) open = true;
    if (isObject(part.properties)) {
      named = true;
      for (const [key, property] of Object.entries(part.properties)) (properties[key] ??= []).push(property);
    }
    return !Array.isArray(part.allOf) || part.allOf.every((inner) => visit(inner, depth + 1));
  };
  return visit(schema, 0) && named ? { properties, open } : undefined;
}
