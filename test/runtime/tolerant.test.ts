/**
 * `readTolerantly(schema, value)`: provider data is never rejected for differing from
 * the spec. Unknown fields are kept and reported by JSON path; violations are reported
 * as issues and the raw value is returned.
 */
import { describe, expect, it } from "@jest/globals";
import { critical, readTolerantly, tolerantObject, z } from "carewire";

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
