/**
 * `readTolerantly(schema, value)`: provider data is never rejected for differing from
 * the spec. Unknown fields are kept and reported by JSON path; violations are reported
 * as issues and the raw value is returned.
 */
import { describe, expect, it } from "@jest/globals";
import { readTolerantly } from "carewire";
import { critical, tolerantObject, z } from "carewire/zod";
import type { Schema } from "../../src/runtime/tolerant/validate-schema.js";

const Patient = tolerantObject({
  id: z.string(),
  name: z.string().optional(),
  status: z.enum(["active", "inactive"]).optional(),
  contacts: z.array(tolerantObject({ kind: z.string(), value: z.string() })).optional(),
});

describe("readTolerantly: valid data", () => {
  it("returns valid data as parsed with valid true and no drift", () => {
    const value = { id: "p1", name: "Ada", status: "active", contacts: [{ kind: "phone", value: "123" }] };
    const result = readTolerantly(Patient, value);
    expect(result.valid).toBe(true);
    expect(result.value).toEqual(value);
    expect(result.drift).toEqual({ unknownFields: [], issues: [] });
  });

  it("returns the value as is, valid and without drift, when there is no schema", () => {
    const value = { anything: [1, 2, { goes: true }] };
    const result = readTolerantly(undefined, value);
    expect(result.value).toBe(value);
    expect(result.valid).toBe(true);
    expect(result.drift).toEqual({ unknownFields: [], issues: [] });
  });

  it("reads primitives and arrays of primitives without drift", () => {
    expect(readTolerantly(z.array(z.number()), [1, 2, 3])).toEqual({ value: [1, 2, 3], valid: true, drift: { unknownFields: [], issues: [] }, critical: [] });
    expect(readTolerantly(z.string().nullable(), null).drift.unknownFields).toEqual([]);
  });
});

