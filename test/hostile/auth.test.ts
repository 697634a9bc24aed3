/**
 * Hostile OAuth token endpoints against the generated clinic client's client-credentials
 * auth: endpoints that fail, reset, answer garbage or poisoned tokens, redirect. The call
 * ends auth-failed, nothing reaches the API, and no token, client secret, API key or PHI id
 * is repeated anywhere. Endpoints that stall are in auth-stall.test.ts (they take seconds).
 */
import { describe, expect, it, jest } from "@jest/globals";
import { huge, json, raw, redirect, reset, resetMidBody, text, token, type Behaviour, type HostileServer } from "../helpers/hostile-server.js";
import { API_KEY, apiCalls, authed, bearerApi, CLIENT_SECRET, expectNoSecrets, expectPrototypeClean, expectUntouched, failure, hostilePair, PHI_ID, readPatient, receivedBy, rig, seenBy, TOKEN, TOKEN_ROUTE, tokenCalls } from "./assertions.js";

jest.setTimeout(30_000);

let hostile: HostileServer;
let other: HostileServer;
hostilePair((api, second) => {
  [hostile, other] = [api, second];
  hostile.on("GET /patients/:id", bearerApi());
});

/** getPatient with the token endpoint behaving as told: auth-failed, nothing sent to the API, nothing leaked. */
async function expectAuthFailed(behaviour: Behaviour | Behaviour[]) {
  hostile.on(TOKEN_ROUTE, behaviour);
  const r = authed(hostile);
  const result = await readPatient(r);
  const error = failure(result, "auth-failed");
  expect(apiCalls(hostile)).toHaveLength(0);
  expectNoSecrets(seenBy(r, result));
  return error;
}

describe("token endpoints that fail", () => {
  const failures: Array<[string, Behaviour | Behaviour[]]> = [
    ["500", json(500, { error: "server_error" })],
    ["401 invalid_client", json(401, { error: "invalid_client", error_description: "Client authentication failed." })],
    ["200 garbage JSON", json(200, '{"access_token": "accesstoken-SECRET-5c2f88", ')],
    ["200 HTML", text(200, "<html><body>login</body></html>", "text/html")],
    ["200 empty body", text(200, "", "application/json")],
    ["200 `null`", json(200, "null")],
    ["200 array", json(200, [{ access_token: TOKEN }])],
    ["a reset before the request is read", reset("before-body")],
    ["a 302 to a login page on the same origin", redirect(302, "/login")],
  ];

  it.each(failures)("token endpoint answers %s: auth-failed, nothing sent to the API", async (_name, behaviour) => {
    await expectAuthFailed(behaviour);
  });

  it("token response reset mid-body: auth-failed (not unexpected), no token text anywhere", async () => {
    await expectAuthFailed(resetMidBody(200, `{"access_token":"${TOKEN}","token_type":"Bea`));
  });

  it("token endpoint answers with 200 MB: auth-failed (bounded read), no hang", async () => {
    hostile.on(TOKEN_ROUTE, huge(200 * 1000 * 1000));
    const r = authed(hostile, { timeoutMs: 3000, deadlineMs: 6000 });
    const result = await readPatient(r);
    failure(result, "auth-failed", "limit-exceeded");
  });

  it("token endpoint echoes the client secret in `error` and `error_description`: the message repeats neither", async () => {
    await expectAuthFailed(json(400, { error: `invalid_client ${CLIENT_SECRET}`, error_description: `secret ${CLIENT_SECRET} is wrong` }));
  });

  it("token endpoint puts CR LF in `error`: the message stays one clean line", async () => {
    hostile.on(TOKEN_ROUTE, json(400, { error: "invalid_client\r\nX-Injected: yes" }));
    const r = authed(hostile);
    const result = await readPatient(r);
    const error = failure(result, "auth-failed");
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(error.message).not.toContain("X-Injected");
  });

  it("token endpoint 307s to another origin: auth-failed, the client secret never reaches it", async () => {
    hostile.on(TOKEN_ROUTE, redirect(307, `${other.url}/steal`));
    const r = authed(hostile);
    const result = await readPatient(r);
    failure(result, "auth-failed", "untrusted-url");
    expectUntouched(other);
    expectNoSecrets({ ...seenBy(r, result), ...receivedBy(other) });
  });

  it("token endpoint 503 once, then a token: the call succeeds", async () => {
    hostile.on(TOKEN_ROUTE, [json(503, { error: "temporarily_unavailable" }, { "retry-after": "0" }), token(TOKEN)]);
    const r = authed(hostile);
    const result = await readPatient(r);
    expect(result.error).toBeUndefined();
    expectNoSecrets(seenBy(r, result));
  });

  it("token endpoint 429 with Retry-After: 1e308: settles by the deadline", async () => {
    hostile.on(TOKEN_ROUTE, json(429, { error: "rate_limit_exceeded" }, { "retry-after": "1e308" }));
    const r = authed(hostile);
    const result = await readPatient(r);
    failure(result, "auth-failed", "timeout", "rate-limited");
  });
});

