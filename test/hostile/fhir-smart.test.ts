/**
 * Hostile SMART Backend Services servers: a `.well-known/smart-configuration`
 * and a token endpoint that hang, stall mid-body, redirect, reset, or answer garbage. The
 * FHIR call waiting for the token settles typed (timeout or auth-failed) by its deadline,
 * never rejects, sends nothing to the FHIR endpoint without a token, and no token, key or
 * client assertion shows up in errors, meta or telemetry.
 */
import type http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { exportJWK, generateKeyPair, type CryptoKey } from "jose";
import { smartBackendAuth } from "carewire/fhir";
import type { RecordedRequest, TestServer } from "../helpers/http-server.js";
import { byDeadline, expectNoSecrets, expectPrototypeClean, failure, recorder } from "./assertions.js";
import { fhirClient, fhirJson, hang, raw, serverPool, stall, type HostileClientOptions } from "./fhir-server.js";

const CLIENT_ID = "carewire-hostile-backend";
const TOKEN = "tok-SMART-8277e0910d75-do-not-leak";
const API_KEY = "key-SMART-e4da3b7fbbce-do-not-leak";
const PHI = "PHI-Turing-Alan-MRN-19120623";
const TIMEOUT_MS = 500;
const DEADLINE_MS = 2_000;

let keys: { privateKey: CryptoKey; publicKey: CryptoKey };
let privateD: string;
beforeAll(async () => {
  keys = await generateKeyPair("ES384", { extractable: true });
  privateD = (await exportJWK(keys.privateKey)).d!;
});
afterAll(() => expectPrototypeClean());

const pool = serverPool();

type Responder = (req: RecordedRequest, res: http.ServerResponse, server: TestServer) => void | Promise<void>;

const goodDiscovery: Responder = (_req, res, server) => fhirJson(res, 200, { token_endpoint: `${server.url}/auth/token`, token_endpoint_auth_methods_supported: ["private_key_jwt"], token_endpoint_auth_signing_alg_values_supported: ["ES384"] });
const goodToken: Responder = (_req, res) => fhirJson(res, 200, { access_token: TOKEN, token_type: "bearer", expires_in: 300, scope: "system/*.rs" });

/** Discovery, token endpoint and FHIR server on one origin, each scripted; the FHIR server wants the token. */
async function smartServer(discovery: Responder, token: Responder = goodToken): Promise<TestServer & { assertions: string[]; fhirRequests(): RecordedRequest[] }> {
  const server = await pool.start();
  const assertions: string[] = [];
  server.handle((req, res) => {
    const { pathname } = new URL(req.url, server.url);
    if (pathname === "/fhir/.well-known/smart-configuration") return discovery(req, res, server);
    if (pathname === "/auth/token") {
      const assertion = new URLSearchParams(req.body).get("client_assertion");
      if (assertion) assertions.push(assertion);
      return token(req, res, server);
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return fhirJson(res, 401, { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "login" }] });
    return fhirJson(res, 200, { resourceType: "Patient", id: pathname.split("/").pop() });
  });
  return Object.assign(server, { assertions, fhirRequests: () => server.requests.filter((r) => r.url.startsWith("/fhir/Patient")) });
}

function client(server: TestServer, extra: HostileClientOptions = {}) {
  return fhirClient(`${server.url}/fhir`, {
    headers: { "X-Api-Key": API_KEY },
    auth: smartBackendAuth({ clientId: CLIENT_ID, privateKey: keys.privateKey, algorithm: "ES384", keyId: "k1", scope: "system/*.rs" }),
    timeoutMs: TIMEOUT_MS,
    deadlineMs: DEADLINE_MS,
    ...extra,
  });
}

/** Resolves once `server` has received a request for `pathname` (the test's timeout bounds the wait). */
async function untilRequested(server: TestServer, pathname: string): Promise<void> {
  while (!server.requests.some((r) => new URL(r.url, server.url).pathname === pathname)) await new Promise((r) => setTimeout(r, 1));
}

/** One read that must resolve by its deadline (+ slack) with a typed failure, leaking nothing. */
async function failedRead(server: Awaited<ReturnType<typeof smartServer>>, kinds: string[], extra: HostileClientOptions = {}) {
  const events = recorder();
  const result = await byDeadline(client(server, { onEvent: events.onEvent, logger: events.logger, ...extra }).Patient.read("p1"), DEADLINE_MS);
  const error = failure(result, ...kinds);
  const secrets: Record<string, string> = { token: TOKEN, apiKey: API_KEY, privateKey: privateD, phi: PHI };
  server.assertions.forEach((a, i) => (secrets[`assertion ${i}`] = a));
  expectNoSecrets({ message: error.message, meta: result.meta, events: events.events, cause: String((error as { cause?: unknown }).cause ?? "") }, secrets);
  return { error, result, events: events.events };
}

