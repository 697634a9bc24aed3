/**
 * Schemas as plain data: what codegen writes for each schema of a spec, and what the
 * tolerant reader walks (src/runtime/validate.ts compiles them).
 *
 * JSON Schema's own words, normalised (`type`, `properties`, `required`, `items`, `enum`,
 * `anyOf`, `allOf`, `additionalProperties`, `nullable`), plus `critical` for the fields a
 * spec marks `x-carewire-critical`. One plain, non-generic type: a user's compiler checks
 * a generated schema against it without inferring a type per schema (the static types of
 * the data come from openapi-typescript).
 */

/** A JSON type; `unknown` accepts anything, `never` nothing. */
export type SchemaLeaf = "string" | "number" | "integer" | "boolean" | "null" | "unknown" | "never";

export type Schema = SchemaLeaf | (() => Schema) | ObjectSchema | ArraySchema | LeafSchema | EnumSchema | AnyOfSchema | AllOfSchema | PackedSchema;

export interface ObjectSchema {
  readonly type: "object";
  readonly properties?: { readonly [name: string]: Schema };
  readonly required?: readonly string[];
  /** Properties whose violation the caller must not tolerate. */
  readonly critical?: readonly string[];
  /** Given: a map, open by contract (its keys are not drift). Absent: unknown keys are drift. */
  readonly additionalProperties?: Schema;
  readonly nullable?: boolean;
}

export interface ArraySchema {
  readonly type: "array";
  readonly items: Schema;
  readonly nullable?: boolean;
}

/** A leaf that also accepts null: `{ type: "string", nullable: true }`. */
export interface LeafSchema {
  readonly type: SchemaLeaf;
  readonly nullable?: boolean;
}

export interface EnumSchema {
  readonly enum: readonly (string | number | boolean | null)[];
}

/** oneOf / anyOf: the value is read with the member that explains it best. */
export interface AnyOfSchema {
  readonly anyOf: readonly Schema[];
  readonly nullable?: boolean;
}

/** The value must satisfy every part; object parts pool their declared keys. */
export interface AllOfSchema {
  readonly allOf: readonly Schema[];
  readonly nullable?: boolean;
}

/**
 * A schema as JSON text, where `{"$ref": i}` stands for `refs()[i]`. Codegen writes
 * every schema this way: a string costs the user's compiler next to nothing to check,
 * and the text is parsed the first time a body is read with the schema.
 */
export interface PackedSchema {
  readonly json: string;
  readonly refs?: () => readonly Schema[];
}

/** Kinds of JSON value, as bits: what a schema accepts, and what a value is. */
export const NULL = 1, BOOLEAN = 2, INTEGER = 4, FRACTION = 8, STRING = 16, ARRAY = 32, OBJECT = 64, ANY = 0xff;
export const NUMBER = INTEGER | FRACTION;
export const LEAF_KINDS: Readonly<Record<SchemaLeaf, number>> = { string: STRING, number: NUMBER, integer: INTEGER, boolean: BOOLEAN, null: NULL, unknown: ANY, never: 0 };

export function kindOf(value: unknown): number {
  switch (typeof value) {
    case "string":
      return STRING;
    case "number":
      return Number.isInteger(value) ? INTEGER : Number.isFinite(value) ? FRACTION : 0;
    case "boolean":
      return BOOLEAN;
    case "object":
      return value === null ? NULL : Array.isArray(value) ? ARRAY : OBJECT;
    default:
      return 0;
  }
}

const KIND_NAMES: Array<[number, string]> = [[OBJECT, "object"], [ARRAY, "array"], [STRING, "string"], [NUMBER, "number"], [INTEGER, "integer"], [BOOLEAN, "boolean"], [NULL, "null"]];

/** `string or null`: what a schema accepts, in words (never the value itself: it may be PHI). */
export function describeKinds(mask: number): string {
  if (mask === ANY) return "anything";
  const names: string[] = [];
  let left = mask;
  for (const [bits, name] of KIND_NAMES) if ((left & bits) === bits) (names.push(name), (left &= ~bits));
  return names.length === 0 ? "nothing" : names.join(" or ");
}

export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  const kind = kindOf(value);
  return kind === 0 ? typeof value : describeKinds(kind & NUMBER ? NUMBER : kind);
}

export function isPacked(schema: object): schema is PackedSchema {
  return typeof (schema as { json?: unknown }).json === "string";
}
