/**
 * Fields a body carries that its schema does not declare: drift a tolerant reader
 * keeps, so the contract runner reports them as warnings rather than violations.
 */
import { deref, isObject, type JsonObject } from "../../codegen/json.js";
import { shapeOf } from "./drift.js";

export function undeclaredFields(doc: JsonObject, schema: unknown, body: unknown, limit = 50): string[] {
  const found: string[] = [];
  const visit = (value: unknown, s: unknown, path: string, depth: number) => {
    if (found.length >= limit || depth > 16) return;
    const resolved = deref(doc, s);
    if (!isObject(resolved)) return;
    if (Array.isArray(value)) {
      for (const item of value.slice(0, 20)) visit(item, resolved.items, `${path}[*]`, depth + 1);
      return;
    }
    if (!isObject(value)) return;
    const shape = shapeOf(doc, resolved);
    // Maps and schemas without properties declare nothing to compare against.
    if (!shape || (resolved.additionalProperties !== undefined && resolved.additionalProperties !== false)) return;
    for (const [key, child] of Object.entries(value)) {
      const childPath = `${path}.${key}`;
      if (!(key in shape.properties)) {
        if (!found.includes(childPath)) found.push(childPath);
      } else visit(child, shape.properties[key], childPath, depth + 1);
    }
  };
  visit(body, schema, "body", 0);
  return found;
}