describe("readTolerantly: unknown fields", () => {
  it("keeps unknown keys in the value and reports them by JSON path", () => {
    const value = { id: "p1", extra: { nested: true }, "odd key": 1, "x-vendor": "y", $meta: 2 };
    const result = readTolerantly(Patient, value);
    expect(result.valid).toBe(true);
    expect(result.value).toEqual(value);
    expect(result.drift.unknownFields).toEqual(["$.extra", '$["odd key"]', '$["x-vendor"]', "$.$meta"]);
    expect(result.drift.issues).toEqual([]);
  });

  it("reports an unknown key inside an unknown-keyed object only once, at the outer key", () => {
    const result = readTolerantly(Patient, { id: "p1", extra: { a: { b: 1 } } });
    expect(result.drift.unknownFields).toEqual(["$.extra"]);
  });

  it("reports unknown keys nested inside arrays of objects with indexes folded to [*], de-duplicated", () => {
    const result = readTolerantly(Patient, {
      id: "p1",
      contacts: [
        { kind: "phone", value: "1", verified: true },
        { kind: "email", value: "a@b", verified: false, "pref rank": 1 },
        { kind: "fax", value: "2", verified: true },
      ],
    });
    expect(result.valid).toBe(true);
    expect(result.drift.unknownFields).toEqual(["$.contacts[*].verified", '$.contacts[*]["pref rank"]']);
  });

  it("folds indexes of nested arrays at every level", () => {
    const Grid = z.array(z.array(tolerantObject({ v: z.number() })));
    const result = readTolerantly(Grid, [[{ v: 1, w: 2 }], [{ v: 3 }, { v: 4, w: 5 }]]);
    expect(result.drift.unknownFields).toEqual(["$[*][*].w"]);
  });

  it("looks through optional, nullable and lazy wrappers", () => {
    const Node: z.ZodType = tolerantObject({
      id: z.string(),
      child: z.lazy(() => Node).nullable().optional(),
    });
    const result = readTolerantly(Node, { id: "a", child: { id: "b", child: { id: "c", surprise: 1 } } });
    expect(result.drift.unknownFields).toEqual(["$.child.child.surprise"]);
    expect(readTolerantly(Node, { id: "a", child: null }).drift.unknownFields).toEqual([]);
  });

  it("does not report the keys of declared maps (z.record and catchall)", () => {
    const Counts = z.record(z.string(), z.number());
    expect(readTolerantly(Counts, { a: 1, "b c": 2 })).toEqual({
      value: { a: 1, "b c": 2 },
      valid: true,
      drift: { unknownFields: [], issues: [] },
      critical: [],
    });

    const Page = tolerantObject({ meta: z.object({ total: z.number() }).catchall(z.string()) });
    const result = readTolerantly(Page, { meta: { total: 3, next: "cursor", prev: "cursor0" } });
    expect(result.valid).toBe(true);
    expect(result.drift.unknownFields).toEqual([]);
  });

  it("still reports unknown keys inside a map's values, with the map key folded to .*", () => {
    const Index = z.record(z.string(), tolerantObject({ name: z.string() }));
    const result = readTolerantly(Index, { p1: { name: "a", age: 3 }, p2: { name: "b", age: 4 } });
    expect(result.drift.unknownFields).toEqual(["$.*.age"]);
  });

  it("knows the keys of both sides of an intersection", () => {
    const Resource = tolerantObject({ id: z.string(), meta: tolerantObject({ version: z.string() }).optional() });
    const PatientPart = tolerantObject({ name: z.string() });
    const Both = z.intersection(Resource, PatientPart);
    const clean = readTolerantly(Both, { id: "p1", name: "Ada", meta: { version: "2" } });
    expect(clean.valid).toBe(true);
    expect(clean.drift.unknownFields).toEqual([]);

    const drifted = readTolerantly(Both, { id: "p1", name: "Ada", meta: { version: "2", source: "x" }, extra: 1 });
    expect(drifted.drift.unknownFields).toEqual(["$.meta.source", "$.extra"]);
  });

  it("knows the keys of a union side of an intersection (allOf + oneOf)", () => {
    // What the emitter produces for `{ allOf: [Base], oneOf: [Cat, Dog] }`.
    const Base = tolerantObject({ id: z.string() });
    const Cat = tolerantObject({ meow: z.boolean() });
    const Dog = tolerantObject({ bark: z.boolean() });
    const Pet = z.intersection(Base, z.union([Cat, Dog]));
    const result = readTolerantly(Pet, { id: "d1", bark: true });
    expect(result.valid).toBe(true);
    expect(result.drift.unknownFields).toEqual([]);
    expect(readTolerantly(Pet, { id: "d1", bark: true, wag: true }).drift.unknownFields).toEqual(["$.wag"]);
  });

  it("explains a union value with the member that fits it best: a Dog is not an unknown-keyed Cat", () => {
    const Cat = tolerantObject({ name: z.string(), meows: z.boolean().optional() });
    const Dog = tolerantObject({ name: z.string(), barks: z.boolean(), breed: z.string().optional() });
    const Pet = z.union([Cat, Dog]); // Cat first: it also accepts the Dog (tolerant), with unknown keys
    const dog = readTolerantly(Pet, { name: "Rex", barks: true, breed: "collie" });
    expect(dog.valid).toBe(true);
    expect(dog.drift.unknownFields).toEqual([]);

    const drifted = readTolerantly(z.array(Pet), [{ name: "Rex", barks: true, tail: "long" }, { name: "Tom", meows: true }]);
    expect(drifted.drift.unknownFields).toEqual(["$[*].tail"]);
  });
});

describe("readTolerantly: violations", () => {
  it("returns the raw value, valid false and an issue at $.field for a wrong type", () => {
    const value = { id: 42, name: "Ada" };
    const result = readTolerantly(Patient, value);
    expect(result.valid).toBe(false);
    expect(result.value).toBe(value);
    expect(result.drift.issues).toEqual([expect.objectContaining({ path: "$.id", code: "invalid_type" })]);
    expect(result.drift.issues[0]!.message).toEqual(expect.any(String));
  });

  it("returns the raw value, valid false and an issue at $.field for an unknown enum value, still reporting unknown keys", () => {
    const value = { id: "p1", status: "deceased", extra: true };
    const result = readTolerantly(Patient, value);
    expect(result.valid).toBe(false);
    expect(result.value).toBe(value);
    expect(result.drift.issues).toEqual([expect.objectContaining({ path: "$.status", code: "invalid_value" })]);
    expect(result.drift.unknownFields).toEqual(["$.extra"]);
  });

  it("gives issue paths with array indexes and quoted odd keys", () => {
    const Thing = tolerantObject({ list: z.array(tolerantObject({ "a b": z.number() })) });
    const result = readTolerantly(Thing, { list: [{ "a b": 1 }, { "a b": "two" }] });
    expect(result.valid).toBe(false);
    expect(result.drift.issues.map((i) => i.path)).toEqual(['$.list[1]["a b"]']);
  });

  it("reports a missing required field as an issue at its path", () => {
    const result = readTolerantly(Patient, { name: "Ada" });
    expect(result.valid).toBe(false);
    expect(result.drift.issues).toEqual([expect.objectContaining({ path: "$.id", code: "invalid_type" })]);
  });
});

