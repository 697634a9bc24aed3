/** The reconciler's edges: duplicates, records without a key, a target that cannot be listed, an interrupted listing, hashed keys, the text table. */
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { arraySource, formatReport, keyHasher, operationTarget, outboxRepair, reconcile, SourceError, type ReconcileReport } from "../../src/reconcile/index.js";
import { intentKey } from "../../src/outbox/intent-key.js";
import type { NewIntent } from "../../src/outbox/outbox-store.js";
import { memoryTarget, type Row } from "./memory-target.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "reconcile-engine-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const row = (mrn: string, name = "n"): Row => ({ mrn, name });
const withoutTime = ({ durationMs: _, ...rest }: ReconcileReport) => rest;

describe("reconcile", () => {
  it("compares a key found twice (in the source, or on the provider) once, and lists it as a duplicate", async () => {
    const report = await reconcile({ source: arraySource([row("A"), row("B"), row("A", "again"), row("C")]), target: memoryTarget([row("A"), row("B"), row("B", "twin"), row("C")]) });
    expect(withoutTime(report)).toEqual({ missing: [], extra: [], different: [], matched: 3, sourceCount: 4, targetCount: 4, duplicates: ["A", "B"], extraChecked: true });
  });

  it("stops at a source record with no business key, naming its number", async () => {
    const run = reconcile({ source: arraySource([row("A"), row("B"), row("")]), target: memoryTarget([]) });
    await expect(run).rejects.toBeInstanceOf(SourceError);
    await expect(run).rejects.toMatchObject({ line: 3, message: "source record 3 has no business key" });
  });

  it("says extra records were not checked when the target cannot be listed", async () => {
    const report = await reconcile({ source: arraySource([row("A")]), target: memoryTarget([row("A"), row("Z")], { list: false }) });
    expect(report).toMatchObject({ extra: [], extraChecked: false, targetCount: 1, matched: 1 });
    expect(formatReport(report)).toMatch(/extra\s+not checked/);
  });

  it("lists the target again from the start after an interrupted listing, counting nothing twice", async () => {
    const rows = [row("A"), row("B"), row("X"), row("Y")];
    const checkpoint = path.join(dir, "list.sqlite");
    let listed = 0;
    const failing = operationTarget<Row>({
      id: "memory",
      key: (r) => r.mrn,
      lookup: async (keys) => rows.filter((r) => keys.includes(r.mrn)),
      async *list() {
        for (const r of rows) {
          if (++listed === 3) throw new Error("paging broke");
          yield r;
        }
      },
    });
    const source = arraySource([row("A"), row("B")]);
    await expect(reconcile({ source, target: failing, checkpoint })).rejects.toThrow("paging broke");
    const resumed = await reconcile({ source, target: memoryTarget(rows), checkpoint });
    expect(withoutTime(resumed)).toEqual({ missing: [], extra: ["X", "Y"], different: [], matched: 2, sourceCount: 2, targetCount: 4, duplicates: [], extraChecked: true });
  });

  it("hashes keys on request, with a secret when given, and keeps the report's shape", async () => {
    const hashed = await reconcile({ source: arraySource([row("A"), row("M")]), target: memoryTarget([row("A", "other"), row("X")]), hashKeys: { secret: "s3cret" } });
    const hash = keyHasher({ secret: "s3cret" });
    expect(hashed.missing).toEqual([hash("M")]);
    expect(hashed.extra).toEqual([hash("X")]);
    expect(hashed.different).toEqual([{ key: hash("A"), fields: ["name"] }]);
    expect(hash("M")).toMatch(/^hmac:[0-9a-f]{64}$/);
    expect(keyHasher(true)("M")).not.toBe(hash("M"));
    expect(JSON.stringify(hashed)).not.toMatch(/"[AMX]"/);
  });

  it("writes a short text table with the first keys of each list", () => {
    const report: ReconcileReport = { missing: Array.from({ length: 12 }, (_, i) => `M-${i}`), extra: ["X-1"], different: [{ key: "D-1", fields: ["birthDate"] }], matched: 5, sourceCount: 18, targetCount: 7, durationMs: 1_500, duplicates: [], extraChecked: true };
    expect(formatReport(report)).toBe(
      [
        "reconcile: differences found (1.5 s)",
        "  source records          18",
        "  target records           7",
        "  matched                  5",
        "  missing                 12",
        "  extra                    1",
        "  different                1",
        "  duplicates               0",
        "missing: M-0, M-1, M-2, M-3, M-4, M-5, M-6, M-7, M-8, M-9 … and 2 more",
        "extra: X-1",
        "different: D-1 (birthDate)",
      ].join("\n"),
    );
  });
});

describe("outboxRepair", () => {
  it("enqueues each record with the idempotency key a direct call with the same business key sends, due now", async () => {
    const added: Array<{ intents: readonly NewIntent[]; now: number }> = [];
    const repair = outboxRepair<Row>({ add: async (intents, now) => (added.push({ intents, now }), intents.map((i) => ({ id: i.id, added: true }))) }, { provider: "fhir", operation: "Patient.ensure", key: (r) => r.mrn, now: () => 1_000, tenant: "clinic-a" });
    await repair([row("M-1"), row("M-2")]);
    await repair([]);
    expect(added).toHaveLength(1);
    expect(added[0]!.now).toBe(1_000);
    expect(added[0]!.intents.map(({ id: _, ...rest }) => rest)).toEqual([
      { operation: "Patient.ensure", input: row("M-1"), idempotencyKey: intentKey("fhir", "Patient.ensure", { businessKey: "M-1" }), notBefore: 1_000, tenant: "clinic-a" },
      { operation: "Patient.ensure", input: row("M-2"), idempotencyKey: intentKey("fhir", "Patient.ensure", { businessKey: "M-2" }), notBefore: 1_000, tenant: "clinic-a" },
    ]);
  });
});
