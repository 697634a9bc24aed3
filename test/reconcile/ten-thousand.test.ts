/**
 * Ten thousand patients the app believes it delivered, against a FHIR simulator holding
 * 9,950 of them (50 with another family name) and 50 it never sent: an exact report, and the
 * same report when the run is SIGKILLed in the middle of a batch halfway through and resumed.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { createFhirR4Client } from "../../generated/fhir-r4/index.js";
import { fhirTarget, ndjsonSource, reconcile, type ReconcileReport } from "../../src/reconcile/index.js";
import { startFhirSimulator, type FhirSimulator } from "../../src/testing/fhir/fhir-simulator.js";
import { CHILD_LIMIT_MS, ROOT, childTestTimeout, tsxArgs } from "../helpers/cli.js";
import { FHIR_CAPABILITY } from "../helpers/simulator.js";
import { MRN, expectedReport, seedProvider, sourcePatients, writeNdjson } from "./fixture.js";

const BATCH = 100;
let sim: FhirSimulator;
let dir: string;
let sourceFile: string;

beforeAll(async () => {
  sim = await startFhirSimulator({ capability: FHIR_CAPABILITY });
  seedProvider(sim);
  dir = await mkdtemp(path.join(tmpdir(), "reconcile-10k-"));
  sourceFile = path.join(dir, "delivered.ndjson");
  await writeNdjson(sourceFile, sourcePatients());
});
afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

function target() {
  const fhir = createFhirR4Client({ baseUrl: sim.url, pacing: { limit: Infinity } });
  return fhirTarget(fhir.Patient, { type: "Patient", identifierSystem: MRN, batchSize: BATCH, server: sim.url });
}

const withoutTime = ({ durationMs: _, ...rest }: ReconcileReport) => rest;

/** Starts the child run and resolves once it hangs mid-batch past `stopAt`, with the child's handle. */
function childUntilHanging(checkpoint: string, stopAt: number) {
  const settings = { baseUrl: sim.url, source: sourceFile, checkpoint, system: MRN, batchSize: BATCH, stopAt };
  const child = spawn(process.execPath, tsxArgs(path.join(ROOT, "test/reconcile/reconcile-child.ts"), [JSON.stringify(settings)]), { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: "" } });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => void (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on("exit", (code, signal) => resolve(signal ?? code)));
  let timer: NodeJS.Timeout | undefined;
  const hanging = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes("hanging\n")) resolve(stdout);
    });
    child.on("exit", () => reject(new Error(`the child ended before it hung; stdout:\n${stdout.slice(-500)}\nstderr:\n${stderr.slice(-2_000)}`)));
    timer = setTimeout(() => reject(new Error(`the child had not hung after ${CHILD_LIMIT_MS} ms; stderr:\n${stderr.slice(-2_000)}`)), CHILD_LIMIT_MS);
  }).finally(() => clearTimeout(timer));
  return { child, hanging, exited };
}

describe("reconciling 10,000 records against a FHIR provider", () => {
  let uninterrupted: ReconcileReport;

  it("reports exactly the 50 missing, 50 extra and 50 different records, and 9,900 matched", async () => {
    uninterrupted = await reconcile({ source: await ndjsonSource(sourceFile), target: target() });
    expect(withoutTime(uninterrupted)).toEqual(expectedReport());
  });

  it(
    "gives the same report when the run is SIGKILLed halfway, in the middle of a batch, and resumed",
    async () => {
      const checkpoint = path.join(dir, "run.checkpoint");
      const run = childUntilHanging(checkpoint, 5_000);
      try {
        const stdout = await run.hanging;
        expect(stdout).toContain("progress 5000\n");
      } finally {
        run.child.kill("SIGKILL");
      }
      expect(await run.exited).toBe("SIGKILL");

      // What survived the kill: the 50 whole batches, nothing of the 51st.
      const db = new Database(checkpoint, { readonly: true });
      try {
        expect(db.prepare("SELECT position, phase FROM run").get()).toEqual({ position: 5_000, phase: "source" });
        expect(db.prepare("SELECT COUNT(*) FROM source_keys").pluck().get()).toBe(5_000);
      } finally {
        db.close();
      }

      const positions: number[] = [];
      const resumed = await reconcile({ source: await ndjsonSource(sourceFile), target: target(), checkpoint, onProgress: (p) => void positions.push(p.position) });
      expect(positions[0]).toBe(5_100); // it went on from the checkpoint, not from the start
      expect(withoutTime(resumed)).toEqual(withoutTime(uninterrupted));
      // A finished run leaves no checkpoint behind: the next run with this file starts afresh.
      expect(existsSync(checkpoint)).toBe(false);
    },
    childTestTimeout(1),
  );
});