describe("readTolerantly: bounded report", () => {
  it("caps unknown fields at 100 when an object has 500 distinct unknown keys", () => {
    const value: Record<string, unknown> = { id: "p1" };
    for (let i = 0; i < 500; i++) value[`unexpected${i}`] = i;
    const result = readTolerantly(Patient, value);
    expect(result.valid).toBe(true);
    expect(result.value).toEqual(value); // the data itself is never truncated
    expect(result.drift.unknownFields.length).toBeGreaterThan(0);
    expect(result.drift.unknownFields.length).toBeLessThanOrEqual(100);
  });

  it("caps unknown fields at 100 when they are spread over many array elements", () => {
    const value = { id: "p1", contacts: Array.from({ length: 500 }, (_, i) => ({ kind: "k", value: "v", [`x${i}`]: i })) };
    const result = readTolerantly(Patient, value);
    expect(result.drift.unknownFields.length).toBeGreaterThan(0);
    expect(result.drift.unknownFields.length).toBeLessThanOrEqual(100);
  });

  it("caps issues at 100", () => {
    const result = readTolerantly(z.array(z.number()), Array.from({ length: 500 }, (_, i) => `n${i}`));
    expect(result.valid).toBe(false);
    expect(result.drift.issues.length).toBeGreaterThan(0);
    expect(result.drift.issues.length).toBeLessThanOrEqual(100);
  });
});

describe("readTolerantly: critical fields (x-carewire-critical)", () => {
  const Appointment = tolerantObject({
    id: critical(z.string()),
    status: critical(z.enum(["booked", "cancelled"])),
    note: z.string().optional(),
    patient: critical(tolerantObject({ id: z.string(), name: z.string().optional() })).optional(),
  });
  const Page = tolerantObject({ data: z.array(Appointment) });

  it("reports a missing critical field apart, with its path, and still returns the value", () => {
    const value = { status: "booked" };
    const result = readTolerantly(Appointment, value);
    expect(result.valid).toBe(false);
    expect(result.value).toBe(value);
    expect(result.critical).toEqual([expect.objectContaining({ path: "$.id", code: "invalid_type" })]);
  });

  it("reports an unknown enum value of a critical field, inside an array item", () => {
    const result = readTolerantly(Page, { data: [{ id: "a1", status: "booked" }, { id: "a2", status: "tentative" }] });
    expect(result.critical).toEqual([expect.objectContaining({ path: "$.data[1].status", code: "invalid_value" })]);
  });

  it("counts a violation inside a critical object as critical", () => {
    const result = readTolerantly(Appointment, { id: "a1", status: "booked", patient: { id: 7 } });
    expect(result.critical.map((i) => i.path)).toEqual(["$.patient.id"]);
  });

  it.each([
    ["null", null],
    ["an array", [{ id: "a1", status: "booked" }]],
    ["text (an HTML page)", "<html><body>Service Unavailable</body></html>"],
    ["nothing (an empty body)", undefined],
  ])("counts a body of %s where an object with critical fields is declared as critical, keeping it", (_what, value) => {
    const result = readTolerantly(Appointment, value);
    expect(result.critical).toEqual([expect.objectContaining({ path: "$" })]);
    expect(result.value).toBe(value);
  });

  it("does not count a missing list as critical, though its items have critical fields", () => {
    const result = readTolerantly(Page, {});
    expect(result.critical).toEqual([]);
    expect(result.drift.issues.map((i) => i.path)).toEqual(["$.data"]);
  });

  it("reports a wrong-shape body where nothing is critical as drift only", () => {
    const result = readTolerantly(tolerantObject({ note: z.string().optional() }), null);
    expect(result.critical).toEqual([]);
    expect(result.drift.issues).toHaveLength(1);
  });

  it("tolerates violations of fields that are not critical, and unknown fields, as drift only", () => {
    const result = readTolerantly(Appointment, { id: "a1", status: "booked", note: 42, brandNew: true });
    expect(result.critical).toEqual([]);
    expect(result.drift.issues.map((i) => i.path)).toEqual(["$.note"]);
    expect(result.drift.unknownFields).toEqual(["$.brandNew"]);
  });
});

