/**
 * `carewire reconcile` in-process against the FHIR simulator: exit 0 in sync, 1 with
 * differences (text and JSON), 2 for bad arguments or a bad source line, and `--repair`
 * enqueuing each missing patient once as `Patient.ensure`.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Patient } from "fhir/r4.js";
import { reconcileCommand, RECONCILE_USAGE, type ReconcileCommandDeps } from "../../src/cli/reconcile-command.js";
import { UsageError } from "../../src/cli/usage-error.js";
import { intentKey } from "../../src/outbox/intent-key.js";
import type { NewIntent, OutboxStore } from "../../src/outbox/outbox-store.js";
import { startFhirSimulator, type FhirSimulator } from "../../src/testing/fhir/fhir-simulator.js";
import type { StoredResource } from "../../src/testing/fhir/fhir-store.js";
import { ROOT } from "../helpers/cli.js";
import { FHIR_CAPABILITY } from "../helpers/simulator.js";
import { MRN, mrn, sourcePatient, writeNdjson } from "./fixture.js";

let sim: FhirSimulator;
let dir: string;
/** 30 patients delivered; the server has all but M-00003 and M-00017, and M-00005 renamed. */
let partial: string;
let complete: string;

beforeAll(async () => {
  sim = await startFhirSimulator({ capability: FHIR_CAPABILITY });
  for (let n = 0; n < 30; n++) {
    if (n === 3 || n === 17) continue;
    const p = sourcePatient(n);
    sim.store.put({ ...(n === 5 ? { ...p, name: [{ family: "Renamed", given: ["Pat"] }] } : p), id: `p-${n}` } as unknown as StoredResource);
  }
  dir = await mkdtemp(path.join(tmpdir(), "reconcile-cli-"));
  partial = path.join(dir, "partial.ndjson");
  complete = path.join(dir, "complete.ndjson");
  await writeNdjson(partial, Array.from({ length: 30 }, (_, n) => sourcePatient(n)));
  await writeNdjson(complete, Array.from({ length: 30 }, (_, n) => sourcePatient(n)).filter((_, n) => n !== 3 && n !== 17 && n !== 5));
});
afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the command, collecting what it prints. */
async function run(args: readonly string[], deps: ReconcileCommandDeps = {}) {
  let stdout = "";
  let stderr = "";
  const code = await reconcileCommand(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), ...deps });
  return { code, stdout, stderr };
}

const base = (source: string) => ["--source", source, "--fhir", sim.url, "--type", "Patient", "--identifier-system", MRN, "--batch-size", "7"];

/** An outbox store that keeps intents in memory and, like the real ones, adds an idempotency key once. */
function fakeOutbox(): Pick<OutboxStore, "add" | "close"> & { intents: NewIntent[]; closed: boolean } {
  const intents: NewIntent[] = [];
  return {
    intents,
    closed: false,
    async add(batch) {
      return batch.map((intent) => {
        const existing = intents.find((i) => i.idempotencyKey === intent.idempotencyKey);
        if (existing) return { id: existing.id, added: false };
        intents.push(intent);
        return { id: intent.id, added: true };
      });
    },
    async close() {
      this.closed = true;
    },
  };
}

