/**
 * A spec's example made to fit the types generated from its schema, part by part, so the
 * README program built from it compiles. Real specs' examples drift from their own schemas:
 * a number for a string parameter, `null` for a field that is not nullable, a value outside
 * the enum, a key the schema never declares. A part that does not fit is replaced (by a value
 * sampled from its schema, or a plain placeholder of its type when the sample does not fit
 * either); an undeclared key is dropped; what fits is kept as the spec wrote it.
 *
 * "Fits" follows openapi-typescript's reading of a schema (with the options carewire generates
 * with), not JSON Schema's: an object schema takes only the keys it declares unless
 * `additionalProperties` allows more (one that declares no properties at all takes any keys),
 * `oneOf`/`anyOf` are unions and `allOf` an intersection whose parts' keys all count.
 */
import { deref, isObject, type JsonObject } from "./json.js";

/** Draws a value from a schema (openapi-sampler's, in the README). */
export type Sampler = (schema: unknown) => unknown;

/** Nesting beyond this is kept as written: deep enough for any example, safe on recursive schemas. */
const MAX_DEPTH = 16;

interface ObjectView {
  readonly properties: Readonly<Record<string, unknown>>;
  readonly required: readonly string[];
  /** `false`: no other keys (openapi-typescript's default); `true`: any; else the schema of the others. */
  readonly others: unknown;
}

export function fitExample(doc: JsonObject, schema: unknown, value: unknown, sample: Sampler): unknown {
  const fitter = new ExampleFitter(doc, sample);
  return fitter.fit(schema, value, 0);
}

class ExampleFitter {
  constructor(
    private readonly doc: JsonObject,
    private readonly sample: Sampler,
  ) {}

  fit(raw: unknown, value: unknown, depth: number): unknown {
    if (depth > MAX_DEPTH || this.fits(raw, value, depth)) return value;
    const schema = deref(this.doc, raw);
    if (!isObject(schema)) return value;
    const view = this.objectView(schema, depth);
    if (view !== undefined && isPlainObject(value) && this.branches(schema).length === 0) {
      const fitted: JsonObject = {};
      for (const [key, item] of Object.entries(value)) {
        const declared = Object.hasOwn(view.properties, key) ? view.properties[key] : view.others === false ? undefined : view.others;
        if (declared === undefined) continue;
        const part = declared === true ? item : this.fit(declared, item, depth + 1);
        // An optional key no value can fit (a 3.0 spec's `type: "null"`) is left out.
        if (this.fits(declared, part, depth + 1) || view.required.includes(key)) fitted[key] = part;
      }
      for (const key of view.required) if (!Object.hasOwn(fitted, key)) fitted[key] = this.replacement(view.properties[key], depth + 1);
      if (this.fits(schema, fitted, depth)) return fitted;
    }
    if (Array.isArray(value) && schema.items !== undefined && this.kinds(schema).includes("array")) {
      const fitted = value.map((item) => this.fit(schema.items, item, depth + 1));
      if (this.fits(schema, fitted, depth)) return fitted;
    }
    return this.replacement(schema, depth);
  }

  /** A value of the schema where the example's does not fit: a sample, else a placeholder. */
  private replacement(raw: unknown, depth: number): unknown {
    let sampled: unknown;
    try {
      sampled = this.sample(raw);
    } catch {
      sampled = undefined;
    }
    return sampled !== undefined && this.fits(raw, sampled, depth) ? sampled : this.placeholder(raw, depth);
  }

  private placeholder(raw: unknown, depth: number): unknown {
    const schema = deref(this.doc, raw);
    if (!isObject(schema) || depth > MAX_DEPTH) return "value";
    if (schema.const !== undefined) return schema.const;
    if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
    const branches = this.branches(schema);
    if (branches.length > 0) return this.placeholder(branches[0], depth + 1);
    const view = this.objectView(schema, depth);
    const kind = this.kinds(schema).find((k) => k !== "null") ?? (view ? "object" : undefined);
    switch (kind) {
      case "string":
        return "string";
      case "integer":
      case "number":
        return typeof schema.minimum === "number" ? Math.ceil(schema.minimum) : 0;
      case "boolean":
        return true;
      case "array":
        return [];
      case "object":
        return Object.fromEntries((view?.required ?? []).map((key) => [key, this.placeholder(view?.properties[key], depth + 1)]));
      default:
        return "value";
    }
  }

