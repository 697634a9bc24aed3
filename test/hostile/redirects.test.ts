/**
 * Redirects against the generated clinic client. Within the origin carewire follows them as
 * HTTP says (303 → GET; 301/302 after POST → GET; 307/308 keep method, body and the same
 * Idempotency-Key). Anywhere else is refused with UntrustedUrlError and the other origin
 * receives nothing at all — not the X-Api-Key, not the bearer token, not the PHI in the path,
 * not the body, not even a connection. Loops end at maxRedirects.
 */
import { describe, expect, it, jest } from "@jest/globals";
import { json, redirect, token, type HostileServer } from "../helpers/hostile-server.js";
import { API_KEY, authed, byDeadline, expectNoSecrets, expectUntouched, failure, hostilePair, newPatient, patient, PHI_ID, receivedBy, seenBy, TOKEN, TOKEN_ROUTE, type AnyResult, type Rig } from "./assertions.js";

jest.setTimeout(30_000);

let hostile: HostileServer;
let other: HostileServer;
hostilePair((api, second) => {
  [hostile, other] = [api, second];
  hostile.on(TOKEN_ROUTE, token(TOKEN));
  // Should anything reach the other origin, make it look like success so only the assertions can fail.
  other.script(json(200, patient()));
});

const getPatient = (r: Rig) => byDeadline(r.client.getPatient({ params: { path: { patientId: PHI_ID } } }), r.deadlineMs);
const createPatient = (r: Rig) => byDeadline(r.client.createPatient({ body: newPatient }, { idempotencyKey: "idem-redirect-1" }), r.deadlineMs);
const updatePatient = (r: Rig) => byDeadline(r.client.updatePatient({ params: { path: { patientId: PHI_ID } }, body: newPatient }, { idempotencyKey: "idem-redirect-2" }), r.deadlineMs);

const api = () => hostile.requests.filter((q) => !q.url.startsWith("/oauth/token"));

/** The refusal every cross-origin redirect must end in, checked the same way each time. */
function expectRefused(result: AnyResult, r: Rig) {
  const error = failure(result, "untrusted-url");
  expect(error.expectedOrigin).toBe(hostile.origin);
  expect(error.message).toContain(other.origin);
  expect(error.message).not.toContain("/patients");
  expectUntouched(other);
  expectNoSecrets({ ...seenBy(r, result), ...receivedBy(other) });
  return error;
}

describe("cross-origin redirects are refused and nothing reaches the other origin", () => {
  it.each([301, 302, 303, 307, 308])("GET getPatient with X-Api-Key, bearer token and PHI in the path, %i to another origin", async (status) => {
    hostile.on("GET /patients/:id", redirect(status, () => `${other.url}/patients/${PHI_ID}?copy=1`));
    const r = authed(hostile);
    const result = await getPatient(r);
    expectRefused(result, r);
  });

  it.each([301, 302, 303, 307, 308])("POST createPatient with a body and Idempotency-Key, %i to another origin", async (status) => {
    hostile.on("POST /patients", redirect(status, `${other.url}/patients`));
    const r = authed(hostile);
    const result = await createPatient(r);
    expectRefused(result, r);
    expect(api()).toHaveLength(1); // refused, not retried
  });

  it("PUT updatePatient with PHI in the path, 307 to another origin", async () => {
    hostile.on("PUT /patients/:id", redirect(307, () => `${other.url}/patients/${PHI_ID}`));
    const r = authed(hostile);
    const result = await updatePatient(r);
    expectRefused(result, r);
  });

  it("a protocol-relative Location (//host:port/…) is another origin too", async () => {
    hostile.on("GET /patients/:id", redirect(302, `//127.0.0.1:${other.port}/patients/${PHI_ID}`));
    const r = authed(hostile);
    expectRefused(await getPatient(r), r);
  });

  it("same-origin hops, then one to another origin: refused at that hop", async () => {
    hostile.on("GET /patients/:id", redirect(302, "/hop/1"));
    hostile.on("GET /hop/1", redirect(307, `${hostile.url}/hop/2`));
    hostile.on("GET /hop/2", redirect(308, `${other.url}/final`));
    const r = authed(hostile);
    expectRefused(await getPatient(r), r);
    expect(api().map((q) => q.url)).toEqual([`/patients/${PHI_ID}`, "/hop/1", "/hop/2"]);
  });

  it("the same host and port over https is another origin", async () => {
    hostile.on("GET /patients/:id", redirect(302, `https://127.0.0.1:${hostile.port}/patients/x`));
    const r = authed(hostile);
    const error = failure(await getPatient(r), "untrusted-url");
    expect(error.expectedOrigin).toBe(hostile.origin);
  });

  it.each(["file:///etc/passwd", "data:application/json,{}", "javascript:alert(1)", "ftp://127.0.0.1/x"])("a Location of %s: untrusted-url", async (location) => {
    hostile.on("GET /patients/:id", redirect(302, location));
    const r = authed(hostile);
    const result = await getPatient(r);
    failure(result, "untrusted-url");
    expectNoSecrets(seenBy(r, result));
  });

  it("an unparseable Location (http://[::1): a typed error, not a rejection", async () => {
    hostile.on("GET /patients/:id", redirect(302, "http://[::1"));
    const r = authed(hostile);
    const result = await getPatient(r);
    failure(result, "untrusted-url", "malformed-response");
  });
});

