/**
 * `ZodEmitter`: JSON Schema (OpenAPI 3.0 and 3.1) → zod source text. Each case checks
 * the text and then evaluates it, exactly as the generated `schemas.ts` would run, to
 * prove the schema accepts what the spec allows and rejects what it does not.
 */
import { describe, expect, it } from "@jest/globals";
import { tolerantObject, z } from "carewire";
import type { JsonObject } from "../../src/codegen/json.js";
import { ZodEmitter, pickJsonMediaType } from "../../src/codegen/zod-emitter.js";

type Schemas = Record<string, z.ZodType>;
type Factory = (zod: typeof z, tolerant: typeof tolerantObject) => Schemas;

function doc(schemas: JsonObject = {}, components: JsonObject = {}): JsonObject {
  return { openapi: "3.1.0", info: { title: "t", version: "1" }, paths: {}, components: { ...components, schemas } };
}

/**
 * Evaluates the emitted component declarations (in emission order, as in `schemas.ts`)
 * plus any extra named expressions, returning every constant by name.
 */
function evaluate(emitter: ZodEmitter, extra: Record<string, string> = {}): Schemas {
  const declarations = [
    ...emitter.components.map((c) => `const ${c.identifier} = ${c.expression};`),
    ...Object.entries(extra).map(([name, expression]) => `const ${name} = ${expression};`),
  ];
  const names = [...emitter.components.map((c) => c.identifier), ...Object.keys(extra)];
  const factory = new Function("z", "tolerantObject", `${declarations.join("\n")}\nreturn { ${names.join(", ")} };`) as Factory;
  return factory(z, tolerantObject);
}

/** Emits one schema inside a document and evaluates it. */
function compile(schema: unknown, componentSchemas: JsonObject = {}): { code: string; schema: z.ZodType } {
  const emitter = new ZodEmitter(doc(componentSchemas));
  const code = emitter.emit(schema);
  const out = evaluate(emitter, { Subject: code });
  return { code, schema: out.Subject! };
}

function component(schemas: Schemas, name: string): z.ZodType {
  const schema = schemas[name];
  if (schema === undefined) throw new Error(`no component ${name}`);
  return schema;
}

const accepts = (schema: z.ZodType, value: unknown) => schema.safeParse(value).success;

describe("ZodEmitter: nullability", () => {
  it("turns OpenAPI 3.0 `nullable: true` into .nullable()", () => {
    const { code, schema } = compile({ type: "string", nullable: true });
    expect(code).toBe("z.string().nullable()");
    expect(accepts(schema, "a")).toBe(true);
    expect(accepts(schema, null)).toBe(true);
    expect(accepts(schema, 1)).toBe(false);
  });

  it("applies 3.0 nullable to objects and allOf compositions", () => {
    const object = compile({ type: "object", properties: { a: { type: "integer" } }, required: ["a"], nullable: true });
    expect(object.code).toBe('tolerantObject({ "a": z.number().int() }).nullable()');
    expect(accepts(object.schema, null)).toBe(true);
    expect(accepts(object.schema, { a: 1 })).toBe(true);
    expect(accepts(object.schema, { a: "1" })).toBe(false);

    const composed = compile({ allOf: [{ $ref: "#/components/schemas/Id" }], nullable: true }, { Id: { type: "string" } });
    expect(composed.code).toBe("z.lazy(() => IdSchema).nullable()");
    expect(accepts(composed.schema, null)).toBe(true);
    expect(accepts(composed.schema, "x")).toBe(true);
    expect(accepts(composed.schema, 5)).toBe(false);
  });

  it("treats 3.0 `nullable: false` as not nullable", () => {
    const { code, schema } = compile({ type: "boolean", nullable: false });
    expect(code).toBe("z.boolean()");
    expect(accepts(schema, null)).toBe(false);
  });

  it('turns 3.1 `type: [string, "null"]` into a nullable string', () => {
    const { code, schema } = compile({ type: ["string", "null"] });
    expect(code).toBe("z.string().nullable()");
    expect(accepts(schema, "a")).toBe(true);
    expect(accepts(schema, null)).toBe(true);
    expect(accepts(schema, 1)).toBe(false);
  });

  it("turns a 3.1 multi-type array into a union, and `type: null` into z.null()", () => {
    const multi = compile({ type: ["integer", "string", "null"] });
    expect(multi.code).toBe("z.union([z.number().int(), z.string()]).nullable()");
    for (const ok of [1, "x", null]) expect(accepts(multi.schema, ok)).toBe(true);
    for (const bad of [1.5, true, {}]) expect(accepts(multi.schema, bad)).toBe(false);

    const onlyNull = compile({ type: "null" });
    expect(onlyNull.code).toBe("z.null()");
    expect(accepts(onlyNull.schema, null)).toBe(true);
    expect(accepts(onlyNull.schema, 0)).toBe(false);
  });
});

