/**
 * `SchemaEmitter`: JSON Schema (OpenAPI 3.0 and 3.1) → the source of a carewire `Schema`.
 * Each case checks what the emitted text stands for (the packed JSON, unpacked) and then
 * evaluates the text exactly as the generated `schemas.ts` would run, reading values with
 * it to prove it accepts what the spec allows and reports what it does not.
 */
import { describe, expect, it } from "@jest/globals";
import { readTolerantly, type Schema } from "carewire";
import type { JsonObject } from "../../src/codegen/json.js";
import { SchemaEmitter, pickJsonMediaType } from "../../src/codegen/schema-emitter.js";

type Schemas = Record<string, Schema>;

function doc(schemas: JsonObject = {}, components: JsonObject = {}): JsonObject {
  return { openapi: "3.1.0", info: { title: "t", version: "1" }, paths: {}, components: { ...components, schemas } };
}

/**
 * Evaluates the emitted component declarations (in emission order, as in `schemas.ts`)
 * plus any extra named expressions, returning every constant by name.
 */
function evaluate(emitter: SchemaEmitter, extra: Record<string, string> = {}): Schemas {
  const declarations = [
    ...emitter.components.map((c) => `const ${c.identifier} = ${c.expression};`),
    ...Object.entries(extra).map(([name, expression]) => `const ${name} = ${expression};`),
  ];
  const names = [...emitter.components.map((c) => c.identifier), ...Object.keys(extra)];
  return new Function(`${declarations.join("\n")}\nreturn { ${names.join(", ")} };`)() as Schemas;
}

/** What an emitted expression stands for: a packed schema's JSON unpacked, refs by name. */
function meaning(code: string): unknown {
  const value = new Function("refs", `return ${code.replace(/refs: \(\) => \[(.*)\]/, (_all, names: string) => `refs: ${JSON.stringify(names.split(", "))}`)};`)() as unknown;
  if (typeof value !== "object" || value === null || !("json" in value)) return value;
  const { json, refs = [] } = value as { json: string; refs?: string[] };
  return JSON.parse(json, (_key, v: unknown) => (typeof v === "object" && v !== null && "$ref" in v ? { ref: refs[(v as { $ref: number }).$ref] } : v));
}

/** Emits one schema inside a document and evaluates it. */
function compile(schema: unknown, componentSchemas: JsonObject = {}): { code: string; meaning: unknown; schema: Schema } {
  const emitter = new SchemaEmitter(doc(componentSchemas));
  const code = emitter.emit(schema);
  return { code, meaning: meaning(code), schema: evaluate(emitter, { Subject: code }).Subject! };
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
    const { code, schema } = compile({ type: "boolean", nullable: false });
    expect(code).toBe('"boolean"');
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
    expect(onlyNull.code).toBe('"null"');
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
    expect(onlyNull.code).toBe('"null"');
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

    expect(compile({ const: null }).code).toBe('"null"');
    // An enum of objects is nothing a reader compares by value.
    expect(compile({ enum: [{ a: 1 }] }).code).toBe('"unknown"');
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
    expect(meaning(patient.expression)).toEqual({ allOf: [{ ref: "ResourceSchema" }, { type: "object", properties: { name: "string" }, required: ["name"] }] });

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
    expect(compile({ oneOf: [{ type: "string" }, {}] }).code).toBe('"unknown"');
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
    expect(emitter.emit(true)).toBe('"unknown"');
    expect(emitter.emit(false)).toBe('"never"');
    expect(emitter.emit(undefined)).toBe('"unknown"');

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
    expect(emitter.components.map((c) => ({ ...c, expression: meaning(c.expression) }))).toEqual([
      {
        name: "Node",
        identifier: "NodeSchema",
        expression: { type: "object", properties: { label: "string", children: { type: "array", items: { ref: "NodeSchema" } } }, required: ["label"] },
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
    expect(meaning(envelope.expression)).toEqual({ type: "object", properties: { error: { type: "object", properties: { code: "integer" }, required: ["code"] } }, required: ["error"] });
    expect(envelope.expression).not.toContain("refs");
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
    expect(meaning(code)).toEqual({ type: "object", properties: { id: "string", next: "unknown" }, required: ["id"] });
    const Loop = component(evaluate(emitter, { Loop: code }), "Loop");
    expect(accepts(Loop, { id: "a", next: { anything: true } })).toBe(true);
    expect(accepts(Loop, { next: {} })).toBe(false);
    // The same pointer can be expanded again afterwards: the cycle guard is released.
    expect(emitter.emit({ $ref: pointer })).toBe(code);
  });

  it('emits a dangling $ref as "unknown" instead of crashing', () => {
    expect(new SchemaEmitter(doc()).emit({ $ref: "#/components/responses/Nope/content/application~1json/schema" })).toBe('"unknown"');
  });

  it("gives components unique PascalCase identifiers and resolves escaped component refs", () => {
    const emitter = new SchemaEmitter(doc({ "foo-bar": { type: "string" }, FooBar: { type: "number" }, "a/b": { type: "boolean" } }));
    expect(emitter.components.map((c) => [c.name, c.identifier])).toEqual([
      ["foo-bar", "FooBarSchema"],
      ["FooBar", "FooBarSchema2"],
      ["a/b", "ABSchema"],
    ]);
    expect(emitter.emit({ $ref: "#/components/schemas/a~1b" })).toBe("() => ABSchema");
  });

  it("lists each referenced constant once in refs, in order of first use", () => {
    const emitter = new SchemaEmitter(doc({ A: { type: "string" }, B: { type: "integer" } }));
    const code = emitter.emit({
      type: "object",
      properties: { a: { $ref: "#/components/schemas/A" }, b: { $ref: "#/components/schemas/B" }, again: { $ref: "#/components/schemas/A" } },
    });
    expect(code).toBe(`{ json: '{"type":"object","properties":{"a":{"$ref":0},"b":{"$ref":1},"again":{"$ref":0}}}', refs: () => [ASchema, BSchema] }`);
  });
});

describe("SchemaEmitter.emitBody", () => {
  const emitter = new SchemaEmitter(doc({ Patient: { type: "object", properties: { id: { type: "string" } } } }));

  it("names a component constant directly for a plain component $ref", () => {
    expect(emitter.emitBody({ $ref: "#/components/schemas/Patient" })).toBe("PatientSchema");
  });

  it("emits anything else as emit() would", () => {
    const inline = { type: "array", items: { $ref: "#/components/schemas/Patient" } };
    expect(meaning(emitter.emitBody(inline))).toEqual({ type: "array", items: { ref: "PatientSchema" } });
    expect(emitter.emitBody(inline)).toBe(emitter.emit(inline));
    expect(emitter.emitBody({ $ref: "#/components/schemas/Missing" })).toBe('"unknown"');
  });

  it("produces code that evaluates against the component constants", () => {
    const schemas = evaluate(emitter, { Body: emitter.emitBody({ $ref: "#/components/schemas/Patient" }) });
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
