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

/**
 * A one-operation spec (`GET <path>` answering `{ name }`) with the given security, written to
 * the file's temp folder: each scheme a requirement of its own, unless `requirements` says.
 */
async function specWith(name: string, path: string, security: { readonly schemes: object; readonly requirements?: object[]; readonly servers?: object[] }): Promise<string> {
  const file = tmp(`${name}.json`);
  const ok = { "200": { description: "ok", content: { "application/json": { schema: { type: "object", properties: { name: { type: "string" } } }, example: { name } } } } };
  const schemes = Object.keys(security.schemes);
  const spec = {
    openapi: "3.0.3",
    info: { title: name, version: "1" },
    ...(security.servers ? { servers: security.servers } : {}),
    components: { securitySchemes: security.schemes },
    security: security.requirements ?? schemes.map((scheme) => ({ [scheme]: [] })),
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

describe("security requirements: alternatives, each needing all of its schemes", () => {
  // As the Neutrino API's spec has it, two keys at once; and an OAuth alternative.
  const both = {
    schemes: {
      "api-key": { type: "apiKey", in: "header", name: "api-key" },
      "user-id": { type: "apiKey", in: "header", name: "user-id" },
      oauth: { type: "oauth2", flows: { clientCredentials: { tokenUrl: "/oauth/token", scopes: {} } } },
    },
    requirements: [{ "api-key": [], "user-id": [] }, { oauth: [] }],
  };

  it("lets a request in with every key of a set, or with the other set, never with one key alone", async () => {
    const sim = await sims.start({ spec: await specWith("pair", "/pair", both), rateLimit: false });
    expect(sim.apiKeys).toEqual([{ in: "header", name: "api-key" }, { in: "header", name: "user-id" }]);
    for (const headers of [{ "api-key": "k" }, { "user-id": "u" }, {}] as Array<Record<string, string>>) {
      const reply = await call(sim, "GET", "/pair", { headers });
      expect(reply.status).toBe(401);
      expect(reply.json().detail).toBe("credentials are required: the header api-key and the header user-id (any values), or a bearer token from /oauth/token");
    }
    expect((await call(sim, "GET", "/pair", { headers: { "api-key": "k", "user-id": "u" } })).status).toBe(200);
    expect(sim.log.at(-1)?.clientId).toMatch(/^key:[0-9a-f]{12}$/);
    expect((await call(sim, "GET", "/pair", { token: await sim.issueToken() })).status).toBe(200);
    expect(sim.log.at(-1)?.clientId).toBe("carewire-demo");
    // A bad token with one key is still refused for the token.
    const stale = await call(sim, "GET", "/pair", { token: "nope", headers: { "api-key": "k" } });
    expect([stale.status, stale.json().detail]).toEqual([401, "the access token is not valid"]);
  });

  it("lets anyone in where a `{}` requirement of the document allows anonymous calls", async () => {
    const sim = await sims.start({ spec: await specWith("open", "/open", { ...both, requirements: [{}, { "api-key": [], "user-id": [] }] }), rateLimit: false });
    expect((await call(sim, "GET", "/open")).status).toBe(200);
    expect((await call(sim, "GET", "/open", { headers: { "api-key": "k" } })).status).toBe(200);
  });

  it("the contract runner sends every key of one set, by scheme or parameter name, and refuses a name the spec lacks", async () => {
    const spec = await specWith("sent", "/sent", { ...both, requirements: [{ "api-key": [], "user-id": [] }] });
    const sim = await sims.start({ spec, rateLimit: false });
    for (const apiKey of ["one-for-all", { "api-key": "k", "User-Id": "u" }, { "api-key": "k", "*": "rest" }] as Array<string | Record<string, string>>) {
      const report = await runContract(spec, { baseUrl: sim.url, credentials: { apiKey } });
      expect(report.checks.map((c) => [c.outcome, c.status])).toEqual([["passed", 200]]);
    }
    // One key of the pair named, none for the other: sent as it is, and the 401 names both.
    const half = await runContract(spec, { baseUrl: sim.url, credentials: { apiKey: { "api-key": "k" } } });
    expect(half.checks[0]).toMatchObject({ outcome: "not-exercised", status: 401 });
    await expect(runContract(spec, { baseUrl: sim.url, credentials: { apiKey: { apikey: "k" } } })).rejects.toMatchObject({
      kind: "simulator-config",
      message: expect.stringContaining('has no API-key scheme "apikey" (it has "api-key" (the header api-key), "user-id" (the header user-id))'),
    });
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
