/**
 * Schema drift a provider ships without notice: extra fields, missing optional
 * fields, enum values the spec does not list, a field whose type changed. Applied to
 * the top-level object of a response body and to the objects of its arrays (list pages).
 */
import { deref, isObject, type JsonObject } from "../../codegen/json.js";
import type { DriftKind } from "./faults.js";

export const DRIFT_EXTRA_FIELD = "carewireDriftExtra";
export const DRIFT_ENUM_VALUE = "carewire_unknown_value";

export interface ObjectShape {
  properties: Record<string, JsonObject>;
  required: Set<string>;
}

/** Properties of an object schema, merged through allOf. */
export function shapeOf(doc: JsonObject, schema: unknown, depth = 0): ObjectShape | undefined {
  const s = deref(doc, schema);
  if (!isObject(s) || depth > 8) return undefined;
  const shape: ObjectShape = { properties: {}, required: new Set() };
  let found = false;
  if (isObject(s.properties)) {
    found = true;
    for (const [key, value] of Object.entries(s.properties)) {
      const resolved = deref(doc, value);
      if (isObject(resolved)) shape.properties[key] = resolved;
    }
    if (Array.isArray(s.required)) for (const r of s.required) if (typeof r === "string") shape.required.add(r);
  }
  for (const member of Array.isArray(s.allOf) ? s.allOf : []) {
    const inner = shapeOf(doc, member, depth + 1);
    if (!inner) continue;
    found = true;
    Object.assign(shape.properties, inner.properties);
    for (const r of inner.required) shape.required.add(r);
  }
  return found ? shape : undefined;
}

function driftObject(value: JsonObject, shape: ObjectShape, kind: DriftKind): boolean {
  switch (kind) {
    case "extra-fields":
      value[DRIFT_EXTRA_FIELD] = { addedBy: "carewire simulator" };
      return true;
    case "missing-optional": {
      const key = Object.keys(value).find((k) => k in shape.properties && !shape.required.has(k));
      if (key === undefined) return false;
      delete value[key];
      return true;
    }
    case "unknown-enum": {
      const key = Object.keys(shape.properties).find((k) => Array.isArray(shape.properties[k]!.enum) && k in value);
      if (key === undefined) return false;
      value[key] = DRIFT_ENUM_VALUE;
      return true;
    }
    case "changed-type": {
      const key = Object.keys(value).find((k) => typeof value[k] === "string" || typeof value[k] === "number" || typeof value[k] === "boolean");
      if (key === undefined) return false;
      const current = value[key];
      value[key] = typeof current === "string" ? 12345 : String(current);
      return true;
    }
  }
}

/** Returns the drifted body (a copy) and whether anything could be changed. */
export function applyDrift(doc: JsonObject, schema: unknown, body: unknown, kind: DriftKind): { body: unknown; applied: boolean } {
  const copy = structuredClone(body);
  let applied = false;
  const visit = (value: unknown, s: unknown) => {
    const resolved = deref(doc, s);
    if (Array.isArray(value)) {
      const items = isObject(resolved) ? resolved.items : undefined;
      for (const item of value) visit(item, items);
      return;
    }
    if (!isObject(value)) return;
    const shape = shapeOf(doc, resolved) ?? { properties: {}, required: new Set<string>() };
    if (driftObject(value, shape, kind)) applied = true;
    // One level down into arrays of objects: the records of a list page.
    for (const [key, child] of Object.entries(value)) {
      if (Array.isArray(child)) {
        const childSchema = deref(doc, shape.properties[key]);
        for (const item of child) if (isObject(item)) visit(item, isObject(childSchema) ? childSchema.items : undefined);
      }
    }
  };
  visit(copy, schema);
  return { body: copy, applied };
}