describe("ZodEmitter: enum and const", () => {
  it("emits a string enum as z.enum", () => {
    const { code, schema } = compile({ type: "string", enum: ["booked", "cancelled"] });
    expect(code).toBe('z.enum(["booked", "cancelled"])');
    expect(accepts(schema, "booked")).toBe(true);
    expect(accepts(schema, "noshow")).toBe(false);
  });

  it("emits a mixed enum as a union of literals that does not coerce", () => {
    const { code, schema } = compile({ enum: [1, "one", true] });
    expect(code).toBe('z.union([z.literal(1), z.literal("one"), z.literal(true)])');
    for (const ok of [1, "one", true]) expect(accepts(schema, ok)).toBe(true);
    for (const bad of ["1", 2, false, null]) expect(accepts(schema, bad)).toBe(false);
  });

  it("makes an enum that lists null nullable, and so does 3.0 nullable on an enum", () => {
    const listed = compile({ type: ["string", "null"], enum: ["a", "b", null] });
    expect(listed.code).toBe('z.enum(["a", "b"]).nullable()');
    expect(accepts(listed.schema, null)).toBe(true);
    expect(accepts(listed.schema, "b")).toBe(true);
    expect(accepts(listed.schema, "c")).toBe(false);

    const flagged = compile({ type: "string", enum: ["a"], nullable: true });
    expect(flagged.code).toBe('z.enum(["a"]).nullable()');
    expect(accepts(flagged.schema, null)).toBe(true);

    const onlyNull = compile({ enum: [null] });
    expect(onlyNull.code).toBe("z.null()");
    expect(accepts(onlyNull.schema, null)).toBe(true);
    expect(accepts(onlyNull.schema, "a")).toBe(false);
  });

  it("emits const as a literal", () => {
    const text = compile({ const: "Patient" });
    expect(text.code).toBe('z.literal("Patient")');
    expect(accepts(text.schema, "Patient")).toBe(true);
    expect(accepts(text.schema, "Practitioner")).toBe(false);

    const number = compile({ type: "integer", const: 3 });
    expect(number.code).toBe("z.literal(3)");
    expect(accepts(number.schema, 3)).toBe(true);
    expect(accepts(number.schema, 4)).toBe(false);

    const nothing = compile({ const: null });
    expect(nothing.code).toBe("z.null()");
    expect(accepts(nothing.schema, null)).toBe(true);
  });
});

