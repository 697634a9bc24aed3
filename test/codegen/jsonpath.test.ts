/** The JSONPath subset overlay targets use: what each form selects, and what it refuses. */
import { describe, expect, it } from "@jest/globals";
import { JsonPathSyntaxError, parseJsonPath, queryJsonPath } from "../../src/codegen/jsonpath.js";

const doc = {
  openapi: "3.0.3",
  info: { title: "Pets", "x-logo": { url: "l.png" } },
  tags: [{ name: "pets" }, { name: "admin", "x-internal": true }, { name: "store" }],
  paths: {
    "/pets": {
      get: { operationId: "listPets", tags: ["pets"], responses: { "200": { description: "ok" } } },
      post: { operationId: "createPet", tags: ["pets"], deprecated: false, responses: { "201": { description: "made" } } },
    },
    "/pets/{petId}": {
      parameters: [{ name: "petId", in: "path" }],
      get: { operationId: "getPet", tags: ["pets"], responses: { "200": { description: "ok" } } },
      delete: { operationId: "deletePet", tags: ["admin"], deprecated: true, responses: { "204": { description: "gone" } } },
    },
  },
  components: { schemas: { Pet: { type: "object", properties: { id: { type: "integer" }, name: { type: "string" } } } } },
};

const values = (path: string) => queryJsonPath(doc, path).map((m) => m.value);
const paths = (path: string) => queryJsonPath(doc, path).map((m) => m.path);

describe("JSONPath queries", () => {
  it("$ is the root, with no parent", () => {
    const [root] = queryJsonPath(doc, "$");
    expect(root).toEqual({ value: doc, parent: undefined, key: undefined, path: [] });
  });

  it("selects members by dot and bracket names, with the parent and key of each", () => {
    expect(values("$.info.title")).toEqual(["Pets"]);
    expect(values("$['info']['title']")).toEqual(["Pets"]);
    expect(values('$["info"].x-logo.url')).toEqual(["l.png"]);
    const [get] = queryJsonPath(doc, "$.paths['/pets/{petId}'].get");
    expect(get!.value).toBe(doc.paths["/pets/{petId}"].get);
    expect(get!.parent).toBe(doc.paths["/pets/{petId}"]);
    expect(get!.key).toBe("get");
    expect(get!.path).toEqual(["paths", "/pets/{petId}", "get"]);
  });

  it("selects nothing for a name that is not there, or a name asked of an array or a scalar", () => {
    expect(values("$.nope")).toEqual([]);
    expect(values("$.info.title.length")).toEqual([]);
    expect(values("$.tags.name")).toEqual([]);
  });

  it("indexes arrays, negative indices from the end, out of range selecting nothing", () => {
    expect(values("$.tags[0].name")).toEqual(["pets"]);
    expect(values("$.tags[-1].name")).toEqual(["store"]);
    expect(values("$.tags[3]")).toEqual([]);
    expect(values("$.info[0]")).toEqual([]);
  });

  it("selects every member or element with * (dot or bracket), in document order", () => {
    expect(values("$.tags[*].name")).toEqual(["pets", "admin", "store"]);
    expect(values("$.paths.*.get.operationId")).toEqual(["listPets", "getPet"]);
    expect(values("$.paths['/pets'][*].operationId")).toEqual(["listPets", "createPet"]);
    expect(values("$.info.title.*")).toEqual([]);
  });

  it("takes several selectors in one bracket", () => {
    expect(values("$.paths['/pets']['get','post'].operationId")).toEqual(["listPets", "createPet"]);
    expect(values("$.tags[0,2].name")).toEqual(["pets", "store"]);
  });

  it("finds names at any depth with .., including under arrays", () => {
    expect(values("$..operationId")).toEqual(["listPets", "createPet", "getPet", "deletePet"]);
    expect(values("$..['description']")).toEqual(["ok", "made", "ok", "gone"]);
    expect(values("$.components..type")).toEqual(["object", "integer", "string"]);
    expect(paths("$..parameters[0].name")).toEqual([["paths", "/pets/{petId}", "parameters", 0, "name"]]);
    expect(values("$.info..*")).toEqual(["Pets", { url: "l.png" }, "l.png"]);
  });

  it("filters members and elements by comparison, existence, negation, && and ||", () => {
    expect(values("$.tags[?(@.name == 'admin')]")).toEqual([{ name: "admin", "x-internal": true }]);
    expect(values('$.tags[?@.name != "admin"].name')).toEqual(["pets", "store"]);
    expect(values("$.tags[?(@['x-internal'])].name")).toEqual(["admin"]);
    expect(values("$.tags[?(!@.x-internal)].name")).toEqual(["pets", "store"]);
    expect(values("$.paths.*[?(@.deprecated == true)].operationId")).toEqual(["deletePet"]);
    expect(values("$.paths.*[?(@.deprecated == false || @.operationId == 'getPet')].operationId")).toEqual(["createPet", "getPet"]);
    expect(values("$.paths.*[?(@.tags[0] == 'pets' && @.responses['200'])].operationId")).toEqual(["listPets", "getPet"]);
    expect(values("$..[?(@.in == 'path')].name")).toEqual(["petId"]);
    expect(values("$.tags[?(@.name == 1)]")).toEqual([]);
    expect(values("$.tags[?(@.name == null)]")).toEqual([]);
  });

  it("parses once and queries many documents", () => {
    const compiled = parseJsonPath("$.a[?(@.b == 2)].c");
    expect(queryJsonPath({ a: [{ b: 2, c: "x" }, { b: 3, c: "y" }] }, compiled).map((m) => m.value)).toEqual(["x"]);
    expect(queryJsonPath({ a: { k: { b: 2, c: "z" } } }, compiled).map((m) => m.value)).toEqual(["z"]);
  });

  it("reads escapes in quoted names", () => {
    const odd = { "it's": 1, 'say "hi"': 2, "a\\b": 3, "é": 4 };
    expect(queryJsonPath(odd, "$['it\\'s']").map((m) => m.value)).toEqual([1]);
    expect(queryJsonPath(odd, '$["say \\"hi\\""]').map((m) => m.value)).toEqual([2]);
    expect(queryJsonPath(odd, "$['a\\\\b']").map((m) => m.value)).toEqual([3]);
    expect(queryJsonPath(odd, "$['\\u00e9']").map((m) => m.value)).toEqual([4]);
  });
});

describe("JSONPath syntax errors", () => {
  it.each([
    ["paths", "a JSONPath starts with $", 0],
    ["$.", "expected a member name", 2],
    ["$[", "expected a quoted name, an index, * or a ?filter", 2],
    ["$['a'", 'expected "]" before the end', 5],
    ["$['a", "unterminated quoted name", 4],
    ["$['\\q']", "unknown escape in a quoted name", 3],
    ["$[1:3]", 'expected "]"', 3],
    ["$.a[?(@.b > 1)]", "only == and != comparisons are supported", 10],
    ["$.a[?(length(@) == 1)]", "a filter tests a path from @", 6],
    ["$.a[?(@.b == nope)]", "expected a literal: 'text', a number, true, false or null", 13],
    ["$ a", 'unexpected "a"', 2],
  ])("%s → %s", (expression, reason, position) => {
    let thrown: unknown;
    try {
      parseJsonPath(expression);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(JsonPathSyntaxError);
    expect(thrown).toMatchObject({ expression, reason, position });
    expect((thrown as Error).message).toBe(`${reason} at position ${position} of JSONPath ${JSON.stringify(expression)}`);
  });
});
