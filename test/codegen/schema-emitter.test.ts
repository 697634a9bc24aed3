/**
 * `SchemaEmitter`: JSON Schema (OpenAPI 3.0 and 3.1) → rows of the table a generated
 * `schemas.ts` carries. Each case checks what a row stands for (the packed JSON, unpacked)
 * and then reads the table back as `schemas.ts` does (JSON text inside a template literal,
 * parsed and linked), reading values with it to prove it accepts what the spec allows and
 * reports what it does not.
 */
import { describe, expect, it } from "@jest/globals";
import { readTolerantly, type Schema, type SchemaLeaf } from "carewire";
import { templateLiteralSafe, type JsonObject } from "../../src/codegen/json.js";
import { SchemaEmitter, pickJsonMediaType, type SchemaValue } from "../../src/codegen/schema-emitter.js";

type Schemas = Record<string, Schema>;

function doc(schemas: JsonObject = {}, components: JsonObject = {}): JsonObject {
  return { openapi: "3.1.0", info: { title: "t", version: "1" }, paths: {}, components: { ...components, schemas } };
}

/**
 * The emitter's table as running code sees it: written as JSON inside a template literal,
 * evaluated, and linked into schemas. Returns every component constant by identifier, plus
 * the extra named values (a leaf's name or a row).
 */
function evaluate(emitter: SchemaEmitter, extra: Record<string, SchemaValue> = {}): Schemas {
  const text = emitter.rows.map((row) => templateLiteralSafe(JSON.stringify(row))).join(",\n");
  const rows = new Function(`return JSON.parse(\`[${text}]\`);`)() as Array<SchemaLeaf | number | [string, number[]?]>;
  const table: Schema[] = rows.map((row): Schema => {
    if (typeof row === "string") return row;
    if (typeof row === "number") return () => table[row]!;
    const [json, refs] = row;
    return refs === undefined ? { json } : { json, refs: () => refs.map((i) => table[i]!) };
  });
  const out: Schemas = {};
  for (const c of emitter.components) out[c.identifier] = table[c.row]!;
  for (const [name, value] of Object.entries(extra)) out[name] = typeof value === "number" ? table[value]! : (value as SchemaLeaf);
  return out;
}

/** What a value stands for: a leaf as its name, a row's packed JSON unpacked, references by component identifier. */
function meaning(emitter: SchemaEmitter, value: SchemaValue): unknown {
  const identifier = (row: number | undefined) => emitter.components.find((c) => c.row === row)?.identifier ?? `row ${String(row)}`;
  if (typeof value === "string") return value;
  const row = emitter.rows[value];
  if (typeof row === "string" || row === undefined) return row;
  if (typeof row === "number") return { ref: identifier(row) };
  const [json, refs = []] = row;
  return JSON.parse(json, (_key, v: unknown) => (typeof v === "object" && v !== null && "$ref" in v ? { ref: identifier(refs[(v as { $ref: number }).$ref]) } : v));
}

/** Emits one schema inside a document and evaluates it. */
function compile(schema: unknown, componentSchemas: JsonObject = {}): { value: SchemaValue; meaning: unknown; schema: Schema } {
  const emitter = new SchemaEmitter(doc(componentSchemas));
  const value = emitter.emit(schema);
  return { value, meaning: meaning(emitter, value), schema: evaluate(emitter, { Subject: value }).Subject! };
}

function component(schemas: Schemas, name: string): Schema {
  const schema = schemas[name];
  if (schema === undefined) throw new Error(`no component ${name}`);
  return schema;
}

const accepts = (schema: Schema, value: unknown) => readTolerantly(schema, value).valid;

