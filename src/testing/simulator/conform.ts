/**
 * Makes a response body valid against its schema. Real specs ship examples that break
 * their own schemas (a number where the schema says string, a date where it says
 * date-time); a simulator that served them would fail its users' contract tests for
 * the spec's sake. Each invalid value is replaced by a plain value of the failing
 * schema, until the body validates (or a bounded number of passes is spent).
 */
import type { ErrorObject } from "ajv";
import { isObject } from "../../codegen/json.js";
import type { RequestValidator } from "./validation.js";

const FORMAT_VALUES: Readonly<Record<string, string>> = {
  "date-time": "2030-01-15T10:24:00Z",
  date: "2030-01-15",
  time: "10:24:00Z",
  email: "someone@example.org",
  uri: "https://example.org/resource",
  url: "https://example.org/resource",
  uuid: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
  hostname: "example.org",
  ipv4: "192.0.2.1",
  ipv6: "2001:db8::1",
};

export function conformToSchema(validator: RequestValidator, schema: unknown, body: unknown): { body: unknown; repaired: number } {
  let value = structuredClone(body);
  let repaired = 0;
  for (let pass = 0; pass < 5; pass++) {
    const errors = validator.verboseErrors(schema, value);
    if (errors.length === 0) break;
    // Deepest first, so a repair does not replace a parent another error is about to fix.
    const sorted = [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length);
    let changed = false;
    for (const error of sorted.slice(0, 200)) {
      const replacement = repair(error);
      if (replacement === undefined) continue;
      value = setAt(value, error.instancePath, replacement.value, replacement.key);
      changed = true;
      repaired++;
    }
    if (!changed) break;
  }
  return { body: value, repaired };
}

/** What to put where an error is: a value for the failing schema, or for a missing property. */
function repair(error: ErrorObject): { value: unknown; key?: string } | undefined {
  const schema = error.parentSchema;
  if (!isObject(schema)) return undefined;
  if (error.keyword === "required" && typeof error.params.missingProperty === "string") {
    const properties = isObject(schema.properties) ? schema.properties : {};
    return { value: plainValue(properties[error.params.missingProperty]), key: error.params.missingProperty };
  }
  if (error.keyword === "additionalProperties") return undefined;
  return { value: plainValue(schema) };
}

function plainValue(schema: unknown): unknown {
  if (!isObject(schema)) return null;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ("const" in schema) return schema.const;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "string": {
      const fromFormat = typeof schema.format === "string" ? FORMAT_VALUES[schema.format] : undefined;
      const text = fromFormat ?? "string";
      const min = typeof schema.minLength === "number" ? schema.minLength : 0;
      const max = typeof schema.maxLength === "number" ? schema.maxLength : Infinity;
      return text.padEnd(min, "x").slice(0, max);
    }
    case "integer":
    case "number": {
      const min = typeof schema.minimum === "number" ? schema.minimum : typeof schema.exclusiveMinimum === "number" ? schema.exclusiveMinimum + 1 : 0;
      return type === "integer" ? Math.ceil(min) : min;
    }
    case "boolean":
      return true;
    case "array":
      return [];
    case "object":
      return {};
    case "null":
      return null;
    default:
      return schema.nullable === true ? null : "string";
  }
}

function setAt(root: unknown, pointer: string, value: unknown, key?: string): unknown {
  const segments = pointer.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (key !== undefined) segments.push(key);
  if (segments.length === 0) return value;
  let node = root;
  for (const segment of segments.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(segment)];
    else if (isObject(node)) node = node[segment];
    else return root;
  }
  const last = segments[segments.length - 1]!;
  if (Array.isArray(node)) node[Number(last)] = value;
  else if (isObject(node)) node[last] = value;
  return root;
}