describe("readTolerantly: generated schemas (plain data)", () => {
  const Contact: Schema = { type: "object", properties: { kind: "string", value: "string" }, required: ["kind", "value"] };
  const PatientData: Schema = {
    type: "object",
    properties: { id: "string", name: { type: "string", nullable: true }, status: { enum: ["active", "inactive"] }, contacts: { type: "array", items: () => Contact } },
    required: ["id"],
    critical: ["id"],
  };

  it("checks and finds unknown keys in one pass, returning the very object it was given", () => {
    const value = { id: "p1", name: null, status: "active", contacts: [{ kind: "phone", value: "1", verified: true }], extra: 1 };
    const result = readTolerantly(PatientData, value);
    expect(result.value).toBe(value);
    expect(result.valid).toBe(true);
    expect(result.drift).toEqual({ unknownFields: ["$.contacts[*].verified", "$.extra"], issues: [] });
    expect(value.contacts[0]).toEqual({ kind: "phone", value: "1", verified: true }); // nothing removed or added
  });

  it("reports wrong types, unknown enum values and missing fields with their paths, critical ones apart", () => {
    const result = readTolerantly(PatientData, { name: 7, status: "deceased", contacts: [{ kind: "phone" }] });
    expect(result.valid).toBe(false);
    expect(result.drift.issues.map((i) => [i.path, i.code])).toEqual([
      ["$.name", "invalid_type"],
      ["$.status", "invalid_value"],
      ["$.contacts[0].value", "invalid_type"],
      ["$.id", "invalid_type"],
    ]);
    expect(result.critical.map((i) => i.path)).toEqual(["$.id"]);
  });

  it("says what was expected and what kind of value came, never the value itself", () => {
    const result = readTolerantly(PatientData, { id: 123456789, status: "Jane Doe, born 1970" });
    expect(result.drift.issues.map((i) => i.message)).toEqual(["expected string, got number", "not one of the 2 declared values"]);
    expect(JSON.stringify([result.drift, result.critical])).not.toMatch(/Jane|123456789/);
  });

  it("reads packed schemas: JSON text whose $refs name other schemas, parsed on first use", () => {
    const Packed: Schema = { json: '{"type":"object","properties":{"patient":{"$ref":0},"others":{"type":"array","items":{"$ref":0}}},"required":["patient"]}', refs: () => [PatientData] };
    expect(readTolerantly(Packed, { patient: { id: "p1" }, others: [{ id: "p2", x: 1 }] }).drift).toEqual({ unknownFields: ["$.others[*].x"], issues: [] });
    expect(readTolerantly(Packed, { patient: {} }).critical.map((i) => i.path)).toEqual(["$.patient.id"]);
  });

  it("keeps a null, an array or text where an object with critical fields is declared, and calls it critical", () => {
    for (const body of [null, [], "<html>busy</html>", undefined]) {
      const result = readTolerantly(PatientData, body);
      expect(result.value).toBe(body);
      expect(result.critical).toEqual([expect.objectContaining({ path: "$", code: "invalid_type" })]);
    }
  });

  it("reads keys that objects inherit (constructor, toString, __proto__) as data like any other", () => {
    const Keys: Schema = { type: "object", properties: { constructor: "string" as const, ["__proto__"]: "integer" }, required: ["constructor"] };
    const body = JSON.parse('{"constructor": "c", "__proto__": 1, "toString": "x", "hasOwnProperty": 2}') as unknown;
    expect(readTolerantly(Keys, body)).toMatchObject({ valid: true, drift: { unknownFields: ["$.toString", "$.hasOwnProperty"], issues: [] } });
    expect(readTolerantly(Keys, {}).drift.issues.map((i) => i.path)).toEqual(["$.constructor"]);
    expect(readTolerantly(Keys, JSON.parse('{"constructor": "c", "__proto__": "one"}')).drift.issues.map((i) => i.path)).toEqual(["$.__proto__"]);
  });

  it("reads a declared map's entries with the map's value schema, keys folded to .* in unknown fields", () => {
    const Index: Schema = { type: "object", properties: { total: "integer" }, required: ["total"], additionalProperties: () => Contact };
    const result = readTolerantly(Index, { total: 2, a: { kind: "k", value: "v", age: 3 }, b: { kind: 1, value: "v" } });
    expect(result.drift.unknownFields).toEqual(["$.*.age"]);
    expect(result.drift.issues.map((i) => i.path)).toEqual(["$.b.kind"]);
  });

  it("picks the union member that explains the value best, and says so when none takes it", () => {
    const Cat: Schema = { type: "object", properties: { name: "string", meows: "boolean" }, required: ["name"] };
    const Dog: Schema = { type: "object", properties: { name: "string", barks: "boolean", breed: "string" }, required: ["name", "barks"] };
    const Pet: Schema = { anyOf: [() => Cat, () => Dog, "null"] };
    expect(readTolerantly(Pet, { name: "Rex", barks: true, breed: "collie" }).drift).toEqual({ unknownFields: [], issues: [] });
    expect(readTolerantly(Pet, null).valid).toBe(true);
    expect(readTolerantly({ type: "array", items: Pet }, [{ name: "Rex", barks: true, tail: "long" }, { name: "Tom", meows: "yes" }]).drift).toEqual({
      unknownFields: ["$[*].tail"],
      issues: [expect.objectContaining({ path: "$[1].meows", code: "invalid_type" })],
    });
    expect(readTolerantly(Pet, "Rex").drift.issues).toEqual([{ path: "$", code: "invalid_union", message: "expected object or null, got string" }]);
  });

  it("pools the keys of allOf parts, a union part adding the member that fits", () => {
    const Base: Schema = { type: "object", properties: { id: "string" }, required: ["id"], critical: ["id"] };
    const Pet: Schema = { allOf: [() => Base, { anyOf: [{ type: "object", properties: { meow: "boolean" } }, { type: "object", properties: { bark: "boolean" }, required: ["bark"] }] }] };
    expect(readTolerantly(Pet, { id: "d1", bark: true }).drift).toEqual({ unknownFields: [], issues: [] });
    expect(readTolerantly(Pet, { id: "d1", bark: true, wag: true }).drift.unknownFields).toEqual(["$.wag"]);
    expect(readTolerantly(Pet, { bark: true }).critical.map((i) => i.path)).toEqual(["$.id"]);
    expect(readTolerantly(Pet, null).critical.map((i) => i.path)).toEqual(["$"]);
  });

  it("stops at 256 levels with an issue instead of overflowing the stack on data nested 100,000 deep", () => {
    const Node: Schema = { type: "object", properties: { child: () => Node, items: { type: "array", items: () => Node } } };
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) deep = { child: deep };
    let list: unknown = [];
    for (let i = 0; i < 100_000; i++) list = [{ items: list }];
    for (const value of [deep, { items: list }]) {
      const result = readTolerantly(Node, value);
      expect(result.value).toBe(value);
      expect(result.valid).toBe(false);
      expect(result.drift.issues).toEqual([expect.objectContaining({ code: "too_deep" })]);
    }
  });

  it("ends a union or intersection that names itself with an issue, not a stack overflow", () => {
    const Loop: Schema = { anyOf: [() => Loop, "integer", { type: "array", items: "string" }] };
    expect(readTolerantly(Loop, 3).valid).toBe(true);
    expect(readTolerantly(Loop, [1]).drift.issues).toEqual([expect.objectContaining({ code: expect.stringMatching(/too_deep|invalid_type/) })]);
    const Self: Schema = { allOf: [() => Self, { type: "object", properties: { a: "string" } }] };
    expect(() => readTolerantly(Self, { a: "x" })).not.toThrow();
  });

  it("caps what it reports at 100 while still marking the value invalid", () => {
    const result = readTolerantly({ type: "array", items: { type: "object", properties: { n: "integer" }, required: ["n"] } }, Array.from({ length: 500 }, (_, i) => ({ n: `${i}`, [`x${i}`]: i })));
    expect(result.valid).toBe(false);
    expect(result.drift.issues).toHaveLength(100);
    expect(result.drift.unknownFields).toHaveLength(100);
  });
});

describe("readTolerantly: cost", () => {
  it("reads data nested 200 deep through a recursive union of objects in linear time", () => {
    const Tree: Schema = {
      anyOf: [
        { type: "object", properties: { left: () => Tree, leaf: "string" }, required: ["leaf"] },
        { type: "object", properties: { left: () => Tree, node: "integer" }, required: ["node"] },
      ],
    };
    let value: Record<string, unknown> = { leaf: "x" };
    for (let i = 0; i < 200; i++) value = { left: value, node: i };
    const started = process.hrtime.bigint();
    const result = readTolerantly(Tree, value);
    expect(result.drift).toEqual({ unknownFields: [], issues: [] });
    // Trying both members at every level would take 2^200 steps; this is linear.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(5_000);
  });
});
