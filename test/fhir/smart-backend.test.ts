/**
 * SMART Backend Services against a scripted authorization server on 127.0.0.1 that checks
 * every assertion the way a real one does (jose jwtVerify with the registered public key).
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { decodeJwt, exportJWK, generateKeyPair, jwtVerify, type CryptoKey } from "jose";
import { smartBackendAuth, signClientAssertion } from "carewire/fhir";
import { FakeClock } from "carewire/testing";
import { createFhirR4Client } from "../../generated/fhir-r4/index.js";
import { json, startServer, type TestServer } from "../helpers/http-server.js";

const CLIENT_ID = "carewire-backend";
let server: TestServer;
let keys: Record<"RS384" | "ES384", { privateKey: CryptoKey; publicKey: CryptoKey }>;
/** What the authorization server saw. */
const seen = { discovery: 0, tokens: [] as Array<{ claims: Record<string, unknown>; header: Record<string, unknown>; scope: string | null }>, jtis: new Set<string>(), failures: [] as string[] };
let discoveryAnswers = true;

beforeAll(async () => {
  keys = { RS384: await generateKeyPair("RS384", { extractable: true }), ES384: await generateKeyPair("ES384", { extractable: true }) };
  server = await startServer();
  server.handle(async (req, res) => {
    const url = new URL(req.url, server.url);
    if (url.pathname === "/fhir/.well-known/smart-configuration") {
      seen.discovery++;
      if (!discoveryAnswers) return json(res, 404, { error: "not found" });
      return json(res, 200, { token_endpoint: `${server.url}/auth/token`, token_endpoint_auth_methods_supported: ["private_key_jwt"], token_endpoint_auth_signing_alg_values_supported: ["RS384", "ES384"], capabilities: ["client-confidential-asymmetric"] });
    }
    if (url.pathname === "/auth/token") {
      const form = new URLSearchParams(req.body);
      try {
        if (form.get("grant_type") !== "client_credentials") throw new Error("grant_type");
        if (form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") throw new Error("assertion type");
        const assertion = form.get("client_assertion") ?? "";
        const alg = JSON.parse(Buffer.from(assertion.split(".")[0]!, "base64url").toString()).alg as "RS384" | "ES384";
        const { payload, protectedHeader } = await jwtVerify(assertion, keys[alg].publicKey, { issuer: CLIENT_ID, subject: CLIENT_ID, audience: `${server.url}/auth/token`, algorithms: ["RS384", "ES384"] });
        if (payload.exp! - payload.iat! > 300) throw new Error("exp more than 5 minutes out");
        if (!payload.jti || seen.jtis.has(payload.jti)) throw new Error("jti reused");
        seen.jtis.add(payload.jti);
        seen.tokens.push({ claims: payload as Record<string, unknown>, header: protectedHeader as Record<string, unknown>, scope: form.get("scope") });
        return json(res, 200, { access_token: `tok-${seen.tokens.length}`, token_type: "bearer", expires_in: 300, scope: form.get("scope") });
      } catch (error) {
        seen.failures.push((error as Error).message);
        return json(res, 401, { error: "invalid_client" });
      }
    }
    if (!/^Bearer tok-\d+$/.test(req.headers.authorization ?? "")) return json(res, 401, { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "login" }] }, { "content-type": "application/fhir+json" });
    return json(res, 200, { resourceType: "Patient", id: url.pathname.split("/").pop() }, { "content-type": "application/fhir+json" });
  });
});
afterAll(async () => {
  await server.close();
});

function reset(): void {
  seen.discovery = 0;
  seen.tokens.length = 0;
  seen.failures.length = 0;
  discoveryAnswers = true;
}

