/**
 * `runFhirContract` / `carewire contract <capability.json>`: every declared interaction in a
 * life-cycle order, each answer validated against R4, against carewire's FHIR simulator,
 * Medplum's engine, and a server that breaks the contract.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { runFhirContract, type FhirContractReport } from "carewire/testing";
import { childTestTimeout, runCli, ROOT } from "../helpers/cli.js";
import { startFhirEngine, type FhirEngine } from "../helpers/fhir-engine.js";
import { json, startServer, type TestServer } from "../helpers/http-server.js";

const CAPABILITY = path.join(ROOT, "specs/fhir-r4/capability.json");
let engine: FhirEngine;
let broken: TestServer;
let refusing: TestServer;
let dir: string;
beforeAll(async () => {
  engine = await startFhirEngine();
  dir = await mkdtemp(path.join(os.tmpdir(), "carewire-fhir-contract-"));
  // Refuses every write as invalid, as a validating server refuses a sample it does not accept.
  refusing = await startServer((req, res) =>
    req.method === "GET"
      ? json(res, 200, { resourceType: "Bundle", type: "searchset" }, { "content-type": "application/fhir+json" })
      : json(res, 422, { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "invalid", diagnostics: "Patient.name is required here" }] }, { "content-type": "application/fhir+json" }),
  );
  // Creates "succeed" with a Patient whose gender is not an R4 code.
  broken = await startServer((req, res) => json(res, req.method === "POST" ? 201 : 200, { resourceType: "Patient", id: "p1", gender: "mostly", meta: { versionId: "1" } }, { "content-type": "application/fhir+json" }));
});
afterAll(async () => {
  await engine.close();
  await broken.close();
  await refusing.close();
  await rm(dir, { recursive: true, force: true });
});

const summary = (report: FhirContractReport) => ({ passed: report.passed, failed: report.failed, notExercised: report.notExercised });

describe("FHIR contract run", () => {
  it("passes every declared interaction on carewire's FHIR simulator, patch, transaction and batch included", async () => {
    const report = await runFhirContract(CAPABILITY);
    // 5 types × 8 interactions (create, read, vread, search, patch, update, history, delete) + Provenance's 4 + transaction and batch.
    expect(summary(report)).toEqual({ passed: 46, failed: 0, notExercised: 0 });
    expect(report.checks.filter((c) => c.interaction === "patch")).toHaveLength(5);
    expect(report.checks.filter((c) => c.resourceType === "system").map((c) => `${c.interaction}:${c.outcome}`)).toEqual(["transaction:passed", "batch:passed"]);
  });

  it("passes every interaction of the statement on Medplum's FHIR engine, transaction and batch included", async () => {
    const report = await runFhirContract(CAPABILITY, { baseUrl: engine.url });
    expect(report.checks.filter((c) => c.outcome !== "passed")).toEqual([]);
    expect(report.checks.map((c) => c.interaction)).toEqual(expect.arrayContaining(["vread", "patch", "transaction", "batch"]));
    expect(report.passed).toBe(46);
  });

  it("passes the engine's own CapabilityStatement (146 R4 types) on the engine, creating a valid sample of each", async () => {
    const statement = path.join(dir, "engine-capability.json");
    await writeFile(statement, await (await fetch(`${engine.url}/metadata`)).text());
    const report = await runFhirContract(statement, { baseUrl: engine.url });
    expect(report.checks.filter((c) => c.outcome !== "passed")).toEqual([]);
    const types = new Set(report.checks.map((c) => c.resourceType));
    expect(types.size).toBe(147); // 146 types and "system"
    // 146 types × 8 interactions + transaction and batch.
    expect(summary(report)).toEqual({ passed: 1170, failed: 0, notExercised: 0 });
  }, 120_000);

  it("reports a write the server refuses as invalid as not exercised, with the server's reason, never as passed", async () => {
    const report = await runFhirContract(CAPABILITY, { baseUrl: refusing.url, resources: ["Patient"] });
    const create = report.checks.find((c) => c.interaction === "create")!;
    expect(create).toMatchObject({ outcome: "notExercised", ok: false, status: 422 });
    expect(create.reason).toContain("Patient.name is required here");
    // What needs the created resource was not exercised either; the search was, and passed.
    expect(report.checks.filter((c) => c.resourceType === "Patient").map((c) => `${c.interaction}:${c.outcome}`)).toEqual([
      "create:notExercised",
      "search-type:passed",
      "read:notExercised",
      "vread:notExercised",
      "patch:notExercised",
      "update:notExercised",
      "history-instance:notExercised",
      "delete:notExercised",
    ]);
    expect(report.checks.filter((c) => c.resourceType === "system").map((c) => `${c.interaction}:${c.outcome}`)).toEqual(["transaction:notExercised", "batch:notExercised"]);
    expect(summary(report)).toEqual({ passed: 1, failed: 0, notExercised: 9 });
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
    expect(good.stdout).toMatch(/46 passed, 0 failed, 0 not exercised \(46 interactions/);
    const bad = await runCli(["contract", "specs/fhir-r4/capability.json", "--base-url", broken.url]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("FAIL Patient");
  }, childTestTimeout(2));
});