describe("a SMART configuration endpoint that hangs", () => {
  it("never answering: the call settles typed by its deadline, and nothing reaches the FHIR endpoint", async () => {
    const server = await smartServer(() => hang());
    await failedRead(server, ["timeout", "auth-failed"]);
    expect(server.fhirRequests()).toEqual([]);
  }, 30_000);

  it("sending headers, then nothing: the call settles typed by its deadline", async () => {
    const server = await smartServer((_req, res) => stall(res, "application/json", `{"token_endpoint":`));
    await failedRead(server, ["timeout", "auth-failed"]);
    expect(server.fhirRequests()).toEqual([]);
  }, 30_000);

  it("a second call while discovery still hangs settles by its own deadline too", async () => {
    const server = await smartServer(() => hang());
    const fhir = client(server);
    const first = fhir.Patient.read("p1");
    await untilRequested(server, "/fhir/.well-known/smart-configuration");
    const second = fhir.Patient.read("p2");
    for (const result of await Promise.all([byDeadline(first, DEADLINE_MS), byDeadline(second, DEADLINE_MS)])) failure(result, "timeout", "auth-failed");
  }, 30_000);
});

describe("a SMART configuration endpoint that answers garbage: auth-failed", () => {
  const GARBAGE: Array<[string, Responder]> = [
    ["HTML", (_req, res) => raw(res, 200, "text/html", `<html>${PHI}</html>`)],
    ["null", (_req, res) => raw(res, 200, "application/json", "null")],
    ["an array", (_req, res) => raw(res, 200, "application/json", "[]")],
    ["a JSON string", (_req, res) => raw(res, 200, "application/json", `"${PHI}"`)],
    ["JSON cut short", (_req, res) => raw(res, 200, "application/json", `{"token_endpoint":"${PHI}`)],
    ["token_endpoint a number", (_req, res) => raw(res, 200, "application/json", `{"token_endpoint":42}`)],
    ["token_endpoint an object with a poisoned toString", (_req, res) => raw(res, 200, "application/json", `{"token_endpoint":{"toString":0}}`)],
    ["token_endpoint http://[::1", (_req, res) => raw(res, 200, "application/json", `{"token_endpoint":"http://[::1"}`)],
    ["token_endpoint javascript:", (_req, res) => raw(res, 200, "application/json", `{"token_endpoint":"javascript:alert(1)"}`)],
    ["token_endpoint only under __proto__", (_req, res, s) => raw(res, 200, "application/json", `{"__proto__":{"token_endpoint":"${s.url}/auth/token"}}`)],
    ["a valid configuration with status 500", (_req, res, s) => raw(res, 500, "application/json", JSON.stringify({ token_endpoint: `${s.url}/auth/token` }))],
    ["2 MB of JSON", (_req, res) => raw(res, 200, "application/json", JSON.stringify({ padding: "x".repeat(2 * 1024 * 1024), token_endpoint: "http://127.0.0.1:1/token" }))],
  ];

  it.each(GARBAGE)("%s", async (_label, discovery) => {
    const server = await smartServer(discovery);
    await failedRead(server, ["auth-failed"]);
    expect(server.fhirRequests()).toEqual([]);
    expectPrototypeClean();
  }, 30_000);

  it("a redirect to another origin: auth-failed, and the other origin is never asked", async () => {
    const elsewhere = await pool.start((_req, res) => fhirJson(res, 200, { token_endpoint: "http://127.0.0.1:1/token" }));
    const server = await smartServer((_req, res) => {
      res.writeHead(302, { location: `${elsewhere.url}/.well-known/smart-configuration` });
      res.end();
    });
    await failedRead(server, ["auth-failed"]);
    expect(elsewhere.requests).toEqual([]);
  }, 30_000);
});

describe("a token endpoint that hangs", () => {
  it("never answering: the call settles typed by its deadline; nothing reaches the FHIR endpoint", async () => {
    const server = await smartServer(goodDiscovery, () => hang());
    await failedRead(server, ["timeout", "auth-failed"]);
    expect(server.fhirRequests()).toEqual([]);
  }, 30_000);

  it("sending headers and part of the token, then nothing: settles typed by the deadline", async () => {
    const server = await smartServer(goodDiscovery, (_req, res) => stall(res, "application/json", `{"access_token":"${TOKEN.slice(0, 12)}`));
    await failedRead(server, ["timeout", "auth-failed"]);
  }, 30_000);

  it("wedges no later call: each settles by its own deadline, and once the endpoint recovers calls succeed again", async () => {
    let answering = false;
    const server = await smartServer(goodDiscovery, (req, res, s) => (answering ? goodToken(req, res, s) : hang()));
    const fhir = client(server);
    for (const id of ["p1", "p2", "p3"]) failure(await byDeadline(fhir.Patient.read(id), DEADLINE_MS), "timeout", "auth-failed");

    answering = true;
    // Each token attempt is bounded by the client's timeoutMs: a call may still meet the hung
    // one, and a later call gets a token. Counted in calls, not in time.
    const outcomes: string[] = [];
    let last: Awaited<ReturnType<typeof fhir.Patient.read>> | undefined;
    for (let call = 0; call < 5; call++) {
      last = await byDeadline(fhir.Patient.read("p4"), DEADLINE_MS);
      if (!last.error) break;
      outcomes.push(`${last.error.kind}: ${last.error.message}`);
    }
    if (last?.error) throw new Error(`no call of 5 succeeded after the token endpoint recovered: ${outcomes.join(" | ")}`);
    expect(last?.data?.id).toBe("p4");
  }, 120_000);
});

