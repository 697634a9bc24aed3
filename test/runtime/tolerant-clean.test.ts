/**
 * The tolerant reader's fast path answers "clean" only where the full walk finds nothing to
 * report, for any schema and any value; for clean values of plain schemas (objects, arrays,
 * leaves, enums) it answers "clean" itself, so the fast path is the one taken. Where code
 * cannot be generated, reads still give the walk's answer.
 */
import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { readTolerantly } from "carewire";
import { cleanPredicate } from "../../src/runtime/tolerant/validate-clean.js";
import { compile } from "../../src/runtime/tolerant/validate.js";
import type { Schema, SchemaLeaf } from "../../src/runtime/tolerant/validate-schema.js";
import { Walk } from "../../src/runtime/tolerant/validate-walk.js";

/** What the full walk says of a value: clean or not. */
function walkSaysClean(schema: Schema, value: unknown): boolean {
  const walk = new Walk();
  compile(schema).check(value, walk);
  return walk.issueCount === 0 && walk.unknownList.length === 0;
}

const LEAVES: SchemaLeaf[] = ["string", "number", "integer", "boolean", "null", "unknown", "never"];
const KEYS = ["id", "name", "status", "constructor", "__proto__", "a b", "toString", "n"];

/** Schemas of every form the reader knows; `plain` leaves out unions, intersections and maps. */
function schemaArbitrary(plain: boolean): fc.Arbitrary<Schema> {
  const { schema } = fc.letrec<{ schema: Schema; leaf: Schema; object: Schema; array: Schema; composed: Schema }>((tie) => ({
    leaf: fc.oneof(
      fc.constantFrom(...LEAVES),
      fc.record({ type: fc.constantFrom(...LEAVES), nullable: fc.boolean() }),
      fc.record({ enum: fc.uniqueArray(fc.oneof(fc.constantFrom("a", "b", "c"), fc.integer({ min: 0, max: 3 }), fc.constant(null), fc.boolean()), { minLength: 1, maxLength: 4 }) }),
    ),
    object: fc
      .record({
        properties: fc.dictionary(fc.constantFrom(...KEYS), tie("schema"), { maxKeys: 4 }),
        requiredPick: fc.array(fc.constantFrom(...KEYS), { maxLength: 3 }),
        nullable: fc.boolean(),
        map: plain ? fc.constant(false) : fc.boolean(),
      })
      .map(({ properties, requiredPick, nullable, map }) => ({
        type: "object" as const,
        properties,
        // Now and then a required key the object does not describe.
        required: [...new Set(requiredPick.filter((key) => key in properties || key === "n"))],
        nullable,
        ...(map ? { additionalProperties: "string" as const } : {}),
      })),
    array: fc.record({ type: fc.constant("array" as const), items: tie("schema"), nullable: fc.boolean() }),
    composed: plain ? tie("leaf") : fc.oneof(fc.record({ anyOf: fc.array(tie("schema"), { minLength: 1, maxLength: 3 }) }), fc.record({ allOf: fc.array(tie("object"), { minLength: 1, maxLength: 2 }) })),
    schema: fc.oneof({ depthSize: "small", withCrossShrink: true }, tie("leaf"), tie("object"), tie("array"), tie("composed")),
  }));
  return schema;
}

