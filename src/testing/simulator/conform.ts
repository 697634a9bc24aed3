/**
 * Makes a response body valid against its schema. Real specs ship examples that break
 * their own schemas (a number where the schema says string, a date where it says
 * date-time); a simulator that served them would fail its users' contract tests for
 * the spec's sake. Each invalid value is replaced by a plain value of the failing
 * schema, until the body validates (or a bounded number of passes is spent).
 */
import type { ErrorObject } from "ajv";
import { isObject, type JsonObject } from "../../codegen/json.js";
import { stringForPattern } from "./strings.js";
import type { RequestValidator } from "./validation.js";

/** A sample of a schema taken from the validator's copy (refs point into the document as `spec#/…`). */
export type SchemaSampler = (schema: JsonObject) => unknown;

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
  duration: "P1D",
  "uri-reference": "/resource",
  "uri-template": "https://example.org/{id}",
  "iri": "https://example.org/resource",
  "iri-reference": "/resource",
  "idn-email": "someone@example.org",
  "idn-hostname": "example.org",
  "json-pointer": "/resource",
  "relative-json-pointer": "0",
  regex: ".*",
  byte: "Y2FyZXdpcmU=",
};

export function conformToSchema(validator: RequestValidator, schema: unknown, body: unknown, sampler?: SchemaSampler): { body: unknown; repaired: number } {
  let value = structuredClone(body);
  let repaired = 0;
  for (let pass = 0; pass < 5; pass++) {
    const errors = validator.verboseErrors(schema, value);
    if (errors.length === 0) break;
    // Deepest first, so a repair does not replace a parent another error is about to fix.
    const sorted = [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length);
    let changed = false;
    for (const error of sorted.slice(0, 200)) {
      const replacement = repair(error, sampler);
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
function repair(error: ErrorObject, sampler: SchemaSampler | undefined): { value: unknown; key?: string } | undefined {
  const schema = error.parentSchema;
  if (!isObject(schema)) return undefined;
  if (error.keyword === "required" && typeof error.params.missingProperty === "string") {
    const properties = isObject(schema.properties) ? schema.properties : {};
    const property = properties[error.params.missingProperty];
    return { value: isObject(property) && sampler && typeof property.$ref === "string" ? sampler(property) : plainValue(property), key: error.params.missingProperty };
  }
  if (error.keyword === "additionalProperties") return undefined;
  if (error.keyword === "maxItems" && Array.isArray(error.data)) return { value: error.data.slice(0, Number(error.params.limit)) };
  if (error.keyword === "uniqueItems" && Array.isArray(error.data)) return { value: uniqueOf(error.data) };
  if (error.keyword === "minItems" && Array.isArray(error.data)) {
    const item = isObject(schema.items) && sampler ? sampler(schema.items) : plainValue(schema.items);
    const filled = [...error.data];
    while (filled.length < Number(error.params.limit)) filled.push(structuredClone(item));
    return { value: filled };
  }
  if ((error.keyword === "oneOf" || error.keyword === "anyOf") && sampler) return { value: branchValue(schema, error.keyword, error.data, sampler) };
  return { value: plainValue(schema) };
}

/**
 * A value for a `oneOf`/`anyOf`: the branch the discriminator names (or the first), sampled,
 * with the discriminator property set to the name that selects that branch.
 */
function branchValue(schema: JsonObject, keyword: "oneOf" | "anyOf", data: unknown, sampler: SchemaSampler): unknown {
  const branches = (Array.isArray(schema[keyword]) ? schema[keyword] : []).filter(isObject);
  const discriminator = isObject(schema.discriminator) && typeof schema.discriminator.propertyName === "string" ? schema.discriminator : undefined;
  const mapping = discriminator && isObject(discriminator.mapping) ? (discriminator.mapping as Record<string, unknown>) : {};
  const refOf = (branch: JsonObject) => (typeof branch.$ref === "string" ? branch.$ref.replace(/^spec#/, "#") : undefined);
  const nameFor = (branch: JsonObject): string | undefined => {
    const ref = refOf(branch);
    const mapped = Object.entries(mapping).find(([, target]) => typeof target === "string" && ref !== undefined && (target === ref || target.endsWith(`/${ref.split("/").at(-1)}`)));
    return mapped?.[0] ?? ref?.split("/").at(-1);
  };
  const sent = discriminator && isObject(data) ? data[discriminator.propertyName as string] : undefined;
  const chosen = branches.find((b) => sent !== undefined && nameFor(b) === sent) ?? branches.find((b) => nameFor(b) !== undefined || !discriminator) ?? branches[0];
  if (!chosen) return plainValue(schema);
  const value = sampler(chosen);
  const name = nameFor(chosen);
  if (discriminator && name !== undefined && isObject(value)) value[discriminator.propertyName as string] = name;
  return value;
}

function uniqueOf(items: unknown[]): unknown[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = JSON.stringify(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function plainValue(schema: unknown): unknown {
  if (!isObject(schema)) return null;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ("const" in schema) return schema.const;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "string":
      return plainString(schema);
    case "integer":
    case "number":
      return plainNumber(schema, type === "integer");
    case "boolean":
      return true;
    case "array": {
      const min = typeof schema.minItems === "number" ? schema.minItems : 0;
      return Array.from({ length: min }, () => plainValue(schema.items));
    }
    case "object":
      return {};
    case "null":
      return null;
    default:
      return schema.nullable === true ? null : "string";
  }
}

function plainString(schema: JsonObject): string {
  const min = typeof schema.minLength === "number" ? schema.minLength : 0;
  const max = typeof schema.maxLength === "number" ? schema.maxLength : Infinity;
  if (typeof schema.pattern === "string") {
    const matching = stringForPattern(schema.pattern, { minLength: min, ...(max !== Infinity ? { maxLength: max } : {}) });
    if (matching !== undefined) return matching;
  }
  const fromFormat = typeof schema.format === "string" ? FORMAT_VALUES[schema.format] : undefined;
  return (fromFormat ?? "string").padEnd(min, "x").slice(0, max);
}

/** The smallest number the bounds allow (0 when they allow it), on the `multipleOf` grid. */
function plainNumber(schema: JsonObject, integer: boolean): number {
  const step = typeof schema.multipleOf === "number" && schema.multipleOf > 0 ? schema.multipleOf : integer ? 1 : 0;
  const exclusiveMin = typeof schema.exclusiveMinimum === "number" ? schema.exclusiveMinimum : schema.exclusiveMinimum === true && typeof schema.minimum === "number" ? schema.minimum : undefined;
  const exclusiveMax = typeof schema.exclusiveMaximum === "number" ? schema.exclusiveMaximum : schema.exclusiveMaximum === true && typeof schema.maximum === "number" ? schema.maximum : undefined;
  const min = exclusiveMin ?? (typeof schema.minimum === "number" ? schema.minimum : undefined);
  const max = exclusiveMax ?? (typeof schema.maximum === "number" ? schema.maximum : undefined);
  let value = min !== undefined ? min : max !== undefined ? Math.min(0, max) : 0;
  if (exclusiveMin !== undefined && value <= exclusiveMin) value = exclusiveMin + (step || 0.5);
  if (exclusiveMax !== undefined && value >= exclusiveMax) value = exclusiveMax - (step || 0.5);
  if (step > 0) value = Math.ceil(value / step) * step;
  if (integer) value = Math.ceil(value);
  return value;
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
