/**
 * zod schemas written by hand still work wherever a `Schema` does: the first read turns
 * one into the same plain schema (once per zod object), so one walker reads both. What
 * carries over is what a JSON body can show: types, enums and literals, required and
 * optional keys, nullable, arrays, records, unions, intersections and lazy references.
 * Refinements and transforms (`.min()`, `.email()`, `.transform()`) are not run: the
 * reader reports drift, it does not reshape data.
 */
/**
 * What the reader needs of a zod schema: its internal definition. Structural, so the
 * runtime's types name no zod type (an app that writes no zod schema compiles none of
 * zod's declarations).
 */
export interface ZodLike {
  readonly _zod: { readonly def: unknown };
}
import { criticalSchemas, tolerantShapes } from "./zod-marks.js";
import type { Schema } from "./validate-schema.js";

export function isZod(schema: unknown): schema is ZodLike {
  return typeof schema === "object" && schema !== null && "_zod" in schema;
}

interface Def {
  readonly type: string;
  readonly innerType?: ZodLike;
  readonly getter?: () => ZodLike;
  readonly in?: ZodLike;
  readonly shape?: Readonly<Record<string, ZodLike>>;
  readonly catchall?: ZodLike;
  readonly valueType?: ZodLike;
  readonly element?: ZodLike;
  readonly options?: readonly ZodLike[];
  readonly left?: ZodLike;
  readonly right?: ZodLike;
  readonly entries?: Readonly<Record<string, string | number>>;
  readonly values?: readonly unknown[];
  readonly format?: string;
  readonly checks?: ReadonlyArray<{ readonly _zod: { readonly def: { readonly format?: string } } }>;
}

const WRAPPERS = new Set(["optional", "default", "prefault", "readonly", "nonoptional", "catch"]);
const converted = new WeakMap<object, Schema>();

export function fromZod(schema: ZodLike): Schema {
  let found = converted.get(schema);
  if (found === undefined) {
    converted.set(schema, () => found!); // a schema that reaches itself is a reference to it
    found = convert(schema);
    converted.set(schema, found);
  }
  return found;
}

function convert(schema: ZodLike): Schema {
  const def = schema._zod.def as unknown as Def;
  switch (def.type) {
    case "string":
    case "boolean":
    case "null":
    case "unknown":
    case "never":
      return def.type;
    case "any":
      return "unknown";
    case "number":
      return def.format?.includes("int") || def.checks?.some((c) => c._zod.def.format?.includes("int")) ? "integer" : "number";
    case "nullable": {
      const inner = fromZod(def.innerType!);
      if (typeof inner === "string") return { type: inner, nullable: true };
      return typeof inner === "object" && !("json" in inner) && !("enum" in inner) ? { ...inner, nullable: true } : { anyOf: [inner, "null"] };
    }
    case "lazy":
      return () => fromZod(def.getter!());
    case "pipe":
      return fromZod(def.in!);
    case "enum":
      return { enum: Object.values(def.entries ?? {}) };
    case "literal":
      return { enum: (def.values ?? []).filter((v): v is string | number | boolean | null => v === null || ["string", "number", "boolean"].includes(typeof v)) };
    case "array":
      return { type: "array", items: fromZod(def.element!) };
    case "record":
      return { type: "object", additionalProperties: fromZod(def.valueType!) };
    case "union":
      return { anyOf: (def.options ?? []).map(fromZod) };
    case "intersection":
      return { allOf: [fromZod(def.left!), fromZod(def.right!)] };
    case "object":
      return object(schema, def);
    default:
      return WRAPPERS.has(def.type) && def.innerType ? fromZod(def.innerType) : "unknown";
  }
}

function object(schema: ZodLike, def: Def): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  const critical: string[] = [];
  for (const [key, value] of Object.entries(def.shape ?? {})) {
    properties[key] = fromZod(value);
    if (!isOptional(value)) required.push(key);
    if (isCritical(value)) critical.push(key);
  }
  // A tolerant object's catchall only keeps unknown keys; any other catchall declares a map.
  const extra = !tolerantShapes.has(schema) && def.catchall !== undefined ? { additionalProperties: fromZod(def.catchall) } : {};
  return { type: "object", properties, required, critical, ...extra };
}

/** `.optional()`, or a `.default()` that fills the key in. */
function isOptional(schema: ZodLike): boolean {
  const optin = (schema._zod as { optin?: string }).optin;
  return optin === "optional" || optin === "defaulted";
}

/** Marked critical itself, or under optional/nullable/default wrappers. */
function isCritical(schema: ZodLike): boolean {
  let current: ZodLike | undefined = schema;
  for (let i = 0; current !== undefined && i < 8; i++) {
    if (criticalSchemas.has(current)) return true;
    current = (current._zod.def as unknown as Def).innerType;
  }
  return false;
}
