/**
 * JSON Schema (OpenAPI 3.0 dialect and 3.1) → a carewire `Schema`: plain data the
 * runtime's tolerant reader walks (see src/runtime/tolerant/validate.ts).
 *
 * The shape reads like the JSON Schema it came from, normalised: `type`, `properties`,
 * `required`, `items`, `enum`, `anyOf`, `allOf`, `additionalProperties`, `nullable`, plus
 * `critical` (the fields the spec marks `x-carewire-critical`). Formats and bounds are not
 * enforced, on purpose: the reader reports what a client can act on (types, enums,
 * required fields).
 *
 * The schemas of a spec become rows of one table, written into `schemas.ts` as one piece of
 * JSON text: a user's compiler then checks a single string, not a literal (and a literal
 * type) per schema. A row is a leaf type's name (`"string"`), the index of another row (a
 * reference, followed lazily), or `[json, refs]`: the schema as JSON text, where
 * `{"$ref": i}` stands for the row `refs[i]`. The runtime parses a schema's text the first
 * time it reads a body with it. Components take the first rows, in document order; the
 * body schemas of operations follow, each distinct one once. References go through row
 * indexes, so cycles and declaration order never matter.
 */
import { isObject, isRef, resolvePointer, type JsonObject } from "./json.js";
import { NameAllocator, toPascalIdentifier } from "./names.js";
import { isJsonMediaType } from "../runtime/wire/media-type.js";

const COMPONENT_PREFIX = "#/components/schemas/";
const LEAVES = new Set(["string", "number", "integer", "boolean", "null"]);

/** A reference to a component: its row in the table. */
class Ref {
  constructor(readonly row: number) {}
}

/** What a schema becomes before it is printed: the descriptor itself, with `Ref`s for references. */
type Node = string | Ref | { readonly [key: string]: NodeValue };
type NodeValue = Node | boolean | readonly NodeValue[] | null | number | Readonly<Record<string, Node>>;
type ObjectNode = { [key: string]: NodeValue };

const UNKNOWN = "unknown";

/**
 * One row of the schema table (JSON): a leaf type's name, the index of the row it refers
 * to, or a schema's JSON text with the rows its `{"$ref": i}` stand for.
 */
export type SchemaRow = string | number | readonly [json: string, refs?: readonly number[]];

/** Where a schema is: a leaf type's name, or the index of its row. */
export type SchemaValue = string | number;

export interface ComponentSchema {
  /** The name in `components/schemas`. */
  readonly name: string;
  /** Name of its constant in `schemas.ts`. */
  readonly identifier: string;
  /** Its row in the table. */
  readonly row: number;
}

export class SchemaEmitter {
  readonly components: ComponentSchema[] = [];
  readonly rows: SchemaRow[] = [];
  private readonly componentRows = new Map<string, number>();
  /** Rows after the components, by their JSON, so an inline schema used twice is written once. */
  private readonly rowByText = new Map<string, number>();
  /** Non-component refs being expanded inline, to cut cycles through them. */
  private readonly inlineStack = new Set<string>();

  constructor(private readonly doc: JsonObject) {
    const schemas = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
    const names = new NameAllocator();
    for (const name of Object.keys(schemas)) {
      const row = this.componentRows.size;
      this.componentRows.set(name, row);
      this.components.push({ name, identifier: names.allocate(`${toPascalIdentifier(name)}Schema`), row });
    }
    // Components first, in order, so that a component's row is its index in `components`.
    for (const schema of Object.values(schemas)) this.rows.push(toRow(this.node(schema)));
  }

  /**
   * Adds a schema (a body's, for instance) to the table: a leaf stays its name, a component
   * reference is the component's row, anything else gets a row of its own (shared with an
   * equal schema added before).
   */
  emit(schema: unknown): SchemaValue {
    const node = this.node(schema);
    if (typeof node === "string") return node;
    if (node instanceof Ref) return node.row;
    const row = toRow(node);
    const text = JSON.stringify(row);
    let index = this.rowByText.get(text);
    if (index === undefined) {
      index = this.rows.push(row) - 1;
      this.rowByText.set(text, index);
    }
    return index;
  }

  private node(schema: unknown): Node {
    if (schema === undefined || schema === true) return UNKNOWN;
    if (schema === false) return "never";
    if (isRef(schema)) return this.ref(schema.$ref);
    if (!isObject(schema)) return UNKNOWN;
    const core = this.core(schema);
    return schema.nullable === true ? nullable(core) : core;
  }

  private ref(ref: string): Node {
    if (ref.startsWith(COMPONENT_PREFIX)) {
      const row = this.componentRows.get(componentName(ref));
      if (row !== undefined) return new Ref(row);
    }
    if (this.inlineStack.has(ref)) return UNKNOWN;
    const target = resolvePointer(this.doc, ref);
    this.inlineStack.add(ref);
    try {
      return this.node(target);
    } finally {
      this.inlineStack.delete(ref);
    }
  }