describe("SchemaEmitter: nullability", () => {
  it("turns OpenAPI 3.0 `nullable: true` into a nullable leaf", () => {
    const { meaning: m, schema } = compile({ type: "string", nullable: true });
    expect(m).toEqual({ type: "string", nullable: true });
    expect(accepts(schema, "a")).toBe(true);
    expect(accepts(schema, null)).toBe(true);
    expect(accepts(schema, 1)).toBe(false);
  });

  it("applies 3.0 nullable to objects and allOf compositions", () => {
    const object = compile({ type: "object", properties: { a: { type: "integer" } }, required: ["a"], nullable: true });
    expect(object.meaning).toEqual({ type: "object", properties: { a: "integer" }, required: ["a"], nullable: true });
    expect(accepts(object.schema, null)).toBe(true);
    expect(accepts(object.schema, { a: 1 })).toBe(true);
    expect(accepts(object.schema, { a: "1" })).toBe(false);

    const composed = compile({ allOf: [{ $ref: "#/components/schemas/Id" }], nullable: true }, { Id: { type: "string" } });
    expect(composed.meaning).toEqual({ anyOf: [{ ref: "IdSchema" }, "null"] });
    expect(accepts(composed.schema, null)).toBe(true);
    expect(accepts(composed.schema, "x")).toBe(true);
    expect(accepts(composed.schema, 5)).toBe(false);
  });

  it("treats 3.0 `nullable: false` as not nullable", () => {
    const { value, schema } = compile({ type: "boolean", nullable: false });
    expect(value).toBe("boolean");
    expect(accepts(schema, null)).toBe(false);
  });

  it('turns 3.1 `type: [string, "null"]` into a nullable string', () => {
    const { meaning: m, schema } = compile({ type: ["string", "null"] });
    expect(m).toEqual({ type: "string", nullable: true });
    expect(accepts(schema, "a")).toBe(true);
    expect(accepts(schema, null)).toBe(true);
    expect(accepts(schema, 1)).toBe(false);
  });

  it('turns a 3.1 multi-type array into a union, and `type: null` into "null"', () => {
    const multi = compile({ type: ["integer", "string", "null"] });
    expect(multi.meaning).toEqual({ anyOf: ["integer", "string"], nullable: true });
    for (const ok of [1, "x", null]) expect(accepts(multi.schema, ok)).toBe(true);
    for (const bad of [1.5, true, {}]) expect(accepts(multi.schema, bad)).toBe(false);

    const onlyNull = compile({ type: "null" });
    expect(onlyNull.value).toBe("null");
    expect(accepts(onlyNull.schema, null)).toBe(true);
    expect(accepts(onlyNull.schema, 0)).toBe(false);
  });
});

describe("SchemaEmitter: enum and const", () => {
  it("emits a string enum", () => {
    const { meaning: m, schema } = compile({ type: "string", enum: ["booked", "cancelled"] });
    expect(m).toEqual({ enum: ["booked", "cancelled"] });
    expect(accepts(schema, "booked")).toBe(true);
    expect(accepts(schema, "noshow")).toBe(false);
    expect(readTolerantly(schema, "noshow").drift.issues).toEqual([expect.objectContaining({ path: "$", code: "invalid_value" })]);
  });

  it("emits a mixed enum that does not coerce", () => {
    const { meaning: m, schema } = compile({ enum: [1, "one", true] });
    expect(m).toEqual({ enum: [1, "one", true] });
    for (const ok of [1, "one", true]) expect(accepts(schema, ok)).toBe(true);
    for (const bad of ["1", 2, false, null]) expect(accepts(schema, bad)).toBe(false);
  });

  it("makes an enum that lists null nullable, and so does 3.0 nullable on an enum", () => {
    const listed = compile({ type: ["string", "null"], enum: ["a", "b", null] });
    expect(listed.meaning).toEqual({ enum: ["a", "b", null] });
    expect(accepts(listed.schema, null)).toBe(true);
    expect(accepts(listed.schema, "b")).toBe(true);
    expect(accepts(listed.schema, "c")).toBe(false);

    const flagged = compile({ type: "string", enum: ["a"], nullable: true });
    expect(flagged.meaning).toEqual({ enum: ["a", null] });
    expect(accepts(flagged.schema, null)).toBe(true);

    const onlyNull = compile({ enum: [null] });
    expect(onlyNull.value).toBe("null");
    expect(accepts(onlyNull.schema, null)).toBe(true);
    expect(accepts(onlyNull.schema, "a")).toBe(false);
  });

  it("emits const as a one-value enum", () => {
    const text = compile({ const: "Patient" });
    expect(text.meaning).toEqual({ enum: ["Patient"] });
    expect(accepts(text.schema, "Patient")).toBe(true);
    expect(accepts(text.schema, "Practitioner")).toBe(false);

    const number = compile({ type: "integer", const: 3 });
    expect(number.meaning).toEqual({ enum: [3] });
    expect(accepts(number.schema, 3)).toBe(true);
    expect(accepts(number.schema, 4)).toBe(false);

    expect(compile({ const: null }).value).toBe("null");
    // An enum of objects is nothing a reader compares by value.
    expect(compile({ enum: [{ a: 1 }] }).value).toBe("unknown");
  });
});