describe("poisoned tokens", () => {
  const poisoned: Array<[string, string]> = [
    ["CR LF and an injected header", `${TOKEN}\r\nX-Injected: yes`],
    ["a bare LF", `${TOKEN}\nX-Injected: yes`],
    ["a NUL byte", `${TOKEN}\u0000`],
    ["a space", `${TOKEN} extra`],
    ["non-ASCII", `${TOKEN}-tökén`],
    ["an empty string", ""],
  ];

  it.each(poisoned)("access_token with %s: auth-failed, the token text nowhere, nothing injected", async (_name, value) => {
    await expectAuthFailed(token(value));
    expect(hostile.requests.some((q) => "x-injected" in q.headers)).toBe(false);
  });

  const nonStrings: Array<[string, unknown]> = [
    ["a number", 12345],
    ["null", null],
    ["an object", { value: TOKEN }],
    ["an array", [TOKEN]],
    ["true", true],
  ];

  it.each(nonStrings)("access_token that is %s: auth-failed", async (_name, value) => {
    await expectAuthFailed(token(value));
  });

  it("a 1 MB access_token: auth-failed or refused before it becomes a header, no hang", async () => {
    hostile.on(TOKEN_ROUTE, token("a".repeat(1 << 20)));
    const r = authed(hostile, { timeoutMs: 2000, deadlineMs: 4000 });
    const result = await readPatient(r);
    failure(result, "auth-failed", "limit-exceeded", "network", "http");
  });

  it("__proto__ in the token response: the token is used, Object.prototype clean", async () => {
    hostile.on(TOKEN_ROUTE, json(200, `{"__proto__":{"polluted":"yes","access_token":"x"},"access_token":"${TOKEN}","expires_in":3600}`));
    const r = authed(hostile);
    const result = await readPatient(r);
    expect(result.error).toBeUndefined();
    expectPrototypeClean();
  });

  const lifetimes: Array<[string, unknown]> = [
    ["negative", -5],
    ["a string", "3600"],
    ["1e308", 1e308],
    ["zero", 0],
    ["an object", { seconds: 3600 }],
  ];

  it.each(lifetimes)("expires_in that is %s: the call and a later one succeed, no token loop", async (_name, expiresIn) => {
    hostile.on(TOKEN_ROUTE, token(TOKEN, { expires_in: expiresIn }));
    const r = authed(hostile);
    const first = await readPatient(r);
    const second = await readPatient(r);
    expect([first.error?.kind, second.error?.kind]).toEqual([undefined, undefined]);
    expect(tokenCalls(hostile).length).toBeLessThanOrEqual(2);
  });
});

describe("tokens and other origins", () => {
  it("a token endpoint on another origin gets the client credentials, never the X-Api-Key or the PHI path", async () => {
    other.on(TOKEN_ROUTE, token(TOKEN));
    const r = rig(hostile, { auth: { tokenUrl: `${other.url}/oauth/token` } });
    const result = await readPatient(r);
    expect(result.error).toBeUndefined();
    expect(other.requests).toHaveLength(1);
    expectNoSecrets({ ...seenBy(r, result), ...receivedBy(other) }, { apiKey: API_KEY, phi: PHI_ID, token: TOKEN });
  });

  it("an API that answers 401 to every token: refreshed once and sent once more, then http 401 — no loop", async () => {
    hostile.on(TOKEN_ROUTE, token(TOKEN));
    hostile.on("GET /patients/:id", bearerApi("never-this-one"));
    const r = authed(hostile);
    const result = await readPatient(r);
    expect(failure(result, "http").status).toBe(401);
    expect(tokenCalls(hostile).length).toBeLessThanOrEqual(2);
    expect(apiCalls(hostile).length).toBeLessThanOrEqual(4);
    expectNoSecrets(seenBy(r, result));
  });

  it("a token endpoint that answers raw invalid header bytes: auth-failed", async () => {
    hostile.on(TOKEN_ROUTE, raw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Bad: a\u0000b\r\nContent-Length: 2\r\n\r\n{}"));
    const r = authed(hostile);
    const result = await readPatient(r);
    failure(result, "auth-failed");
  });
});