/** A value the schema describes exactly (where the schema can have one). */
function cleanValueOf(schema: Schema, pick: number): unknown {
  if (typeof schema === "function") return cleanValueOf(schema(), pick);
  if (typeof schema === "string") return ({ string: "s", number: 1.5, integer: 2, boolean: true, null: null, unknown: { anything: [1] }, never: undefined } as const)[schema];
  if ("enum" in schema) return schema.enum[pick % schema.enum.length];
  if ("anyOf" in schema || "allOf" in schema || "json" in schema) return undefined;
  if (schema.nullable === true && pick % 5 === 0) return null;
  if (schema.type === "array") return Array.from({ length: pick % 3 }, (_, i) => cleanValueOf(schema.items, pick + i));
  if (schema.type === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      const value = cleanValueOf(property, pick + key.length);
      if (value !== undefined && (schema.required?.includes(key) || (pick + key.length) % 2 === 0)) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return cleanValueOf(schema.type, pick);
}

describe("the tolerant reader's fast path", () => {
  it("never calls clean what the walk would report, whatever the schema and the value", () => {
    fc.assert(
      fc.property(schemaArbitrary(false), fc.oneof(fc.jsonValue(), fc.nat().map((n) => n)), fc.nat(), (schema, noise, pick) => {
        const predicate = compile(schema).clean;
        for (const value of [noise, cleanValueOf(schema, pick)]) {
          if (predicate?.(value) === true) expect(walkSaysClean(schema, value)).toBe(true);
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it("answers clean itself for the clean values of plain schemas", () => {
    let clean = 0;
    fc.assert(
      fc.property(schemaArbitrary(true), fc.nat(), (schema, pick) => {
        const value = cleanValueOf(schema, pick);
        const predicate = compile(schema).clean;
        expect(predicate).toBeDefined();
        const answer = predicate!(value);
        expect(answer).toBe(walkSaysClean(schema, value));
        if (answer) clean++;
      }),
      { numRuns: 3_000 },
    );
    // Most of those values are clean (a "never" leaf or an undescribed required key makes some not).
    expect(clean).toBeGreaterThan(1_500);
  });

  it("leaves a body nested past the walk's bound to the walk, which reports it", () => {
    type Node = { child?: Node };
    const tree: Schema = { type: "object", properties: { child: () => tree } };
    let value: Node = {};
    for (let i = 0; i < 300; i++) value = { child: value };
    expect(compile(tree).clean?.(value)).toBe(false);
    expect(readTolerantly(tree, value).drift.issues.map((issue) => issue.code)).toEqual(["too_deep"]);
  });

  it("leaves a node with a union or intersection beside its type to the walk, as the walk reads it", () => {
    const cases: Array<[Schema, unknown]> = [
      [{ type: "string", anyOf: [{ enum: ["a"] }] } as unknown as Schema, "b"],
      [{ type: "string", allOf: [{ enum: ["a"] }] } as unknown as Schema, "b"],
      [{ type: "object", allOf: [{ type: "object", properties: { a: "string" } }, "string"] } as unknown as Schema, { a: "x" }],
      [{ type: "array", items: "unknown", anyOf: [{ type: "array", items: "string" }] } as unknown as Schema, [1]],
      [{ type: "object", anyOf: [{ type: "object", properties: { a: "string" } }] } as unknown as Schema, { a: "x" }],
    ];
    for (const [schema, value] of cases) expect([schema, readTolerantly(schema, value).valid]).toEqual([schema, walkSaysClean(schema, value)]);
  });

  it("reads a key every object inherits only where the value has it", () => {
    const schema: Schema = { type: "object", properties: { constructor: "string" as SchemaLeaf, id: "string" }, required: ["id"] };
    expect(compile(schema).clean?.({ id: "1" })).toBe(true);
    expect(compile(schema).clean?.({ id: "1", constructor: "x" })).toBe(true);
    expect(compile(schema).clean?.({ id: "1", constructor: 2 })).toBe(false);
    expect(compile(schema).clean?.(JSON.parse('{"id":"1","__proto__":"x"}'))).toBe(false);
  });

  it("where code cannot be generated (a content security policy), reads take the walk and say the same", () => {
    const schema: Schema = { type: "object", properties: { id: "string" }, required: ["id"] };
    const refuse = () => {
      throw new EvalError("code generation from strings disallowed");
    };
    expect(cleanPredicate(compile(schema), refuse)).toBeUndefined();
    expect(readTolerantly(schema, { id: 1, extra: true })).toMatchObject({ valid: false, drift: { unknownFields: ["$.extra"] } });
  });
});
