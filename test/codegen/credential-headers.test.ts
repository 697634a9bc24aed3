/**
 * A spec that declares its credentials as header parameters (as SendGrid does, required):
 * the generated input takes them as optional, since the client's auth or default headers
 * send them, while every other required header stays required; the README's programs leave
 * them out and compile.
 */
import { describe, expect, it } from "@jest/globals";
import path from "node:path";
import { ROOT } from "../helpers/cli.js";
import { generatedInRepo } from "../helpers/generated-in-repo.js";
import { json, startServer } from "../helpers/http-server.js";
import { strictAppErrors } from "../helpers/strict-compile.js";

const header = (name: string, required = true) => ({ name, in: "header", required, schema: { type: "string" } });
const ok = { "200": { description: "ok", content: { "application/json": { schema: { type: "object", properties: { id: { type: "string" } } } } } } };
const SPEC = {
  openapi: "3.0.3",
  info: { title: "Creds", version: "1" },
  servers: [{ url: "https://creds.example.test" }],
  components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" }, key: { type: "apiKey", in: "header", name: "X-Api-Key" } } },
  security: [{ bearer: [] }, { key: [] }],
  paths: {
    "/things": { get: { operationId: "listThings", parameters: [header("Authorization")], responses: ok } },
    "/things/{id}": {
      get: {
        operationId: "getThing",
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }, header("authorization"), header("X-Api-Key"), header("X-Trace")],
        responses: ok,
      },
    },
  },
};

const generated = generatedInRepo("creds");
const { dir } = generated;

describe("credential header parameters", () => {
  it("are optional in the generated input, other required headers stay required, and the README's programs compile", async () => {
    const snippets = await generated.generate(SPEC, "creds");
    const app = [
      `import { createCredsClient } from "./gen/index.js";`,
      `const creds = createCredsClient({ headers: { "X-Api-Key": "k" } });`,
      `await creds.listThings();`,
      `await creds.getThing({ params: { path: { id: "1" }, header: { "X-Trace": "t" } } });`,
      `await creds.getThing({ params: { path: { id: "1" }, header: { "X-Trace": "t", authorization: "Bearer x", "X-Api-Key": "k2" } } });`,
      `// @ts-expect-error X-Trace is not a credential: still required`,
      `await creds.getThing({ params: { path: { id: "1" } } });`,
      ``,
    ].join("\n");
    expect(snippets.find((s) => s.includes("creds.getThing("))).toContain(`header: { "X-Trace": "string" }`);
    const files = new Map([[path.join(dir, "app.mts"), app], ...snippets.map((text, i) => [path.join(ROOT, `creds-snippet-${i}.mts`), text] as const)]);
    expect(strictAppErrors([], files)).toEqual([]);
  });

  it("a call without them sends the client's own", async () => {
    const server = await startServer((_req, res) => json(res, 200, { id: "t1" }));
    try {
      const { createCredsClient } = (await import(path.join(dir, "gen/index.ts"))) as { createCredsClient: (o: object) => { listThings: () => Promise<{ error?: unknown }> } };
      const creds = createCredsClient({ baseUrl: server.url, headers: { Authorization: "Bearer from-the-client" }, pacing: false });
      expect((await creds.listThings()).error).toBeUndefined();
      expect(server.requests.at(-1)!.headers.authorization).toBe("Bearer from-the-client");
    } finally {
      await server.close();
    }
  });
});