describe("a token endpoint that answers garbage: auth-failed, token text nowhere", () => {
  const GARBAGE: Array<[string, Responder]> = [
    ["HTML", (_req, res) => raw(res, 200, "text/html", `<html>${PHI}</html>`)],
    ["null", (_req, res) => raw(res, 200, "application/json", "null")],
    ["an array", (_req, res) => raw(res, 200, "application/json", `[{"access_token":"${TOKEN}"}]`)],
    ["access_token a number", (_req, res) => raw(res, 200, "application/json", `{"access_token":42,"expires_in":300}`)],
    ["access_token an object", (_req, res) => raw(res, 200, "application/json", `{"access_token":{"toString":0},"expires_in":300}`)],
    ["an access_token with CR LF (header injection)", (_req, res) => raw(res, 200, "application/json", JSON.stringify({ access_token: `${TOKEN}\r\nX-Injected: ${PHI}`, expires_in: 300 }))],
    ["an access_token with a NUL", (_req, res) => raw(res, 200, "application/json", JSON.stringify({ access_token: `${TOKEN}\u0000x`, expires_in: 300 }))],
    ["an access_token with non-ASCII", (_req, res) => raw(res, 200, "application/json", JSON.stringify({ access_token: `${TOKEN}é`, expires_in: 300 }))],
    ["JSON cut short", (_req, res) => raw(res, 200, "application/json", `{"access_token":"${TOKEN}`)],
    ["401 with PHI in error and error_description", (_req, res) => raw(res, 401, "application/json", JSON.stringify({ error: `invalid_client ${PHI}\n`, error_description: PHI }))],
    ["400 with an error code 1 MB long", (_req, res) => raw(res, 400, "application/json", JSON.stringify({ error: `${PHI}${"x".repeat(1024 * 1024)}` }))],
    ["2 MB of JSON around a token", (_req, res) => raw(res, 200, "application/json", JSON.stringify({ access_token: TOKEN, padding: "x".repeat(2 * 1024 * 1024) }))],
    [
      "a reset mid-body",
      (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.write(`{"access_token":"${TOKEN}`, () => setTimeout(() => res.socket?.destroy(), 20));
      },
    ],
    [
      "a 307 redirect (would re-post the assertion)",
      (_req, res, s) => {
        res.writeHead(307, { location: `${s.url}/auth/token-elsewhere` });
        res.end();
      },
    ],
  ];

  it.each(GARBAGE)("%s", async (_label, token) => {
    const server = await smartServer(goodDiscovery, token);
    await failedRead(server, ["auth-failed"]);
    expect(server.fhirRequests()).toEqual([]);
    expect(server.requests.filter((r) => r.url === "/auth/token-elsewhere")).toEqual([]);
    expectPrototypeClean();
  }, 30_000);
});

describe("secrets on the success path", () => {
  it("a working token is in the Authorization header and nowhere in meta or telemetry; the assertion nowhere either", async () => {
    const server = await smartServer(goodDiscovery);
    const events = recorder();
    const result = await byDeadline(client(server, { onEvent: events.onEvent, logger: events.logger }).Patient.read("p1"), DEADLINE_MS);
    expect(result.error).toBeUndefined();
    expect(server.fhirRequests().at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(server.assertions).toHaveLength(1);
    expectNoSecrets({ meta: result.meta, events: events.events }, { token: TOKEN, apiKey: API_KEY, privateKey: privateD, assertion: server.assertions[0]! });
  }, 30_000);

  it("a FHIR server that answers 401 to every token: a typed error that holds no token", async () => {
    const server = await smartServer(goodDiscovery);
    server.handle((req, res) => {
      const { pathname } = new URL(req.url, server.url);
      if (pathname === "/fhir/.well-known/smart-configuration") return goodDiscovery(req, res, server);
      if (pathname === "/auth/token") return goodToken(req, res, server);
      fhirJson(res, 401, { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "login", diagnostics: `token ${TOKEN} rejected for ${PHI}` }] });
    });
    const { error } = await failedRead(server, ["fhir", "http", "auth-failed"]);
    expect(error.message).not.toContain(TOKEN);
  }, 30_000);
});