describe("ZodEmitter: composition", () => {
  it("turns allOf into an intersection that accepts an object with both parts' fields", () => {
    const emitter = new ZodEmitter(
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
    expect(patient.expression).toBe('z.intersection(z.lazy(() => ResourceSchema), tolerantObject({ "name": z.string() }))');

    const Patient = component(evaluate(emitter), "PatientSchema");
    const parsed = Patient.safeParse({ id: "p1", name: "Ada", extra: 1 });
    expect(parsed.success).toBe(true);
    expect(parsed.data).toEqual({ id: "p1", name: "Ada", extra: 1 });
    expect(accepts(Patient, { id: "p1" })).toBe(false); // second part's field missing
    expect(accepts(Patient, { name: "Ada" })).toBe(false); // first part's field missing
  });

  it("intersects a schema's own properties with its allOf members", () => {
    const { code, schema } = compile({
      type: "object",
      properties: { a: { type: "string" } },
      required: ["a"],
      allOf: [{ properties: { b: { type: "number" } }, required: ["b"] }],
    });
    expect(code).toBe('z.intersection(tolerantObject({ "a": z.string() }), tolerantObject({ "b": z.number() }))');
    expect(accepts(schema, { a: "x", b: 1 })).toBe(true);
    expect(accepts(schema, { a: "x" })).toBe(false);
  });

  it("turns oneOf into a union", () => {
    const { code, schema } = compile({ oneOf: [{ type: "string" }, { type: "integer" }] });
    expect(code).toBe("z.union([z.string(), z.number().int()])");
    expect(accepts(schema, "x")).toBe(true);
    expect(accepts(schema, 7)).toBe(true);
    expect(accepts(schema, false)).toBe(false);
  });

  it("turns anyOf into a union of objects", () => {
    const { code, schema } = compile({
      anyOf: [
        { type: "object", properties: { cat: { type: "boolean" } }, required: ["cat"] },
        { type: "object", properties: { dog: { type: "boolean" } }, required: ["dog"] },
      ],
    });
    expect(code).toBe('z.union([tolerantObject({ "cat": z.boolean() }), tolerantObject({ "dog": z.boolean() })])');
    expect(accepts(schema, { cat: true })).toBe(true);
    expect(accepts(schema, { dog: false })).toBe(true);
    expect(accepts(schema, { bird: true })).toBe(false);
  });

  it("collapses a union containing an unconstrained member to z.unknown()", () => {
    expect(compile({ oneOf: [{ type: "string" }, {}] }).code).toBe("z.unknown()");
  });
});

describe("ZodEmitter: objects and maps", () => {
  it("emits plain objects as tolerantObject: required vs optional fields, and unknown keys survive parsing", () => {
    const { code, schema } = compile({
      type: "object",
      properties: { id: { type: "string" }, "odd key": { type: "number" } },
      required: ["id"],
    });
    expect(code).toBe('tolerantObject({ "id": z.string(), "odd key": z.number().optional() })');
    const parsed = schema.safeParse({ id: "1", surprise: { deep: [1, 2] } });
    expect(parsed.success).toBe(true);
    expect(parsed.data).toEqual({ id: "1", surprise: { deep: [1, 2] } });
    expect(accepts(schema, { "odd key": 1 })).toBe(false);
    expect(accepts(schema, { id: "1", "odd key": "x" })).toBe(false);
  });

  it("keeps additionalProperties: false tolerant (unknown keys survive, not rejected)", () => {
    const { code, schema } = compile({ type: "object", properties: { a: { type: "string" } }, additionalProperties: false });
    expect(code).toBe('tolerantObject({ "a": z.string().optional() })');
    expect(schema.safeParse({ a: "x", b: 1 }).data).toEqual({ a: "x", b: 1 });
  });

  it("turns an additionalProperties schema without properties into a record", () => {
    const { code, schema } = compile({ type: "object", additionalProperties: { type: "integer" } });
    expect(code).toBe("z.record(z.string(), z.number().int())");
    expect(accepts(schema, { a: 1, b: 2 })).toBe(true);
    expect(accepts(schema, { a: "1" })).toBe(false);

    const anything = compile({ additionalProperties: true });
    expect(anything.code).toBe("z.record(z.string(), z.unknown())");
    expect(accepts(anything.schema, { a: [1], b: null })).toBe(true);
    expect(accepts(anything.schema, [1])).toBe(false);
  });

  it("turns properties + an additionalProperties schema into an object with a catchall", () => {
    const { code, schema } = compile({
      type: "object",
      properties: { total: { type: "integer" } },
      required: ["total"],
      additionalProperties: { type: "string" },
    });
    expect(code).toBe('z.object({ "total": z.number().int() }).catchall(z.string())');
    expect(schema.safeParse({ total: 2, a: "x", b: "y" }).data).toEqual({ total: 2, a: "x", b: "y" });
    expect(accepts(schema, { total: 2, a: 3 })).toBe(false);
    expect(accepts(schema, { a: "x" })).toBe(false);
  });

  it("emits arrays (items implied type, tuple-style items as a union, missing items as unknown)", () => {
    const list = compile({ items: { type: "string" } });
    expect(list.code).toBe("z.array(z.string())");
    expect(accepts(list.schema, ["a", "b"])).toBe(true);
    expect(accepts(list.schema, ["a", 1])).toBe(false);

    expect(compile({ type: "array", items: [{ type: "string" }, { type: "number" }] }).code).toBe(
      "z.array(z.union([z.string(), z.number()]))",
    );
    expect(compile({ type: "array" }).code).toBe("z.array(z.unknown())");
  });

  it("emits boolean schemas: true → z.unknown(), false → z.never()", () => {
    const emitter = new ZodEmitter(doc());
    expect(emitter.emit(true)).toBe("z.unknown()");
    expect(emitter.emit(false)).toBe("z.never()");
    expect(emitter.emit(undefined)).toBe("z.unknown()");

    const { code, schema } = compile({ type: "object", properties: { anything: true, nothing: false } });
    expect(code).toBe('tolerantObject({ "anything": z.unknown().optional(), "nothing": z.never().optional() })');
    expect(accepts(schema, { anything: { x: 1 } })).toBe(true);
    expect(accepts(schema, { nothing: 1 })).toBe(false);
  });
});

describe("ZodEmitter: references and recursion", () => {
  it("parses a 3-level tree with a self-referencing component", () => {
    const emitter = new ZodEmitter(
      doc({
        Node: {
          type: "object",
          properties: { label: { type: "string" }, children: { type: "array", items: { $ref: "#/components/schemas/Node" } } },
          required: ["label"],
        },
      }),
    );
    expect(emitter.components).toEqual([
      {
        name: "Node",
        identifier: "NodeSchema",
        expression: 'tolerantObject({ "label": z.string(), "children": z.array(z.lazy(() => NodeSchema)).optional() })',
      },
    ]);
    const Node = component(evaluate(emitter), "NodeSchema");
    const tree = { label: "1", children: [{ label: "1.1", children: [{ label: "1.1.1" }] }, { label: "1.2" }] };
    expect(Node.safeParse(tree).data).toEqual(tree);
    // A violation at the third level is found: the recursion really validates.
    expect(accepts(Node, { label: "1", children: [{ label: "1.1", children: [{ label: 3 }] }] })).toBe(false);
  });

  it("parses a 3-level tree with a mutually-recursive pair of components, whatever their order", () => {
    const emitter = new ZodEmitter(
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
    expect(Folder.safeParse(tree).data).toEqual(tree);
    expect(accepts(component(schemas, "EntrySchema"), { folder: tree })).toBe(true);
    expect(
      accepts(Folder, { name: "root", entries: [{ folder: { name: "sub", entries: [{ folder: { name: "leaf" } }] } }] }),
    ).toBe(false);
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
    const emitter = new ZodEmitter(
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
    expect(envelope.expression).toBe('tolerantObject({ "error": tolerantObject({ "code": z.number().int() }) })');
    expect(envelope.expression).not.toContain("z.lazy");
    const Envelope = component(evaluate(emitter), "EnvelopeSchema");
    expect(accepts(Envelope, { error: { code: 404 } })).toBe(true);
    expect(accepts(Envelope, { error: { code: "404" } })).toBe(false);
  });

  it("terminates a ref cycle through non-component locations with z.unknown()", () => {
    const pointer = "#/components/responses/Loop/content/application~1json/schema";
    const emitter = new ZodEmitter(
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
    expect(code).toBe('tolerantObject({ "id": z.string(), "next": z.unknown().optional() })');
    const Loop = component(evaluate(emitter, { Loop: code }), "Loop");
    expect(accepts(Loop, { id: "a", next: { anything: true } })).toBe(true);
    expect(accepts(Loop, { next: {} })).toBe(false);
    // The same pointer can be expanded again afterwards: the cycle guard is released.
    expect(emitter.emit({ $ref: pointer })).toBe(code);
  });

  it("emits a dangling $ref as z.unknown() instead of crashing", () => {
    expect(new ZodEmitter(doc()).emit({ $ref: "#/components/responses/Nope/content/application~1json/schema" })).toBe("z.unknown()");
  });

  it("gives components unique PascalCase identifiers and resolves escaped component refs", () => {
    const emitter = new ZodEmitter(
      doc({ "foo-bar": { type: "string" }, FooBar: { type: "number" }, "a/b": { type: "boolean" } }),
    );
    expect(emitter.components.map((c) => [c.name, c.identifier])).toEqual([
      ["foo-bar", "FooBarSchema"],
      ["FooBar", "FooBarSchema2"],
      ["a/b", "ABSchema"],
    ]);
    expect(emitter.emit({ $ref: "#/components/schemas/a~1b" })).toBe("z.lazy(() => ABSchema)");
  });
});

describe("ZodEmitter.emitBody", () => {
  const emitter = new ZodEmitter(doc({ Patient: { type: "object", properties: { id: { type: "string" } } } }));

  it("names a component constant directly for a plain component $ref", () => {
    expect(emitter.emitBody({ $ref: "#/components/schemas/Patient" })).toBe("PatientSchema");
  });

  it("emits anything else as emit() would", () => {
    const inline = { type: "array", items: { $ref: "#/components/schemas/Patient" } };
    expect(emitter.emitBody(inline)).toBe("z.array(z.lazy(() => PatientSchema))");
    expect(emitter.emitBody(inline)).toBe(emitter.emit(inline));
    expect(emitter.emitBody({ $ref: "#/components/schemas/Missing" })).toBe("z.unknown()");
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
