/**
 * A stored resource shown through one operation's response schema: what it declares is kept,
 * all the way down; where the schema branches, admits more or declares a key twice, the value
 * is kept as stored rather than cut.
 */
import { describe, expect, it } from "@jest/globals";
import type { JsonObject } from "../../src/codegen/json.js";
import { projectTo } from "../../src/testing/simulator/projection.js";

const doc: JsonObject = {
  components: {
    schemas: {
      Base: { type: "object", properties: { id: { type: "string" }, kind: { type: "string" } } },
      Cat: { type: "object", properties: { meow: { type: "boolean" } } },
      Dog: { type: "object", properties: { bark: { type: "boolean" } } },
    },
  },
};
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

describe("a stored resource through a response schema", () => {
  it("keeps only declared fields, in nested objects and arrays too", () => {
    const schema = { type: "object", properties: { id: { type: "string" }, tags: { type: "array", items: { type: "object", properties: { code: { type: "string" } } } } } };
    expect(projectTo(doc, { id: "1", extra: true, tags: [{ code: "a", label: "x" }] }, schema)).toEqual({ id: "1", tags: [{ code: "a" }] });
  });

  it("keeps what a branch may declare: oneOf inside allOf, a discriminator", () => {
    const pet = { allOf: [ref("Base"), { oneOf: [ref("Cat"), ref("Dog")] }] };
    expect(projectTo(doc, { id: "1", kind: "cat", meow: true }, pet)).toEqual({ id: "1", kind: "cat", meow: true });
    const discriminated = { type: "object", properties: { id: { type: "string" } }, discriminator: { propertyName: "kind" } };
    expect(projectTo(doc, { id: "1", meow: true }, discriminated)).toEqual({ id: "1", meow: true });
  });

  it("keeps a key two allOf parts declare differently, and extra keys a nested part admits", () => {
    const twice = { allOf: [{ type: "object", properties: { a: { type: "object", properties: { x: { type: "string" } } } } }, { type: "object", properties: { a: { type: "object", properties: { y: { type: "string" } } } } }] };
    expect(projectTo(doc, { a: { x: "1", y: "2" } }, twice)).toEqual({ a: { x: "1", y: "2" } });
    const open = { allOf: [ref("Base"), { allOf: [{ type: "object", additionalProperties: true }] }] };
    expect(projectTo(doc, { id: "1", extra: 2 }, open)).toEqual({ id: "1", extra: 2 });
    expect(projectTo(doc, { id: "1", "x-a": 2 }, { type: "object", properties: { id: { type: "string" } }, patternProperties: { "^x-": {} } })).toEqual({ id: "1", "x-a": 2 });
  });

  it("treats names every object inherits as any other key", () => {
    const schema = { type: "object", properties: { id: { type: "string" }, __proto__field: { type: "string" } } };
    const stored = JSON.parse('{"id":"1","constructor":"c","toString":"t","__proto__":"p"}') as JsonObject;
    const shown = projectTo(doc, stored, schema) as JsonObject;
    expect(Object.keys(shown)).toEqual(["id"]);
    const declared = JSON.parse('{"id":"1","__proto__":"p"}') as JsonObject;
    const withProto = projectTo(doc, declared, { type: "object", properties: JSON.parse('{"id":{"type":"string"},"__proto__":{"type":"string"}}') as JsonObject }) as JsonObject;
    expect(Object.keys(withProto)).toEqual(["id", "__proto__"]);
    expect(Object.getPrototypeOf(withProto)).toBe(Object.prototype);
  });

  it("follows a deep resource past eight levels", () => {
    const node: JsonObject = { type: "object", properties: { name: { type: "string" } } };
    (node.properties as JsonObject).child = node;
    let value: JsonObject = { name: "leaf", extra: 1 };
    for (let i = 0; i < 12; i++) value = { name: `n${i}`, child: value, extra: 1 };
    const shown = JSON.stringify(projectTo(doc, value, node));
    expect(shown).not.toContain("extra");
  });
});
