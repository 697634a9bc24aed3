/**
 * The contract suite (REQUIREMENTS T3) passes for every operation of specs/clinic and
 * of the real public specs against the simulator, and catches a server that breaks
 * the contract.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import path from "node:path";
import { clinicScenario, describeContract, FakeClock, runContract, type Fault } from "carewire/testing";
import { ROOT } from "../helpers/cli.js";
import { json, startServer, type TestServer } from "../helpers/http-server.js";
import { CLINIC_SPEC, clinicSimulator } from "../helpers/simulator.js";

const PUBLIC = path.resolve(ROOT, "../shared/specs-public");

await describeContract(CLINIC_SPEC, { simulator: { handlers: clinicScenario } });
await describeContract(path.join(PUBLIC, "cms-bluebutton.openapi.yaml"));
await describeContract(path.join(PUBLIC, "drchrono.openapi.yaml"));

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
