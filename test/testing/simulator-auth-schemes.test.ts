/**
 * The simulator takes the credentials a spec declares: its own bearer tokens always, HTTP
 * basic (any user) where the spec declares basic, and an API key where it declares one; a
 * request without any is told which it may send.
 */
import { describe, expect, it } from "@jest/globals";
import { writeFile } from "node:fs/promises";
import { runContract } from "carewire/testing";
import { call, simulatorPool } from "../helpers/simulator.js";
import { tempDirForFile } from "../helpers/temp-dir.js";

const tmp = tempDirForFile("sim-auth");
const sims = simulatorPool();

/** A one-operation spec (`GET <path>` answering `{ name }`) with the given security, written to the file's temp folder. */
async function specWith(name: string, path: string, security: { readonly schemes: object; readonly servers?: object[] }): Promise<string> {
  const file = tmp(`${name}.json`);
  const ok = { "200": { description: "ok", content: { "application/json": { schema: { type: "object", properties: { name: { type: "string" } } }, example: { name } } } } };
  const schemes = Object.keys(security.schemes);
  const spec = {
    openapi: "3.0.3",
    info: { title: name, version: "1" },
    ...(security.servers ? { servers: security.servers } : {}),
    components: { securitySchemes: security.schemes },
    security: schemes.map((scheme) => ({ [scheme]: [] })),
    paths: { [path]: { get: { operationId: `get-${name}`, responses: ok } } },
  };
  await writeFile(file, JSON.stringify(spec));
  return file;
}

const basicSpec = () => specWith("list", "/lists", { schemes: { basicAuth: { type: "http", scheme: "basic" } } });

describe("credentials the spec declares", () => {
  it("HTTP basic: any user is let in, and counted as its own client", async () => {
    const sim = await sims.start({ spec: await basicSpec(), rateLimit: false });
    const basic = (user: string) => `Basic ${Buffer.from(`${user}:secret`).toString("base64")}`;
    const reply = await call(sim, "GET", "/lists", { headers: { authorization: basic("anystring") } });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ name: "list" });
    expect(sim.log.at(-1)?.clientId).toMatch(/^basic:[0-9a-f]{12}$/);
    // An empty user name is no credential.
    expect((await call(sim, "GET", "/lists", { headers: { authorization: `Basic ${Buffer.from(":x").toString("base64")}` } })).status).toBe(401);
  });

  it("API keys: any value where the scheme puts it, and the simulator says which it takes", async () => {
    const spec = await specWith("keyed", "/keyed", { schemes: { key: { type: "apiKey", in: "query", name: "apikey" } } });
    const sim = await sims.start({ spec, rateLimit: false });
    expect(sim.apiKeys).toEqual([{ in: "query", name: "apikey" }]);
    expect((await call(sim, "GET", "/keyed?apikey=anything")).status).toBe(200);
    expect((await call(sim, "GET", "/keyed")).status).toBe(401);
  });

  it("no credentials: a 401 that names what the operation takes", async () => {
    const sim = await sims.start({ spec: await basicSpec(), rateLimit: false });
    const reply = await call(sim, "GET", "/lists");
    expect(reply.status).toBe(401);
    expect(reply.json().detail).toBe("credentials are required: a bearer token from /oauth/token, or HTTP basic (any user)");
  });
});

describe("a spec whose server has a base path", () => {
  it("serves the token endpoint under the base path too, so a contract run against `…/api` gets its token", async () => {
    const file = await specWith("state", "/v1/states", { schemes: { token: { type: "apiKey", in: "header", name: "Authorization" } }, servers: [{ url: "https://ids.example.test/api" }] });
    const sim = await sims.start({ spec: file, rateLimit: false });
    for (const at of ["/oauth/token", "/api/oauth/token"]) {
      const token = await call(sim, "POST", at, { headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=client_credentials&client_id=carewire-demo&client_secret=carewire-demo-secret" });
      expect(token.status).toBe(200);
    }
    const report = await runContract(file, { baseUrl: `${sim.url}/api` });
    expect(report.checks.map((c) => [c.operationId, c.outcome, c.status])).toEqual([["get-state", "passed", 200]]);
  });
});