describe("SMART Backend Services", () => {
  it.each(["RS384", "ES384"] as const)("discovers the token endpoint, signs a %s assertion the server accepts, and calls with the token", async (algorithm) => {
    reset();
    const fhir = createFhirR4Client({ baseUrl: `${server.url}/fhir`, auth: smartBackendAuth({ clientId: CLIENT_ID, privateKey: keys[algorithm].privateKey, algorithm, keyId: "key-1", scope: "system/*.rs" }) });

    const result = await fhir.Patient.read("p1");

    expect(result.error).toBeUndefined();
    expect(seen.failures).toEqual([]);
    expect(seen.discovery).toBe(1);
    expect(seen.tokens).toHaveLength(1);
    expect(seen.tokens[0]!.header).toMatchObject({ alg: algorithm, kid: "key-1", typ: "JWT" });
    expect(seen.tokens[0]!.scope).toBe("system/*.rs");
    expect(server.requests.at(-1)!.headers.authorization).toBe("Bearer tok-1");
  });

  it("fetches one token for 20 concurrent calls, and a new one (fresh assertion, new jti) shortly before it expires", async () => {
    reset();
    const clock = new FakeClock({ start: Date.now() });
    const fhir = createFhirR4Client({ baseUrl: `${server.url}/fhir`, clock, auth: smartBackendAuth({ clientId: CLIENT_ID, privateKey: keys.RS384.privateKey, algorithm: "RS384", scope: "system/*.read" }) });

    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => fhir.Patient.read(`p${i}`)));
    expect(results.every((r) => r.error === undefined)).toBe(true);
    expect(seen.tokens).toHaveLength(1);

    await clock.advance(260_000); // 300 s token, refreshed 30 s before expiry
    await fhir.Patient.read("p1");
    expect(seen.tokens).toHaveLength(1);
    await clock.advance(15_000);
    await fhir.Patient.read("p2");
    expect(seen.tokens).toHaveLength(2);
    expect(seen.tokens[0]!.claims.jti).not.toBe(seen.tokens[1]!.claims.jti);
    expect(seen.failures).toEqual([]);
  });

  it("never signs an assertion valid for more than 5 minutes", async () => {
    const assertion = await signClientAssertion({ clientId: CLIENT_ID, privateKey: keys.ES384.privateKey, algorithm: "ES384", scope: "system/*.rs", assertionLifetimeSeconds: 3_600 }, "https://auth.example/token", Date.now());
    const claims = decodeJwt(assertion);
    expect(claims.exp! - claims.iat!).toBe(300);
    expect(claims).toMatchObject({ iss: CLIENT_ID, sub: CLIENT_ID, aud: "https://auth.example/token" });
  });

  it("refuses user or patient scopes: backend services are system-level", () => {
    expect(() => smartBackendAuth({ clientId: CLIENT_ID, privateKey: keys.RS384.privateKey, algorithm: "RS384", scope: "patient/*.read" })).toThrow(/system scopes/);
  });

  it("ends the call with auth-failed, and sends nothing to the FHIR server, when discovery fails", async () => {
    reset();
    discoveryAnswers = false;
    const fhir = createFhirR4Client({ baseUrl: `${server.url}/fhir`, auth: smartBackendAuth({ clientId: CLIENT_ID, privateKey: keys.RS384.privateKey, algorithm: "RS384", scope: "system/*.rs" }) });
    const before = server.requests.filter((r) => r.url.startsWith("/fhir/Patient")).length;

    const result = await fhir.Patient.read("p1");

    expect(result.error).toMatchObject({ kind: "auth-failed" });
    expect(server.requests.filter((r) => r.url.startsWith("/fhir/Patient")).length).toBe(before);
  });

  it("keeps the key out of everything it reports", async () => {
    const jwk = JSON.stringify(await exportJWK(keys.RS384.privateKey));
    const d = (JSON.parse(jwk) as { d: string }).d;
    reset();
    discoveryAnswers = false;
    const events: unknown[] = [];
    const fhir = createFhirR4Client({ baseUrl: `${server.url}/fhir`, onEvent: (e) => void events.push(e), auth: smartBackendAuth({ clientId: CLIENT_ID, privateKey: keys.RS384.privateKey, algorithm: "RS384", scope: "system/*.rs" }) });
    const result = await fhir.Patient.read("p1");
    expect(JSON.stringify({ error: result.error?.message, meta: result.meta, events })).not.toContain(d.slice(0, 16));
  });
});
