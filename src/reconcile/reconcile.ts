/**
 * Reconciliation: delivery does not prove business completion. The app's own records (what
 * it believes it delivered) are read in batches, each batch is looked up on the provider by
 * business key and compared, and the provider is then listed to find records the app never
 * sent. Every batch is committed to a checkpoint with its results, so a run stopped at any
 * point (even by SIGKILL) resumes where it was and gives the report an uninterrupted run
 * gives.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openCheckpoint, type Checkpoint, type Phase } from "./checkpoint.js";
import { compareFields } from "./compare.js";
import { SourceError } from "./errors.js";
import { buildReport, type HashKeys, type ReconcileReport } from "./report.js";
import type { Compare, Key, KeyOf, ReconcileSource, ReconcileTarget } from "./types.js";

export interface ReconcileOptions<S, T> {
  /** The app's records, in the same order on every run (a resume skips the ones done). */
  readonly source: ReconcileSource<S>;
  readonly target: ReconcileTarget<T>;
  /** The business key of each side. Default: the target's `keyOf` for both (a FHIR source holds resources too). */
  readonly key?: { readonly source?: KeyOf<S>; readonly target?: KeyOf<T> };
  /** Default: every field of the source record but `id`, `meta` and `text`, compared deeply. */
  readonly compare?: Compare<S, T>;
  /**
   * A file for the run's state (SQLite). A run that finds one resumes from it, and removes it
   * once the report is made. Without it the state lives in a temporary file and an
   * interrupted run starts over.
   */
  readonly checkpoint?: string;
  /**
   * Called with each batch's missing source records before that batch is committed: after a
   * crash a batch may be handed over again, so the repair must be idempotent (the outbox's
   * idempotency keys make it so).
   */
  readonly repair?: (missing: readonly S[]) => Promise<void> | void;
  /** Replace keys in the report by their hash (keys may be identifiers of people). */
  readonly hashKeys?: HashKeys;
  /** Source records per batch (one lookup, one commit). Default: the target's batch size, else 100. */
  readonly batchSize?: number;
  /**
   * Names the key and compare settings in the checkpoint. Functions cannot be compared, so
   * change this when they change: a resume then refuses to mix the old results with new ones.
   */
  readonly settings?: string;
  /** After each commit (a progress line; tests stop a run at a known point). */
  readonly onProgress?: (progress: { readonly phase: Phase; readonly position: number }) => void | Promise<void>;
  /** For `durationMs`. Default Date.now. */
  readonly now?: () => number;
}

/** How many listed target keys go into one commit. */
const TARGET_KEYS_PER_COMMIT = 1_000;

