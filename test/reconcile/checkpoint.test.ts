/**
 * The checkpoint: a batch commits with its results or not at all, a resume goes on from the
 * last whole batch to the same report, and a checkpoint made for another run is refused.
 */
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { arraySource, CheckpointError, CheckpointMismatchError, openCheckpoint, reconcile, type ReconcileReport } from "../../src/reconcile/index.js";
import { memoryTarget, type Row } from "./memory-target.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "reconcile-checkpoint-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const identity = { source: "s", target: "t", settings: null };
const row = (n: number, name = `N${n}`): Row => ({ mrn: `M-${n}`, name });
const source = Array.from({ length: 9 }, (_, n) => row(n));
// M-2 and M-5 missing, M-4 renamed, X-1 extra.
const provider = [...source.filter((r) => r.mrn !== "M-2" && r.mrn !== "M-5").map((r) => (r.mrn === "M-4" ? row(4, "Other") : r)), { mrn: "X-1", name: "x" }];
const withoutTime = ({ durationMs: _, ...rest }: ReconcileReport) => rest;

describe("the checkpoint file", () => {
  it("commits a batch whole or not at all: a batch that fails part-way leaves the one before it", async () => {
    const file = path.join(dir, "atomic.sqlite");
    const cp = await openCheckpoint(file, identity);
    cp.commitBatch({ records: 2, sourceKeys: ["a", "b"], missing: ["a"], different: [], duplicates: [], matched: 1, targetFound: 1, elapsedMs: 5 });
    // "c" goes in, then "a" again breaks the key set's uniqueness: the whole batch must go.
    expect(() => cp.commitBatch({ records: 2, sourceKeys: ["c", "a"], missing: ["c"], different: [{ key: "a", fields: ["name"] }], duplicates: [], matched: 0, targetFound: 1, elapsedMs: 9 })).toThrow();
    cp.close();

    const reopened = await openCheckpoint(file, identity);
    expect(reopened.state).toEqual({ position: 2, matched: 1, targetFound: 1, phase: "source", elapsedMs: 5 });
    expect(reopened.hasSourceKey("c")).toBe(false);
    expect(reopened.results()).toMatchObject({ missing: ["a"], different: [] });
    reopened.close();
  });

  it("refuses to resume for another source, target or settings, naming which, and leaves the file as it was", async () => {
    const file = path.join(dir, "mine.sqlite");
    const cp = await openCheckpoint(file, identity);
    cp.commitBatch({ records: 1, sourceKeys: ["a"], missing: [], different: [], duplicates: [], matched: 1, targetFound: 1, elapsedMs: 1 });
    cp.close();
    await expect(openCheckpoint(file, { ...identity, source: "other" })).rejects.toMatchObject({ kind: "reconcile-checkpoint-mismatch", differs: ["source"] });
    await expect(openCheckpoint(file, { source: "x", target: "y", settings: "z" })).rejects.toMatchObject({ differs: ["source", "target", "settings"] });
    const again = await openCheckpoint(file, identity);
    expect(again.state.position).toBe(1);
    again.close();
  });

  it("refuses a file that is not a checkpoint, as a typed error", async () => {
    const file = path.join(dir, "notes.txt");
    await writeFile(file, "this is not a database, just some text that is long enough to have a header....................................................");
    await expect(openCheckpoint(file, identity)).rejects.toBeInstanceOf(CheckpointError);
  });
});

describe("resuming a reconcile run", () => {
  it("goes on from the last committed batch after a failure and gives the uninterrupted run's report", async () => {
    const whole = await reconcile({ source: arraySource(source), target: memoryTarget(provider) });
    expect(withoutTime(whole)).toEqual({
      missing: ["M-2", "M-5"],
      extra: ["X-1"],
      different: [{ key: "M-4", fields: ["name"] }],
      matched: 6,
      sourceCount: 9,
      targetCount: 8,
      duplicates: [],
      extraChecked: true,
    });

    const checkpoint = path.join(dir, "run.sqlite");
    const repaired: string[] = [];
    const repair = (missing: readonly Row[]) => void repaired.push(...missing.map((r) => r.mrn));
    // Batches of two: the third lookup fails, after two batches (four records) committed.
    await expect(reconcile({ source: arraySource(source), target: memoryTarget(provider, { failOnLookup: 3 }), checkpoint, repair })).rejects.toThrow("the provider went away");
    expect(existsSync(checkpoint)).toBe(true);

    const target = memoryTarget(provider);
    const resumed = await reconcile({ source: arraySource(source), target, checkpoint, repair });
    expect(withoutTime(resumed)).toEqual(withoutTime(whole));
    expect(target.lookups).toBe(3); // records 5–9 only
    expect(repaired).toEqual(["M-2", "M-5"]);
    expect(existsSync(checkpoint)).toBe(false);
  });

  it("refuses to resume with another source rather than mixing two runs", async () => {
    const checkpoint = path.join(dir, "run.sqlite");
    await expect(reconcile({ source: arraySource(source), target: memoryTarget(provider, { failOnLookup: 2 }), checkpoint })).rejects.toThrow("the provider went away");
    const changed = source.map((r) => (r.mrn === "M-0" ? row(0, "Edited") : r));
    await expect(reconcile({ source: arraySource(changed), target: memoryTarget(provider), checkpoint })).rejects.toBeInstanceOf(CheckpointMismatchError);
    await expect(reconcile({ source: arraySource(source), target: memoryTarget(provider, { id: "elsewhere" }), checkpoint })).rejects.toMatchObject({ differs: ["target"] });
    await expect(reconcile({ source: arraySource(source), target: memoryTarget(provider), checkpoint, settings: "compare v2" })).rejects.toMatchObject({ differs: ["settings"] });
    // The right run still resumes.
    const resumed = await reconcile({ source: arraySource(source), target: memoryTarget(provider), checkpoint });
    expect(resumed.missing).toEqual(["M-2", "M-5"]);
  });
});
