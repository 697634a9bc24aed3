/**
 * JSON Schema (OpenAPI 3.0 dialect and 3.1) → zod source text.
 *
 * The output is for *reading* provider data tolerantly: objects keep unknown keys
 * (`tolerantObject`, which also lets the runtime report them as drift), formats are
 * not enforced, and every `$ref` becomes `z.lazy` so cycles and declaration order
 * never matter. Static types come from openapi-typescript, so each schema is
 * annotated `z.ZodType`: that keeps type-checking of large generated files cheap.
 */
import { isObject, isRef, resolvePointer, type JsonObject } from "./json.js";
import { NameAllocator, toPascalIdentifier } from "./names.js";
import { isJsonMediaType } from "../runtime/media-type.js";

const COMPONENT_PREFIX = "#/components/schemas/";

export interface ComponentSchemaCode {
  /** The name in `components/schemas`. */
  readonly name: string;
  readonly identifier: string;
  readonly expression: string;
}

export class ZodEmitter {
  readonly components: ComponentSchemaCode[] = [];
  private readonly identifiers = new Map<string, string>();
  /** Non-component refs being expanded inline, to cut cycles through them. */
  private readonly inlineStack = new Set<string>();

  constructor(private readonly doc: JsonObject) {
    const schemas = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
    const names = new NameAllocator();
    for (const name of Object.keys(schemas)) this.identifiers.set(name, names.allocate(`${toPascalIdentifier(name)}Schema`));
    for (const [name, schema] of Object.entries(schemas)) {
      this.components.push({ name, identifier: this.identifiers.get(name)!, expression: this.emit(schema) });
    }
  }

  /**
   * zod source for a body schema, emitted after all components: a plain component
   * reference can name the constant directly instead of going through `z.lazy`.
   */
  emitBody(schema: unknown): string {
    if (isRef(schema) && schema.$ref.startsWith(COMPONENT_PREFIX)) {
      const identifier = this.identifiers.get(componentName(schema.$ref));
      if (identifier !== undefined) return identifier;
    }
    return this.emit(schema);
  }

  /** zod source for one schema node (a schema object, boolean schema or reference). */
  emit(schema: unknown): string {
    if (schema === undefined || schema === true) return "z.unknown()";
    if (schema === false) return "z.never()";
    if (isRef(schema)) return this.emitRef(schema.$ref);
    if (!isObject(schema)) return "z.unknown()";

    const nullable = schema.nullable === true;
    let expression = this.emitCore(schema);
    if (nullable && !expression.endsWith(".nullable()") && expression !== "z.unknown()") expression += ".nullable()";
    return expression;
  }

  private emitRef(ref: string): string {
    if (ref.startsWith(COMPONENT_PREFIX)) {
      const identifier = this.identifiers.get(componentName(ref));
      if (identifier !== undefined) return `z.lazy(() => ${identifier})`;
    }
    if (this.inlineStack.has(ref)) return "z.unknown()";
    const target = resolvePointer(this.doc, ref);
    this.inlineStack.add(ref);
    try {
      return this.emit(target);
    } finally {
      this.inlineStack.delete(ref);
    }
  }

  private emitCore(schema: JsonObject): string {
    if ("const" in schema) return literal(schema.const);
    if (Array.isArray(schema.enum)) return this.emitEnum(schema.enum, schema);

    const allOf = Array.isArray(schema.allOf) ? schema.allOf : [];
    const oneOf = Array.isArray(schema.oneOf) ? schema.oneOf : Array.isArray(schema.anyOf) ? schema.anyOf : [];
    const base = this.emitTyped(schema);
    const parts: string[] = [];
    if (base !== undefined) parts.push(base);
    for (const member of allOf) parts.push(this.emit(member));
    if (oneOf.length > 0) parts.push(union(oneOf.map((m) => this.emit(m))));
    const informative = parts.filter((p) => p !== "z.unknown()");
    if (informative.length === 0) return "z.unknown()";
    return informative.reduce((left, right) => `z.intersection(${left}, ${right})`);
  }

  /** The part of a schema given by `type` (or implied by `properties` / `items`). */
  private emitTyped(schema: JsonObject): string | undefined {
    let types: string[];
    if (typeof schema.type === "string") types = [schema.type];
    else if (Array.isArray(schema.type)) types = schema.type.filter((t): t is string => typeof t === "string");
    else if (isObject(schema.properties) || schema.additionalProperties !== undefined) types = ["object"];
    else if (schema.items !== undefined) types = ["array"];
    else return undefined;

    const nullable = types.includes("null");
    const members = types.filter((t) => t !== "null").map((t) => this.emitType(t, schema));
    if (members.length === 0) return nullable ? "z.null()" : undefined;
    const expression = union(members);
    return nullable ? `${expression}.nullable()` : expression;
  }

  private emitType(type: string, schema: JsonObject): string {
    switch (type) {
      case "string":
        return "z.string()";
      case "integer":
        return "z.number().int()";
      case "number":
        return "z.number()";
      case "boolean":
        return "z.boolean()";
      case "array":
        return `z.array(${Array.isArray(schema.items) ? union(schema.items.map((i) => this.emit(i))) : this.emit(schema.items)})`;
      case "object":
        return this.emitObject(schema);
      default:
        return "z.unknown()";
    }
  }

  private emitObject(schema: JsonObject): string {
    const properties = isObject(schema.properties) ? schema.properties : {};
    const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === "string") : []);
    const fields = Object.entries(properties).map(([key, value]) => {
      // x-carewire-critical: a violation of this field is a typed error, not tolerated drift.
      const expression = isObject(value) && value["x-carewire-critical"] === true ? `critical(${this.emit(value)})` : this.emit(value);
      return `${JSON.stringify(key)}: ${required.has(key) ? expression : `${expression}.optional()`}`;
    });
    const extra = schema.additionalProperties;
    // Declared maps (additionalProperties given) are open by contract; plain objects
    // are tolerant: unknown keys survive but are reported as drift.
    if (extra !== undefined && extra !== false) {
      const value = extra === true ? "z.unknown()" : this.emit(extra);
      if (fields.length === 0) return `z.record(z.string(), ${value})`;
      return `z.object({ ${fields.join(", ")} }).catchall(${value})`;
    }
    return `tolerantObject({ ${fields.join(", ")} })`;
  }

  private emitEnum(values: unknown[], schema: JsonObject): string {
    const nonNull = values.filter((v) => v !== null);
    const nullable = nonNull.length < values.length || schema.nullable === true;
    let expression: string;
    if (nonNull.length === 0) expression = "z.null()";
    else if (nonNull.every((v) => typeof v === "string")) {
      expression = `z.enum([${nonNull.map((v) => JSON.stringify(v)).join(", ")}])`;
    } else expression = union(nonNull.map(literal));
    return nullable && expression !== "z.null()" ? `${expression}.nullable()` : expression;
  }
}

function componentName(ref: string): string {
  return decodeURIComponent(ref.slice(COMPONENT_PREFIX.length)).replace(/~1/g, "/").replace(/~0/g, "~");
}

function union(members: string[]): string {
  const unique = [...new Set(members)];
  if (unique.includes("z.unknown()")) return "z.unknown()";
  return unique.length === 1 ? unique[0]! : `z.union([${unique.join(", ")}])`;
}

function literal(value: unknown): string {
  if (value === null) return "z.null()";
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return `z.literal(${JSON.stringify(value)})`;
  }
  return "z.unknown()";
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