export async function reconcile<S, T>(options: ReconcileOptions<S, T>): Promise<ReconcileReport> {
  const { source, target } = options;
  const targetKey: KeyOf<T> | undefined = options.key?.target ?? target.keyOf;
  const sourceKey: KeyOf<S> | undefined = options.key?.source ?? (targetKey as KeyOf<unknown> as KeyOf<S> | undefined);
  if (targetKey === undefined || sourceKey === undefined) throw new TypeError("reconcile needs a key for each side: key.source and key.target (the target gives none)");
  const compare: Compare<S, T> = options.compare ?? compareFields<S, T>();
  const batchSize = options.batchSize ?? target.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a whole number of at least 1, got ${batchSize}`);
  const now = options.now ?? Date.now;

  const scratch = options.checkpoint === undefined ? await mkdtemp(path.join(tmpdir(), "carewire-reconcile-")) : undefined;
  const file = options.checkpoint ?? path.join(scratch!, "state.sqlite");
  let checkpoint: Checkpoint | undefined;
  try {
    checkpoint = await openCheckpoint(file, { source: source.id ?? null, target: target.id, settings: options.settings ?? null });
    const cp = checkpoint;
    const startedAt = now();
    // Time spent by earlier runs on this checkpoint, and this one's.
    const before = cp.state.elapsedMs;
    const elapsed = () => before + (now() - startedAt);

    async function runBatch(records: readonly S[]): Promise<void> {
      const first = cp.state.position + 1;
      const seen = new Set<Key>();
      const fresh: Array<{ readonly key: Key; readonly record: S }> = [];
      const duplicates: Key[] = [];
      records.forEach((record, i) => {
        const key = sourceKey!(record);
        if (key === undefined || key === "") throw new SourceError(`source record ${first + i} has no business key`, first + i);
        if (seen.has(key) || cp.hasSourceKey(key)) duplicates.push(key);
        else {
          seen.add(key);
          fresh.push({ key, record });
        }
      });
      const found = fresh.length > 0 ? await target.lookup(fresh.map((f) => f.key)) : [];
      const byKey = new Map<Key, T>();
      let targetFound = 0;
      for (const record of found) {
        const key = targetKey!(record);
        // A server may answer more than was asked (a fuzzy match): only the keys asked for count.
        if (key === undefined || !seen.has(key)) continue;
        targetFound++;
        if (byKey.has(key)) duplicates.push(key);
        else byKey.set(key, record);
      }
      const missing: Key[] = [];
      const missingRecords: S[] = [];
      const different: Array<{ key: Key; fields: readonly string[] }> = [];
      let matched = 0;
      for (const { key, record } of fresh) {
        const other = byKey.get(key);
        if (other === undefined) {
          missing.push(key);
          missingRecords.push(record);
          continue;
        }
        const fields = compare(record, other);
        if (fields.length === 0) matched++;
        else different.push({ key, fields: [...fields] });
      }
      if (options.repair && missingRecords.length > 0) await options.repair(missingRecords);
      cp.commitBatch({ records: records.length, sourceKeys: fresh.map((f) => f.key), missing, different, duplicates, matched, targetFound, elapsedMs: elapsed() });
      await options.onProgress?.({ phase: "source", position: cp.state.position });
    }

    if (cp.state.phase === "source") {
      const skip = cp.state.position;
      let read = 0;
      let batch: S[] = [];
      for await (const record of source) {
        read++;
        if (read <= skip) continue;
        batch.push(record);
        if (batch.length >= batchSize) {
          await runBatch(batch);
          batch = [];
        }
      }
      if (batch.length > 0) await runBatch(batch);
      // Fewer records than the checkpoint has done: not the source it was made from.
      if (read < skip) throw new SourceError(`the source has ${read} records, fewer than the ${skip} the checkpoint has done`);
    }
    if (cp.state.phase !== "done") {
      // A listing cannot be resumed where it stopped (servers' paging links expire): an
      // interrupted one starts over, and what it had gathered is dropped.
      cp.beginTargetPass(elapsed());
      if (target.list) {
        let keys: Key[] = [];
        for await (const record of target.list()) {
          const key = targetKey(record);
          if (key === undefined) continue;
          keys.push(key);
          if (keys.length >= TARGET_KEYS_PER_COMMIT) {
            cp.addTargetKeys(keys);
            keys = [];
          }
        }
        cp.addTargetKeys(keys);
      }
      cp.finish(elapsed());
      await options.onProgress?.({ phase: "done", position: cp.state.position });
    }
    const report = buildReport(cp.results(), { sourceCount: cp.state.position, matched: cp.state.matched, targetFound: cp.state.targetFound, durationMs: cp.state.elapsedMs, extraChecked: target.list !== undefined }, options.hashKeys);
    cp.close();
    checkpoint = undefined;
    // The run is complete: a later run with the same file starts afresh.
    if (options.checkpoint !== undefined) await removeDatabase(options.checkpoint);
    return report;
  } finally {
    checkpoint?.close();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}

async function removeDatabase(file: string): Promise<void> {
  await Promise.all([file, `${file}-journal`].map((f) => rm(f, { force: true })));
}
