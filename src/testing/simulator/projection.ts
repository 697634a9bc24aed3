/**
 * A stored resource as one operation's response shows it: only what that response's schema
 * declares, all the way down. A resource is stored as its create answered it; a read, a list
 * or an update may declare less (a compact list item, a read view without the create's
 * extras), and serving the rest would make the simulator's own answers look like drift.
 * Where a schema admits more (`additionalProperties`) or branches (`oneOf`, `anyOf`), the
 * value there is kept as it is.
 */
import { deref, isObject, type JsonObject } from "../../codegen/json.js";
import { shapeOf } from "./drift.js";

/** Deeper than real resources go: past it a value is served as stored. */
const MAX_DEPTH = 16;

export function projectTo(doc: JsonObject, value: unknown, schema: unknown, depth = 0): unknown {
  const resolved = deref(doc, schema);
  if (!isObject(resolved) || depth > MAX_DEPTH || resolved.oneOf !== undefined || resolved.anyOf !== undefined) return value;
  if (Array.isArray(value)) return resolved.items === undefined ? value : value.map((item) => projectTo(doc, item, resolved.items, depth + 1));
  if (!isObject(value)) return value;
  const shape = shapeOf(doc, resolved);
  if (shape === undefined) return value;
  const open = admitsMore(doc, resolved);
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    const property = shape.properties[key];
    if (property !== undefined) out[key] = projectTo(doc, child, property, depth + 1);
    else if (open) out[key] = child;
  }
  return out;
}

/** Whether the schema, or a part of its allOf, lets an object hold keys it does not name. */
function admitsMore(doc: JsonObject, schema: JsonObject): boolean {
  if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) return true;
  return Array.isArray(schema.allOf) && schema.allOf.some((part) => {
    const resolved = deref(doc, part);
    return isObject(resolved) && resolved.additionalProperties !== undefined && resolved.additionalProperties !== false;
  });
}
