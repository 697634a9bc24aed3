/**
 * `runFhirContract` / `carewire contract <capability.json>`: every declared interaction in a
 * life-cycle order, each answer validated against R4, against carewire's FHIR simulator,
 * Medplum's engine, and a server that breaks the contract.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { runFhirContract } from "carewire/testing";
import { childTestTimeout, runCli, ROOT } from "../helpers/cli.js";
import { startFhirEngine, type FhirEngine } from "../helpers/fhir-engine.js";
import { json, startServer, type TestServer } from "../helpers/http-server.js";

const CAPABILITY = path.join(ROOT, "specs/fhir-r4/capability.json");
let engine: FhirEngine;
let broken: TestServer;
beforeAll(async () => {
  engine = await startFhirEngine();
  // Creates "succeed" with a Patient whose gender is not an R4 code.
  broken = await startServer((req, res) => json(res, req.method === "POST" ? 201 : 200, { resourceType: "Patient", id: "p1", gender: "mostly", meta: { versionId: "1" } }, { "content-type": "application/fhir+json" }));
});
afterAll(async () => {
  await engine.close();
  await broken.close();
});

describe("FHIR contract run", () => {
  it("passes every declared interaction on carewire's FHIR simulator", async () => {
    const report = await runFhirContract(CAPABILITY);
    expect(report.failed).toBe(0);
    // 5 types × 7 checked interactions (create, read, vread, search, update, history, delete) + Provenance's 4.
    expect(report.checks).toHaveLength(39);
  });

  it("passes on Medplum's FHIR engine", async () => {
    const report = await runFhirContract(CAPABILITY, { baseUrl: engine.url, resources: ["Patient", "Observation"] });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.checks.map((c) => c.interaction)).toContain("vread");
  });

  it("fails a server whose answers break R4, naming the interaction and the path", async () => {
    const report = await runFhirContract(CAPABILITY, { baseUrl: broken.url, resources: ["Patient"] });
    const create = report.checks.find((c) => c.interaction === "create")!;
    expect(create.ok).toBe(false);
    expect(create.problems.join(" ")).toContain("contract-violation");
    expect(report.failed).toBeGreaterThan(0);
  });

  it("runs from the command line, exit 0 on the simulator and 1 on the broken server", async () => {
    const good = await runCli(["contract", "specs/fhir-r4/capability.json"]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/46 passed, 0 failed \(46 interactions/);
    const bad = await runCli(["contract", "specs/fhir-r4/capability.json", "--base-url", broken.url]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("FAIL Patient");
  }, childTestTimeout(2));
});
