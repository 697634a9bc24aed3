/**
 * Write-only fields (passwords, card numbers, secrets a client sends) never appear in a
 * response. Specs' own response examples sometimes carry them; this takes them out,
 * through nested objects, arrays and the branches of allOf/oneOf/anyOf.
 */
import { deref, isObject, type JsonObject } from "../../codegen/json.js";

export function withoutWriteOnly(doc: JsonObject, schema: unknown, value: unknown, depth = 0): unknown {
  const s = deref(doc, schema);
  if (!isObject(s) || depth > 12) return value;
  if (Array.isArray(value)) return s.items === undefined ? value : value.map((item) => withoutWriteOnly(doc, s.items, item, depth + 1));
  if (!isObject(value)) return value;
  let out = value;
  if (isObject(s.properties)) {
    for (const [key, raw] of Object.entries(s.properties)) {
      if (!(key in out)) continue;
      const property = deref(doc, raw);
      if (isObject(property) && property.writeOnly === true) {
        if (out === value) out = { ...value };
        delete out[key];
        continue;
      }
      const inner = withoutWriteOnly(doc, property, out[key], depth + 1);
      if (inner !== out[key]) {
        if (out === value) out = { ...value };
        out[key] = inner;
      }
    }
  }
  for (const keyword of ["allOf", "oneOf", "anyOf"] as const) {
    for (const member of Array.isArray(s[keyword]) ? s[keyword] : []) out = withoutWriteOnly(doc, member, out, depth + 1) as JsonObject;
  }
  return out;
}