  private core(schema: JsonObject): Node {
    if ("const" in schema) return enumOf([schema.const]);
    if (Array.isArray(schema.enum)) return enumOf(schema.enum);

    const allOf = Array.isArray(schema.allOf) ? schema.allOf : [];
    const oneOf = Array.isArray(schema.oneOf) ? schema.oneOf : Array.isArray(schema.anyOf) ? schema.anyOf : [];
    const parts: Node[] = [];
    const base = this.typed(schema);
    if (base !== undefined) parts.push(base);
    for (const member of allOf) parts.push(this.node(member));
    if (oneOf.length > 0) parts.push(anyOf(oneOf.map((m) => this.node(m))));
    const informative = unique(parts.filter((p) => p !== UNKNOWN));
    if (informative.length === 0) return UNKNOWN;
    return informative.length === 1 ? informative[0]! : { allOf: informative };
  }

  /** The part of a schema given by `type` (or implied by `properties` / `items`). */
  private typed(schema: JsonObject): Node | undefined {
    let types: string[];
    if (typeof schema.type === "string") types = [schema.type];
    else if (Array.isArray(schema.type)) types = schema.type.filter((t): t is string => typeof t === "string");
    else if (isObject(schema.properties) || schema.additionalProperties !== undefined) types = ["object"];
    else if (schema.items !== undefined) types = ["array"];
    else return undefined;

    const orNull = types.includes("null");
    const members = types.filter((t) => t !== "null").map((t) => this.ofType(t, schema));
    if (members.length === 0) return orNull ? "null" : undefined;
    const node = anyOf(members);
    return orNull ? nullable(node) : node;
  }

  private ofType(type: string, schema: JsonObject): Node {
    if (LEAVES.has(type)) return type;
    if (type === "array") return { type: "array", items: Array.isArray(schema.items) ? anyOf(schema.items.map((i) => this.node(i))) : this.node(schema.items) };
    if (type === "object") return this.object(schema);
    return UNKNOWN;
  }

  private object(schema: JsonObject): Node {
    const declared = isObject(schema.properties) ? schema.properties : {};
    const node: ObjectNode = { type: "object" };
    const names = Object.keys(declared);
    if (names.length > 0) node.properties = Object.fromEntries(names.map((name) => [name, this.node(declared[name])]));
    const required = Array.isArray(schema.required) ? unique(schema.required.filter((r): r is string => typeof r === "string")) : [];
    if (required.length > 0) node.required = required;
    // x-carewire-critical: a violation of this field is a typed error, not tolerated drift.
    const critical = names.filter((name) => isObject(declared[name]) && declared[name]["x-carewire-critical"] === true);
    if (critical.length > 0) node.critical = critical;
    // Declared maps (additionalProperties given) are open by contract; plain objects, and
    // objects that forbid extra keys, are read tolerantly: unknown keys survive and are
    // reported as drift.
    const extra = schema.additionalProperties;
    if (extra !== undefined && extra !== false) node.additionalProperties = extra === true ? UNKNOWN : this.node(extra);
    return node;
  }
}

function componentName(ref: string): string {
  return decodeURIComponent(ref.slice(COMPONENT_PREFIX.length)).replace(/~1/g, "/").replace(/~0/g, "~");
}

/** Nodes compared by their canonical text: a union or intersection lists each schema once. */
function unique(nodes: Node[]): Node[];
function unique(nodes: string[]): string[];
function unique(nodes: Node[]): Node[] {
  const seen = new Map<string, Node>();
  for (const node of nodes) {
    const key = JSON.stringify(node, (_key, value: unknown) => (value instanceof Ref ? { $ref: value.row } : value));
    if (!seen.has(key)) seen.set(key, node);
  }
  return [...seen.values()];
}

function anyOf(members: Node[]): Node {
  const distinct = unique(members);
  if (distinct.includes(UNKNOWN)) return UNKNOWN;
  return distinct.length === 1 ? distinct[0]! : { anyOf: distinct };
}

/** The same schema, also accepting null. */
function nullable(node: Node): Node {
  if (node === UNKNOWN || node === "null") return node;
  if (typeof node === "string") return { type: node, nullable: true };
  // A reference stays shared: the null goes beside it.
  if (node instanceof Ref) return { anyOf: [node, "null"] };
  if (Array.isArray(node.enum)) return node.enum.includes(null) ? node : { enum: [...node.enum, null] };
  return { ...node, nullable: true };
}

function enumOf(values: unknown[]): Node {
  const primitives = values.filter((v): v is string | number | boolean | null => v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean");
  // An enum of objects or arrays: nothing the reader compares by value.
  if (primitives.length < values.length || primitives.length === 0) return UNKNOWN;
  const distinct = [...new Set(primitives)];
  return distinct.length === 1 && distinct[0] === null ? "null" : { enum: distinct };
}

/** A node's row: a leaf as its name, a reference as the row it names, anything else packed. */
function toRow(node: Node): SchemaRow {
  if (typeof node === "string") return node;
  if (node instanceof Ref) return node.row;
  const refs: number[] = [];
  const json = JSON.stringify(node, (_key, value: unknown) => {
    if (!(value instanceof Ref)) return value;
    let index = refs.indexOf(value.row);
    if (index < 0) index = refs.push(value.row) - 1;
    return { $ref: index };
  });
  return refs.length === 0 ? [json] : [json, refs];
}

/** The media type whose schema the runtime reads: JSON flavours only; others are read as text. */
export function pickJsonMediaType(content: unknown): JsonObject | undefined {
  if (!isObject(content)) return undefined;
  for (const [type, media] of Object.entries(content)) {
    if (isJsonMediaType(type) || type === "*/*") {
      return isObject(media) ? media : undefined;
    }
  }
  return undefined;
}