describe("carewire reconcile", () => {
  it("exits 0 when the server holds exactly the delivered records, and 1 for a record it has that the app never sent", async () => {
    // The server has 28; the complete file lists 27 of them: one extra (M-00005), nothing missing.
    const result = await run(base(complete));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("extra: M-00005");
    // Against only what the server has: in sync.
    const inSync = path.join(dir, "in-sync.ndjson");
    await writeNdjson(inSync, Array.from({ length: 30 }, (_, n) => n).filter((n) => n !== 3 && n !== 17).map((n) => (n === 5 ? { ...sourcePatient(5), name: [{ family: "Renamed", given: ["Pat"] }] } : sourcePatient(n))));
    const ok = await run(base(inSync));
    expect(ok.stdout).toContain("reconcile: in sync");
    expect(ok.code).toBe(0);
  });

  it("exits 1 with differences, as a short table or as JSON", async () => {
    const text = await run(base(partial));
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/matched\s+27/);
    expect(text.stdout).toContain("missing: M-00003, M-00017");
    expect(text.stdout).toContain("different: M-00005 (name[0].family)");
    expect(text.stdout).not.toContain("Renamed");

    const json = await run([...base(partial), "--json"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ missing: ["M-00003", "M-00017"], extra: [], different: [{ key: "M-00005", fields: ["name[0].family"] }], matched: 27, sourceCount: 30, targetCount: 28 });
  });

  it("hashes the keys with --hash-keys", async () => {
    const json = await run([...base(partial), "--json", "--hash-keys"]);
    const report = JSON.parse(json.stdout) as { missing: string[] };
    expect(report.missing).toHaveLength(2);
    expect(report.missing.every((k) => /^sha256:[0-9a-f]{64}$/.test(k))).toBe(true);
    expect(json.stdout).not.toContain("M-000");
  });

  it("refuses bad arguments as a UsageError (exit 2 from main)", async () => {
    expect(RECONCILE_USAGE).toContain("carewire reconcile --source");
    await expect(run(["--fhir", sim.url])).rejects.toBeInstanceOf(UsageError);
    await expect(run([...base(partial), "--repair"])).rejects.toThrow("--repair needs --outbox");
    await expect(run([...base(partial), "--outbox", "x.sqlite"])).rejects.toThrow("--outbox goes with --repair");
    await expect(run([...base(partial), "--batch-size", "0"])).rejects.toThrow("--batch-size");
    await expect(run(["--source", partial, "--fhir", "ftp://x", "--type", "Patient", "--identifier-system", MRN])).rejects.toThrow("--fhir needs");
    await expect(run([...base(partial), "--bogus"])).rejects.toBeInstanceOf(UsageError);
  });

  it("exits 2 for a source line that is not JSON, naming the line and nothing in it", async () => {
    const bad = path.join(dir, "bad.ndjson");
    await writeFile(bad, `${JSON.stringify(sourcePatient(0))}\n{"resourceType":"Patient","name":[{"family":"Doe"}\n`);
    const result = await run(base(bad));
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("carewire: reconcile: bad.ndjson line 2 is not JSON\n");
    expect((await run(base(path.join(dir, "absent.ndjson")))).code).toBe(2);
  });

  it("exits 3 when the server cannot be reached", async () => {
    const result = await run(["--source", partial, "--fhir", "http://127.0.0.1:9", "--type", "Patient", "--identifier-system", MRN]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("the FHIR server could not be read");
  });

  it("--repair enqueues each missing patient once as Patient.ensure, keyed by its identifier, however often it runs", async () => {
    const outbox = fakeOutbox();
    const deps = { openOutbox: async () => outbox };
    const first = await run([...base(partial), "--repair", "--outbox", path.join(dir, "outbox.sqlite")], deps);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain("repair: 2 missing record(s) enqueued as Patient.ensure");
    expect(outbox.closed).toBe(true);
    expect(outbox.intents.map((i) => ({ operation: i.operation, input: i.input, idempotencyKey: i.idempotencyKey }))).toEqual(
      [3, 17].map((n) => ({ operation: "Patient.ensure", input: sourcePatient(n) as unknown as NewIntent["input"], idempotencyKey: intentKey("fhir", "Patient.ensure", { businessKey: mrn(n) }) })),
    );
    const second = await run([...base(partial), "--repair", "--outbox", path.join(dir, "outbox.sqlite")], deps);
    expect(second.stdout).toContain("repair: 0 missing record(s) enqueued");
    expect(outbox.intents).toHaveLength(2);
  });

  it("--repair with the default outbox: the SQLite store when this build has it, else a clear refusal", async () => {
    const outboxFile = path.join(dir, "real-outbox.sqlite");
    const args = [...base(partial), "--repair", "--outbox", outboxFile];
    if (!existsSync(path.join(ROOT, "src/outbox/sqlite-outbox-store.ts"))) {
      await expect(run(args)).rejects.toThrow("--repair needs the SQLite outbox store");
      return;
    }
    expect((await run(args)).code).toBe(1);
    const { sqliteOutboxStore } = (await import(path.join(ROOT, "src/outbox/sqlite-outbox-store.ts"))) as { sqliteOutboxStore: (o: { path: string }) => OutboxStore | Promise<OutboxStore> };
    const store = await sqliteOutboxStore({ path: outboxFile });
    try {
      const listed = await store.list({ status: "pending", withBodies: true });
      expect(listed.map((i) => i.operation)).toEqual(["Patient.ensure", "Patient.ensure"]);
      expect(listed.map((i) => (i.input as unknown as Patient).identifier?.[0]?.value).sort()).toEqual(["M-00003", "M-00017"]);
    } finally {
      await store.close();
    }
  });
});