describe("SchemaEmitter: composition", () => {
  it("turns allOf into an intersection that needs both parts' fields and knows both parts' keys", () => {
    const emitter = new SchemaEmitter(
      doc({
        Resource: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
        Patient: {
          allOf: [
            { $ref: "#/components/schemas/Resource" },
            { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
          ],
        },
      }),
    );
    const patient = emitter.components.find((c) => c.name === "Patient")!;
    expect(meaning(emitter, patient.row)).toEqual({ allOf: [{ ref: "ResourceSchema" }, { type: "object", properties: { name: "string" }, required: ["name"] }] });

    const Patient = component(evaluate(emitter), "PatientSchema");
    const value = { id: "p1", name: "Ada", extra: 1 };
    const read = readTolerantly(Patient, value);
    expect(read).toEqual({ value, valid: true, drift: { unknownFields: ["$.extra"], issues: [] }, critical: [] });
    expect(read.value).toBe(value);
    expect(accepts(Patient, { id: "p1" })).toBe(false); // second part's field missing
    expect(accepts(Patient, { name: "Ada" })).toBe(false); // first part's field missing
  });

  it("intersects a schema's own properties with its allOf members", () => {
    const { meaning: m, schema } = compile({
      type: "object",
      properties: { a: { type: "string" } },
      required: ["a"],
      allOf: [{ properties: { b: { type: "number" } }, required: ["b"] }],
    });
    expect(m).toEqual({ allOf: [{ type: "object", properties: { a: "string" }, required: ["a"] }, { type: "object", properties: { b: "number" }, required: ["b"] }] });
    expect(accepts(schema, { a: "x", b: 1 })).toBe(true);
    expect(accepts(schema, { a: "x" })).toBe(false);
  });

  it("turns oneOf into anyOf", () => {
    const { meaning: m, schema } = compile({ oneOf: [{ type: "string" }, { type: "integer" }] });
    expect(m).toEqual({ anyOf: ["string", "integer"] });
    expect(accepts(schema, "x")).toBe(true);
    expect(accepts(schema, 7)).toBe(true);
    expect(accepts(schema, false)).toBe(false);
  });

  it("turns anyOf into a union of objects", () => {
    const { meaning: m, schema } = compile({
      anyOf: [
        { type: "object", properties: { cat: { type: "boolean" } }, required: ["cat"] },
        { type: "object", properties: { dog: { type: "boolean" } }, required: ["dog"] },
      ],
    });
    expect(m).toEqual({ anyOf: [{ type: "object", properties: { cat: "boolean" }, required: ["cat"] }, { type: "object", properties: { dog: "boolean" }, required: ["dog"] }] });
    expect(accepts(schema, { cat: true })).toBe(true);
    expect(accepts(schema, { dog: false })).toBe(true);
    expect(accepts(schema, { bird: true })).toBe(false);
  });

  it('collapses a union containing an unconstrained member to "unknown"', () => {
    expect(compile({ oneOf: [{ type: "string" }, {}] }).value).toBe("unknown");
  });
});

describe("SchemaEmitter: objects and maps", () => {
  it("emits plain objects with required and optional fields; unknown keys are kept and reported", () => {
    const { meaning: m, schema } = compile({
      type: "object",
      properties: { id: { type: "string" }, "odd key": { type: "number" } },
      required: ["id"],
    });
    expect(m).toEqual({ type: "object", properties: { id: "string", "odd key": "number" }, required: ["id"] });
    const value = { id: "1", surprise: { deep: [1, 2] } };
    expect(readTolerantly(schema, value)).toEqual({ value, valid: true, drift: { unknownFields: ["$.surprise"], issues: [] }, critical: [] });
    expect(accepts(schema, { "odd key": 1 })).toBe(false);
    expect(accepts(schema, { id: "1", "odd key": "x" })).toBe(false);
  });

  it("marks the fields a spec calls x-carewire-critical", () => {
    const { meaning: m, schema } = compile({
      type: "object",
      properties: { id: { type: "string", "x-carewire-critical": true }, note: { type: "string" } },
      required: ["id"],
    });
    expect(m).toEqual({ type: "object", properties: { id: "string", note: "string" }, required: ["id"], critical: ["id"] });
    expect(readTolerantly(schema, { note: "x" }).critical).toEqual([expect.objectContaining({ path: "$.id" })]);
    expect(readTolerantly(schema, { id: "a", note: 1 }).critical).toEqual([]);
  });

  it("keeps additionalProperties: false tolerant (unknown keys kept and reported, not rejected)", () => {
    const { meaning: m, schema } = compile({ type: "object", properties: { a: { type: "string" } }, additionalProperties: false });
    expect(m).toEqual({ type: "object", properties: { a: "string" } });
    expect(readTolerantly(schema, { a: "x", b: 1 })).toMatchObject({ valid: true, drift: { unknownFields: ["$.b"] } });
  });

  it("turns an additionalProperties schema into a map", () => {
    const { meaning: m, schema } = compile({ type: "object", additionalProperties: { type: "integer" } });
    expect(m).toEqual({ type: "object", additionalProperties: "integer" });
    expect(readTolerantly(schema, { a: 1, b: 2 }).drift.unknownFields).toEqual([]);
    expect(accepts(schema, { a: 1, b: 2 })).toBe(true);
    expect(accepts(schema, { a: "1" })).toBe(false);

    const anything = compile({ additionalProperties: true });
    expect(anything.meaning).toEqual({ type: "object", additionalProperties: "unknown" });
    expect(accepts(anything.schema, { a: [1], b: null })).toBe(true);
    expect(accepts(anything.schema, [1])).toBe(false);
  });

  it("turns properties + an additionalProperties schema into an object with map entries", () => {
    const { meaning: m, schema } = compile({
      type: "object",
      properties: { total: { type: "integer" } },
      required: ["total"],
      additionalProperties: { type: "string" },
    });
    expect(m).toEqual({ type: "object", properties: { total: "integer" }, required: ["total"], additionalProperties: "string" });
    expect(readTolerantly(schema, { total: 2, a: "x", b: "y" })).toMatchObject({ valid: true, drift: { unknownFields: [] } });
    expect(readTolerantly(schema, { total: 2, a: 3 }).drift.issues).toEqual([expect.objectContaining({ path: "$.a" })]);
    expect(accepts(schema, { a: "x" })).toBe(false);
  });

  it("emits arrays (items implied type, tuple-style items as a union, missing items as unknown)", () => {
    const list = compile({ items: { type: "string" } });
    expect(list.meaning).toEqual({ type: "array", items: "string" });
    expect(accepts(list.schema, ["a", "b"])).toBe(true);
    expect(accepts(list.schema, ["a", 1])).toBe(false);

    expect(compile({ type: "array", items: [{ type: "string" }, { type: "number" }] }).meaning).toEqual({ type: "array", items: { anyOf: ["string", "number"] } });
    expect(compile({ type: "array" }).meaning).toEqual({ type: "array", items: "unknown" });
  });

  it('emits boolean schemas: true → "unknown", false → "never"', () => {
    const emitter = new SchemaEmitter(doc());
    expect(emitter.emit(true)).toBe("unknown");
    expect(emitter.emit(false)).toBe("never");
    expect(emitter.emit(undefined)).toBe("unknown");

    const { meaning: m, schema } = compile({ type: "object", properties: { anything: true, nothing: false } });
    expect(m).toEqual({ type: "object", properties: { anything: "unknown", nothing: "never" } });
    expect(accepts(schema, { anything: { x: 1 } })).toBe(true);
    expect(accepts(schema, { nothing: 1 })).toBe(false);
  });

  it("keeps odd property names as data: quotes, backslashes, line breaks and __proto__", () => {
    const names = ["it's", "back\\slash", "line\nbreak", "__proto__", "constructor"];
    const { schema } = compile({ type: "object", properties: Object.fromEntries(names.map((n) => [n, { type: "integer" }])), required: names });
    const value = JSON.parse(`{${names.map((n, i) => `${JSON.stringify(n)}: ${i}`).join(", ")}}`) as unknown;
    expect(readTolerantly(schema, value)).toMatchObject({ valid: true, drift: { unknownFields: [] } });
    expect(readTolerantly(schema, {}).drift.issues.map((i) => i.path)).toEqual(['$["it\'s"]', '$["back\\\\slash"]', '$["line\\nbreak"]', "$.__proto__", "$.constructor"]);
  });
});

describe("SchemaEmitter: references and recursion", () => {
  it("reads a 3-level tree with a self-referencing component", () => {
    const emitter = new SchemaEmitter(
      doc({
        Node: {
          type: "object",
          properties: { label: { type: "string" }, children: { type: "array", items: { $ref: "#/components/schemas/Node" } } },
          required: ["label"],
        },
      }),
    );
    expect(emitter.components.map((c) => ({ ...c, meaning: meaning(emitter, c.row) }))).toEqual([
      {
        name: "Node",
        identifier: "NodeSchema",
        row: 0,
        meaning: { type: "object", properties: { label: "string", children: { type: "array", items: { ref: "NodeSchema" } } }, required: ["label"] },
      },
    ]);
    const Node = component(evaluate(emitter), "NodeSchema");
    const tree = { label: "1", children: [{ label: "1.1", children: [{ label: "1.1.1", x: 1 }] }, { label: "1.2" }] };
    expect(readTolerantly(Node, tree)).toMatchObject({ valid: true, drift: { unknownFields: ["$.children[*].children[*].x"] } });
    // A violation at the third level is found: the recursion really checks.
    expect(readTolerantly(Node, { label: "1", children: [{ label: "1.1", children: [{ label: 3 }] }] }).drift.issues.map((i) => i.path)).toEqual(["$.children[0].children[0].label"]);
  });

  it("reads a 3-level tree with a mutually-recursive pair of components, whatever their order", () => {
    const emitter = new SchemaEmitter(
      doc({
        // Folder refers to Entry before Entry is declared.
        Folder: {
          type: "object",
          properties: { name: { type: "string" }, entries: { type: "array", items: { $ref: "#/components/schemas/Entry" } } },
          required: ["name", "entries"],
        },
        Entry: {
          type: "object",
          properties: { file: { type: "string" }, folder: { $ref: "#/components/schemas/Folder" } },
        },
      }),
    );
    const schemas = evaluate(emitter);
    const Folder = component(schemas, "FolderSchema");
    const tree = {
      name: "root",
      entries: [{ file: "a.txt" }, { folder: { name: "sub", entries: [{ folder: { name: "leaf", entries: [{ file: "b" }] } }] } }],
    };
    expect(accepts(Folder, tree)).toBe(true);
    expect(accepts(component(schemas, "EntrySchema"), { folder: tree })).toBe(true);
    expect(accepts(Folder, { name: "root", entries: [{ folder: { name: "sub", entries: [{ folder: { name: "leaf" } }] } }] })).toBe(false);
  });

  it("expands a $ref to a non-component location inline", () => {
    const responses = {
      Problem: {
        description: "error",
        content: {
          "application/json": {
            schema: { type: "object", properties: { code: { type: "integer" } }, required: ["code"] },
          },
        },
      },
    };
    const emitter = new SchemaEmitter(
      doc(
        {
          Envelope: {
            type: "object",
            properties: { error: { $ref: "#/components/responses/Problem/content/application~1json/schema" } },
            required: ["error"],
          },
        },
        { responses },
      ),
    );
    const envelope = emitter.components[0]!;
    expect(meaning(emitter, envelope.row)).toEqual({ type: "object", properties: { error: { type: "object", properties: { code: "integer" }, required: ["code"] } }, required: ["error"] });
    expect(emitter.rows[envelope.row]).toHaveLength(1); // no refs: the target was written inline
    const Envelope = component(evaluate(emitter), "EnvelopeSchema");
    expect(accepts(Envelope, { error: { code: 404 } })).toBe(true);
    expect(accepts(Envelope, { error: { code: "404" } })).toBe(false);
  });

  it('terminates a ref cycle through non-component locations with "unknown"', () => {
    const pointer = "#/components/responses/Loop/content/application~1json/schema";
    const emitter = new SchemaEmitter(
      doc(
        {},
        {
          responses: {
            Loop: {
              description: "self-referencing",
              content: {
                "application/json": {
                  schema: { type: "object", properties: { id: { type: "string" }, next: { $ref: pointer } }, required: ["id"] },
                },
              },
            },
          },
        },
      ),
    );
    const code = emitter.emit({ $ref: pointer });
    expect(meaning(emitter, code)).toEqual({ type: "object", properties: { id: "string", next: "unknown" }, required: ["id"] });
    const Loop = component(evaluate(emitter, { Loop: code }), "Loop");
    expect(accepts(Loop, { id: "a", next: { anything: true } })).toBe(true);
    expect(accepts(Loop, { next: {} })).toBe(false);
    // The same pointer can be expanded again afterwards: the cycle guard is released.
    expect(emitter.emit({ $ref: pointer })).toBe(code);
  });

  it("writes a component that only names another as a reference to that row, declared before or after it", () => {
    const emitter = new SchemaEmitter(doc({ Alias: { $ref: "#/components/schemas/Id" }, Id: { type: "string", enum: ["a"] }, Again: { $ref: "#/components/schemas/Alias" } }));
    expect(emitter.rows.slice(0, 3)).toEqual([1, ['{"enum":["a"]}'], 0]);
    const schemas = evaluate(emitter);
    for (const name of ["AliasSchema", "AgainSchema"]) {
      expect(accepts(component(schemas, name), "a")).toBe(true);
      expect(accepts(component(schemas, name), "b")).toBe(false);
    }
  });

  it('emits a dangling $ref as "unknown" instead of crashing', () => {
    expect(new SchemaEmitter(doc()).emit({ $ref: "#/components/responses/Nope/content/application~1json/schema" })).toBe("unknown");
  });

  it("gives components unique PascalCase identifiers and resolves escaped component refs", () => {
    const emitter = new SchemaEmitter(doc({ "foo-bar": { type: "string" }, FooBar: { type: "number" }, "a/b": { type: "boolean" } }));
    expect(emitter.components.map((c) => [c.name, c.identifier])).toEqual([
      ["foo-bar", "FooBarSchema"],
      ["FooBar", "FooBarSchema2"],
      ["a/b", "ABSchema"],
    ]);
    expect(emitter.emit({ $ref: "#/components/schemas/a~1b" })).toBe(2);
  });

  it("lists each referenced row once in refs, in order of first use", () => {
    const emitter = new SchemaEmitter(doc({ A: { type: "string" }, B: { type: "integer" } }));
    const code = emitter.emit({
      type: "object",
      properties: { a: { $ref: "#/components/schemas/A" }, b: { $ref: "#/components/schemas/B" }, again: { $ref: "#/components/schemas/A" } },
    });
    expect(emitter.rows[code as number]).toEqual(['{"type":"object","properties":{"a":{"$ref":0},"b":{"$ref":1},"again":{"$ref":0}}}', [0, 1]]);
  });
});

describe("SchemaEmitter.emit for body schemas", () => {
  const emitter = new SchemaEmitter(doc({ Patient: { type: "object", properties: { id: { type: "string" } } } }));

  it("gives a plain component $ref the component's own row", () => {
    expect(emitter.emit({ $ref: "#/components/schemas/Patient" })).toBe(0);
  });

  it("gives anything else a row after the components, shared by an equal schema", () => {
    const inline = { type: "array", items: { $ref: "#/components/schemas/Patient" } };
    const row = emitter.emit(inline);
    expect(row).toBe(emitter.components.length);
    expect(meaning(emitter, row)).toEqual({ type: "array", items: { ref: "PatientSchema" } });
    expect(emitter.emit({ ...inline })).toBe(row);
    expect(emitter.emit({ $ref: "#/components/schemas/Missing" })).toBe("unknown");
  });

  it("links a component's row to the component's own schema", () => {
    const schemas = evaluate(emitter, { Body: emitter.emit({ $ref: "#/components/schemas/Patient" }) });
    expect(component(schemas, "Body")).toBe(component(schemas, "PatientSchema"));
  });
});

describe("pickJsonMediaType", () => {
  const fhir = { schema: { $ref: "#/components/schemas/Patient" } };
  const problem = { schema: { type: "object" } };

  it("picks application/fhir+json", () => {
    expect(pickJsonMediaType({ "text/plain": { schema: { type: "string" } }, "application/fhir+json": fhir })).toBe(fhir);
  });

  it("picks application/problem+json", () => {
    expect(pickJsonMediaType({ "application/problem+json": problem })).toBe(problem);
  });

  it("picks application/json with parameters and in any case", () => {
    const media = { schema: {} };
    expect(pickJsonMediaType({ "application/json; charset=utf-8": media })).toBe(media);
    expect(pickJsonMediaType({ "Application/JSON": media })).toBe(media);
  });

  it("does not pick text/plain or other non-JSON types", () => {
    expect(pickJsonMediaType({ "text/plain": { schema: { type: "string" } } })).toBeUndefined();
    expect(pickJsonMediaType({ "application/xml": {}, "text/json-ish": {}, "application/jsonp": {} })).toBeUndefined();
    expect(pickJsonMediaType(undefined)).toBeUndefined();
  });
});