  /** Whether the value is one the generated type accepts (as far as the schema says). */
  fits(raw: unknown, value: unknown, depth: number): boolean {
    if (depth > MAX_DEPTH) return true;
    const schema = deref(this.doc, raw);
    if (!isObject(schema)) return true;
    if (schema.const !== undefined && !sameJson(schema.const, value)) return false;
    if (Array.isArray(schema.enum) && !schema.enum.some((member) => sameJson(member, value))) return false;
    const branches = this.branches(schema);
    if (branches.length > 0 && !(value === null && schema.nullable === true) && !branches.some((branch) => this.fits(branch, value, depth + 1))) return false;
    const kinds = this.kinds(schema);
    if (value === null) return kinds.includes("null") || (kinds.length === 0 && branches.length === 0 && this.objectView(schema, depth) === undefined);
    const view = this.objectView(schema, depth);
    if (kinds.length === 0) {
      if (view !== undefined && branches.length === 0) return this.fitsObject(view, value, depth);
      return schema.items === undefined || !Array.isArray(value) || value.every((item) => this.fits(schema.items, item, depth + 1));
    }
    return kinds.some((kind) => {
      switch (kind) {
        case "string":
          return typeof value === "string";
        case "integer":
          return Number.isInteger(value);
        case "number":
          return typeof value === "number" && Number.isFinite(value);
        case "boolean":
          return typeof value === "boolean";
        case "array":
          return Array.isArray(value) && value.every((item) => this.fits(schema.items, item, depth + 1));
        case "object":
          return view === undefined || branches.length > 0 ? isPlainObject(value) : this.fitsObject(view, value, depth);
        default:
          return false;
      }
    });
  }

  private fitsObject(view: ObjectView, value: unknown, depth: number): boolean {
    if (!isPlainObject(value)) return false;
    for (const [key, item] of Object.entries(value)) {
      const declared = Object.hasOwn(view.properties, key) ? view.properties[key] : view.others;
      if (declared === false) return false;
      if (declared !== true && !this.fits(declared, item, depth + 1)) return false;
    }
    return view.required.every((key) => Object.hasOwn(value, key));
  }

  /** The JSON types the schema allows: `type` (a name or, in 3.1, a list) and 3.0's `nullable`. */
  private kinds(schema: JsonObject): string[] {
    const kinds = typeof schema.type === "string" ? [schema.type] : Array.isArray(schema.type) ? schema.type.filter((t): t is string => typeof t === "string") : [];
    // `type: "null"` alone is no type a call's input can carry here (3.0 has no such type, and a
    // 3.1 property of it does not take null through the generated input types): nothing fits it.
    const typed = kinds.length === 1 && kinds[0] === "null" ? ["never"] : kinds;
    return schema.nullable === true && typed.length > 0 ? [...typed, "null"] : typed;
  }

  private branches(schema: JsonObject): unknown[] {
    return [...(Array.isArray(schema.oneOf) ? schema.oneOf : []), ...(Array.isArray(schema.anyOf) ? schema.anyOf : [])];
  }

  /** The schema and its allOf parts, theirs included: an intersection's members at any depth. */
  private allOfParts(schema: JsonObject, depth: number): JsonObject[] {
    if (!Array.isArray(schema.allOf) || depth > MAX_DEPTH) return [schema];
    const nested = schema.allOf.map((part) => deref(this.doc, part)).filter(isObject);
    return [schema, ...nested.flatMap((part) => this.allOfParts(part, depth + 1))];
  }

  /** The keys an object schema takes, its allOf parts' included; undefined for a schema that is not an object's. */
  private objectView(schema: JsonObject, depth: number): ObjectView | undefined {
    const parts = this.allOfParts(schema, depth);
    const objectish = parts.some((part) => part.type === "object" || isObject(part.properties) || part.additionalProperties !== undefined);
    if (!objectish || depth > MAX_DEPTH) return undefined;
    const properties: Record<string, unknown> = {};
    const required = new Set<string>();
    let others: unknown = false;
    for (const part of parts) {
      if (isObject(part.properties)) Object.assign(properties, part.properties);
      if (Array.isArray(part.required)) for (const key of part.required) if (typeof key === "string") required.add(key);
      if (part.additionalProperties === true || (isObject(part.additionalProperties) && Object.keys(part.additionalProperties).length === 0) || declaresNothing(part)) others = true;
      else if (isObject(part.additionalProperties) && others === false) others = part.additionalProperties;
    }
    // A required key the schema never declares (a spec's slip) is not in the generated type.
    return { properties, required: [...required].filter((key) => Object.hasOwn(properties, key) || others !== false), others };
  }
}

/** An object schema of no properties, no additionalProperties and no parts: `Record<string, unknown>`, any keys. */
function declaresNothing(part: JsonObject): boolean {
  const noProperties = !isObject(part.properties) || Object.keys(part.properties).length === 0;
  return "type" in part && noProperties && part.additionalProperties === undefined && part.allOf === undefined && part.anyOf === undefined && part.oneOf === undefined;
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === "object" && a !== null && JSON.stringify(a) === JSON.stringify(b));
}