describe("same-origin redirects are followed as HTTP says", () => {
  it.each([307, 308])("POST %i: method, body and the same Idempotency-Key kept", async (status) => {
    hostile.on("POST /patients", redirect(status, "/patients-v2"));
    hostile.on("POST /patients-v2", json(201, patient()));
    const r = authed(hostile);
    const result = await createPatient(r);
    expect(result.error).toBeUndefined();
    const [first, second] = api();
    expect(api()).toHaveLength(2);
    expect(second).toMatchObject({ method: "POST", url: "/patients-v2", body: first?.body });
    expect(JSON.parse(second?.body ?? "null")).toEqual(newPatient);
    expect(second?.headers["idempotency-key"]).toBe("idem-redirect-1");
    expect(first?.headers["idempotency-key"]).toBe("idem-redirect-1");
    expect(second?.headers["x-api-key"]).toBe(API_KEY);
    expect(second?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expectNoSecrets(seenBy(r, result));
  });

  it.each([301, 302, 303])("POST %i: followed with a GET and no body", async (status) => {
    hostile.on("POST /patients", redirect(status, `${hostile.url}/patients/pat_01J8ZK4W7Q`));
    hostile.on("GET /patients/:id", json(200, patient()));
    const r = authed(hostile);
    const result = await createPatient(r);
    expect(result.error).toBeUndefined();
    const second = api()[1];
    expect(api()).toHaveLength(2);
    expect(second).toMatchObject({ method: "GET", url: "/patients/pat_01J8ZK4W7Q", body: "" });
    expect(second?.headers["content-type"]).toBeUndefined();
  });

  it("GET 302 within the origin: followed, credentials kept on the same origin", async () => {
    hostile.on("GET /patients/:id", redirect(302, "/v2/patient"));
    hostile.on("GET /v2/patient", json(200, patient()));
    const r = authed(hostile);
    const result = await getPatient(r);
    expect(result.error).toBeUndefined();
    expect(api()[1]?.headers).toMatchObject({ "x-api-key": API_KEY, authorization: `Bearer ${TOKEN}` });
  });

  it("a 302 without a Location: an http error, nothing followed", async () => {
    hostile.on("GET /patients/:id", (hit) => void hit.res.writeHead(302, { "content-length": 0 }).end());
    const r = authed(hostile);
    const result = await getPatient(r);
    failure(result, "http");
    expect(api()).toHaveLength(1);
  });
});

describe("redirect loops", () => {
  it("a redirect to itself: limit-exceeded redirects at the default 5, bounded requests", async () => {
    hostile.on("GET /patients/:id", redirect(302, (hit) => hit.request.url));
    const r = authed(hostile, { retry: false });
    const result = await getPatient(r);
    const error = failure(result, "limit-exceeded");
    expect({ limit: error.limit, max: error.max }).toEqual({ limit: "redirects", max: 5 });
    expect(api().length).toBeLessThanOrEqual(6);
    expectNoSecrets(seenBy(r, result));
  });

  it("an ever-growing chain with maxRedirects 2: limit-exceeded at 2", async () => {
    hostile.on("GET /*", redirect(307, (hit) => `/chain/${hit.n}`));
    const r = authed(hostile, { maxRedirects: 2, retry: false });
    const result = await getPatient(r);
    const error = failure(result, "limit-exceeded");
    expect({ limit: error.limit, max: error.max }).toEqual({ limit: "redirects", max: 2 });
    expect(api().length).toBeLessThanOrEqual(3);
  });

  it("a POST 307 loop: limit-exceeded, never an unbounded re-post of the body", async () => {
    hostile.on("POST /patients", redirect(307, "/patients"));
    const r = authed(hostile, { retry: false });
    const result = await createPatient(r);
    expect(failure(result, "limit-exceeded").limit).toBe("redirects");
    expect(api().length).toBeLessThanOrEqual(6);
  });
});
