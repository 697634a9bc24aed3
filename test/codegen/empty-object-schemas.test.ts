/**
 * An object schema that declares no properties ("any object", as Infermedica's `age` and
 * `extras` are written) takes any keys in the generated types, alone or as a part of an
 * allOf, and the README's programs keep their examples' keys. openapi-typescript's default
 * would make it `Record<string, never>`, which no value but `{}` fits.
 */
import { describe, expect, it } from "@jest/globals";
import path from "node:path";
import { ROOT } from "../helpers/cli.js";
import { generatedInRepo } from "../helpers/generated-in-repo.js";
import { strictAppErrors } from "../helpers/strict-compile.js";

const SPEC = {
  openapi: "3.0.3",
  info: { title: "Triage", version: "1" },
  servers: [{ url: "https://triage.example.test" }],
  components: {
    schemas: {
      Extras: { type: "object" },
      Named: { allOf: [{ type: "object" }, { type: "object", properties: { name: { type: "string" } } }] },
    },
  },
  paths: {
    "/diagnosis": {
      post: {
        operationId: "diagnose",
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["age", "sex"],
                properties: { age: { type: "object" }, sex: { type: "string" }, extras: { $ref: "#/components/schemas/Extras" }, who: { $ref: "#/components/schemas/Named" } },
              },
              example: { age: { value: 30, unit: "year" }, sex: "male", extras: { disable_groups: true } },
            },
          },
        },
        responses: { "200": { description: "ok", content: { "application/json": { schema: { type: "object", properties: { question: { type: "object" } } } } } } },
      },
    },
  },
};

/** An app using the client: any keys where the spec declares no properties, its types kept elsewhere. */
const APP = [
  `import { createTriageClient } from "./gen/index.js";`,
  `const triage = createTriageClient();`,
  `const result = await triage.diagnose({ body: { age: { value: 30, unit: "year" }, sex: "male", extras: { disable_groups: true }, who: { name: "a", nickname: "b" } } });`,
  `if (result.data) console.log(result.data.question?.["text"] satisfies unknown);`,
  `// @ts-expect-error sex is still a string`,
  `await triage.diagnose({ body: { age: {}, sex: 1 } });`,
  ``,
].join("\n");

const generated = generatedInRepo("empty-objects");
const { dir } = generated;

describe("object schemas that declare no properties", () => {
  it("take any keys in the generated input and output, and the README's program keeps the example's", async () => {
    const snippets = await generated.generate(SPEC, "triage");
    const program = snippets.find((s) => s.includes("triage.diagnose("));
    expect(program).toContain("age: { value: 30, unit: \"year\" }");
    const files = new Map([[path.join(dir, "app.mts"), APP], ...snippets.map((text, i) => [path.join(ROOT, `triage-snippet-${i}.mts`), text] as const)]);
    expect(strictAppErrors([], files)).toEqual([]);
  });
});
