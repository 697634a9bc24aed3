/**
 * Examples made to fit the types generated from their schemas, as the README programs need
 * them: what fits is kept as written, a part that does not is replaced (a sample, else a
 * placeholder of its type), an undeclared key is dropped.
 */
import { describe, expect, it } from "@jest/globals";
import { fitExample, type Sampler } from "../../src/codegen/fit-example.js";
import type { JsonObject } from "../../src/codegen/json.js";

const doc: JsonObject = {
  openapi: "3.0.3",
  components: {
    schemas: {
      Base: { type: "object", required: ["id", "type"], properties: { id: { type: "string" }, type: { type: "string", enum: ["folder"] } } },
      Mini: { allOf: [{ $ref: "#/components/schemas/Base" }, { properties: { name: { type: "string" } } }] },
      Node: { type: "object", properties: { name: { type: "string" }, child: { $ref: "#/components/schemas/Node" } } },
    },
  },
};
/** A sampler that knows nothing: every replacement is a placeholder. */
const none: Sampler = () => undefined;
const fit = (schema: unknown, value: unknown, sample: Sampler = none) => fitExample(doc, schema, value, sample);

describe("fitExample", () => {
  it("keeps an example that fits as the spec wrote it", () => {
    const example = { id: "f1", type: "folder", name: "Docs" };
    expect(fit({ $ref: "#/components/schemas/Mini" }, example)).toBe(example);
  });

  it("replaces a value of the wrong type: with the sample where it fits, else a placeholder", () => {
    expect(fit({ type: "string" }, 123, () => "sampled")).toBe("sampled");
    expect(fit({ type: "string" }, 123, () => 7)).toBe("string");
    expect(fit({ type: "integer", minimum: 1 }, "2")).toBe(1);
    expect(fit({ type: "boolean" }, "yes")).toBe(true);
  });

  it("replaces a value outside the enum with a member", () => {
    expect(fit({ type: "string", enum: ["asc", "desc"] }, "up")).toBe("asc");
  });

  it("keeps null only where the schema allows it (3.0's nullable, 3.1's type list)", () => {
    expect(fit({ type: "string" }, null)).toBe("string");
    expect(fit({ type: "string", nullable: true }, null)).toBeNull();
    expect(fit({ type: ["string", "null"] }, null)).toBeNull();
  });

  it("drops keys the object does not declare, unless additionalProperties takes them", () => {
    expect(fit({ type: "object", properties: { a: { type: "string" } } }, { a: "x", b: 1 })).toEqual({ a: "x" });
    // No properties and no additionalProperties: "any object", Record<string, unknown> as carewire generates it.
    expect(fit({ type: "object" }, { value: 30, unit: "year" })).toEqual({ value: 30, unit: "year" });
    expect(fit({ type: "object", properties: {} }, { a: 1 })).toEqual({ a: 1 });
    expect(fit({ allOf: [{ type: "object" }, { type: "object", properties: { b: { type: "string" } } }] }, { a: 1, b: "x" })).toEqual({ a: 1, b: "x" });
    expect(fit({ type: "object", additionalProperties: true }, { a: 1 })).toEqual({ a: 1 });
    expect(fit({ type: "object", additionalProperties: { type: "integer" } }, { a: 1, b: "2" })).toEqual({ a: 1, b: 0 });
  });

  it("fills a missing required key, but never one the schema does not declare", () => {
    expect(fit({ $ref: "#/components/schemas/Base" }, { id: "f1" })).toEqual({ id: "f1", type: "folder" });
    expect(fit({ type: "object", required: ["id"], properties: { login: { type: "string" } } }, { login: "a" })).toEqual({ login: "a" });
  });

  it("counts the keys of allOf parts at any depth", () => {
    expect(fit({ allOf: [{ $ref: "#/components/schemas/Mini" }] }, {})).toEqual({ id: "string", type: "folder" });
    expect(fit({ $ref: "#/components/schemas/Mini" }, { id: "f1", type: "folder", name: 5, extra: true })).toEqual({ id: "f1", type: "folder", name: "string" });
  });

  it("keeps a value that fits one branch of a oneOf, and replaces one that fits none", () => {
    const schema = { oneOf: [{ type: "string" }, { type: "integer" }] };
    expect(fit(schema, 3)).toBe(3);
    expect(fit(schema, { a: 1 })).toBe("string");
  });

  it("fits an array item by item, even where the sampler repeats the bad example", () => {
    // An items-level `example: []` makes the sampler answer [] for a string: the placeholder is used.
    expect(fit({ type: "array", items: { type: "string", example: [] } }, [[], "ok"], () => [])).toEqual(["string", "ok"]);
  });

  it("leaves out an optional key no value can fit (a lone `type: \"null\"`)", () => {
    expect(fit({ type: "object", properties: { sso: { type: "null" }, a: { type: "string" } } }, { sso: null, a: "x" })).toEqual({ a: "x" });
  });

  it("stops on recursive schemas", () => {
    let deep: JsonObject = { name: 1 };
    for (let i = 0; i < 40; i++) deep = { name: "n", child: deep };
    const fitted = fit({ $ref: "#/components/schemas/Node" }, deep) as JsonObject;
    expect(fitted.name).toBe("n");
  });
});
