/**
 * A run's durable state in one SQLite file: how many source records are done, the results
 * so far, and the set of source keys (which the pass for extra records needs, and which
 * would not fit in memory at a million keys).
 *
 * Each batch commits in one transaction: its position and its results land together or not
 * at all, so a run killed at any instant resumes from the last whole batch and ends with the
 * report an uninterrupted run gives. SQLite's rollback journal with synchronous=FULL makes
 * that commit durable before `commitBatch` returns.
 */
import type BetterSqlite3 from "better-sqlite3";
import { openDurableSqlite } from "../outbox/durable-sqlite.js";
import { loadDriver } from "../outbox/load-driver.js";
import { CheckpointError, CheckpointMismatchError } from "./errors.js";
import type { Key } from "./types.js";

/** Bumped when the tables change: an old file is then refused rather than misread. */
const FORMAT = 1;

/** What a checkpoint belongs to; a resume with any part different is refused. */
export interface RunIdentity {
  readonly source: string | null;
  readonly target: string;
  readonly settings: string | null;
}

export type Phase = "source" | "target" | "done";

export interface CheckpointState {
  /** Source records done (read, compared and committed). */
  readonly position: number;
  readonly matched: number;
  /** Target records the lookups returned. */
  readonly targetFound: number;
  readonly phase: Phase;
  /** Time spent by every run so far, up to the last commit. */
  readonly elapsedMs: number;
}

/** One batch's results, committed with its position. */
export interface BatchResult {
  /** Source records read in the batch (duplicates included). */
  readonly records: number;
  /** Keys first seen in this batch. */
  readonly sourceKeys: readonly Key[];
  readonly missing: readonly Key[];
  readonly different: ReadonlyArray<{ readonly key: Key; readonly fields: readonly string[] }>;
  /** Keys seen again in the source, or on more than one target record. */
  readonly duplicates: readonly Key[];
  readonly matched: number;
  readonly targetFound: number;
  readonly elapsedMs: number;
}

export interface CheckpointResults {
  readonly missing: Key[];
  readonly different: Array<{ key: Key; fields: string[] }>;
  readonly duplicates: Key[];
  /** Listed target keys the source does not have (empty before the target pass). */
  readonly extra: Key[];
  /** Target records the listing yielded. */
  readonly targetListed: number;
}

export interface Checkpoint {
  readonly state: CheckpointState;
  /** Whether an earlier batch (committed) already had this source key. */
  hasSourceKey(key: Key): boolean;
  commitBatch(batch: BatchResult): void;
  /** Starts (or starts again) the listing of the target: what an interrupted listing had gathered is dropped. */
  beginTargetPass(elapsedMs: number): void;
  addTargetKeys(keys: readonly Key[]): void;
  finish(elapsedMs: number): void;
  results(): CheckpointResults;
  close(): void;
}

type Database = BetterSqlite3.Database;

/** The SQLite driver, loaded as the outbox loads it (an optional peer dependency), with reconciliation's own error. */
function loadSqlite(): typeof BetterSqlite3 {
  try {
    return loadDriver<typeof BetterSqlite3>("better-sqlite3");
  } catch (error) {
    throw new CheckpointError('reconciliation keeps its state in SQLite and needs the "better-sqlite3" package: npm install better-sqlite3@12', { cause: error });
  }
}

/** Opens (creating if need be) the checkpoint at `file` for this run; refuses one written for another. */
export async function openCheckpoint(file: string, identity: RunIdentity): Promise<Checkpoint> {
  const Driver = loadSqlite();
  let db: Database;
  try {
    db = openDurableSqlite(Driver, file, `
      CREATE TABLE IF NOT EXISTS run (
        one INTEGER PRIMARY KEY CHECK (one = 1),
        format INTEGER NOT NULL, source TEXT, target TEXT NOT NULL, settings TEXT,
        position INTEGER NOT NULL, matched INTEGER NOT NULL, target_found INTEGER NOT NULL,
        phase TEXT NOT NULL, elapsed_ms INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS source_keys (key TEXT PRIMARY KEY) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS missing (key TEXT PRIMARY KEY) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS different (key TEXT PRIMARY KEY, fields TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS duplicates (key TEXT PRIMARY KEY) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS target_keys (key TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
    `);
  } catch (error) {
    throw new CheckpointError(`cannot use ${file} as a checkpoint: ${(error as Error).message}`, { cause: error });
  }
  try {
    return checkpointOn(db, identity);
  } catch (error) {
    db.close();
    throw error;
  }
}

interface RunRow {
  format: number;
  source: string | null;
  target: string;
  settings: string | null;
  position: number;
  matched: number;
  target_found: number;
  phase: Phase;
  elapsed_ms: number;
}

function checkpointOn(db: Database, identity: RunIdentity): Checkpoint {
  let row = db.prepare("SELECT * FROM run WHERE one = 1").get() as RunRow | undefined;
  if (row === undefined) {
    db.prepare("INSERT INTO run VALUES (1, ?, ?, ?, ?, 0, 0, 0, 'source', 0)").run(FORMAT, identity.source, identity.target, identity.settings);
    row = db.prepare("SELECT * FROM run WHERE one = 1").get() as RunRow;
  }
  const differs: Array<"source" | "target" | "settings" | "format"> = [];
  if (row.format !== FORMAT) differs.push("format");
  if (row.source !== identity.source) differs.push("source");
  if (row.target !== identity.target) differs.push("target");
  if (row.settings !== identity.settings) differs.push("settings");
  if (differs.length > 0) throw new CheckpointMismatchError(differs);

  let state: CheckpointState = { position: row.position, matched: row.matched, targetFound: row.target_found, phase: row.phase, elapsedMs: row.elapsed_ms };
  const hasKey = db.prepare("SELECT 1 FROM source_keys WHERE key = ?").pluck();
  // Plain INSERTs, not OR IGNORE: a key committed twice is a bug, and failing makes the whole batch roll back.
  const insertKey = db.prepare("INSERT INTO source_keys (key) VALUES (?)");
  const insertMissing = db.prepare("INSERT INTO missing (key) VALUES (?)");
  const insertDifferent = db.prepare("INSERT INTO different (key, fields) VALUES (?, ?)");
  const insertDuplicate = db.prepare("INSERT OR IGNORE INTO duplicates (key) VALUES (?)");
  const countTarget = db.prepare("INSERT INTO target_keys (key, n) VALUES (?, 1) ON CONFLICT (key) DO UPDATE SET n = n + 1");
  const saveState = db.prepare("UPDATE run SET position = ?, matched = ?, target_found = ?, phase = ?, elapsed_ms = ? WHERE one = 1");
  const save = (next: CheckpointState) => {
    saveState.run(next.position, next.matched, next.targetFound, next.phase, next.elapsedMs);
  };

  const commitBatch = db.transaction((batch: BatchResult) => {
    for (const key of batch.sourceKeys) insertKey.run(key);
    for (const key of batch.missing) insertMissing.run(key);
    for (const d of batch.different) insertDifferent.run(d.key, JSON.stringify(d.fields));
    for (const key of batch.duplicates) insertDuplicate.run(key);
    const next: CheckpointState = { ...state, position: state.position + batch.records, matched: state.matched + batch.matched, targetFound: state.targetFound + batch.targetFound, elapsedMs: batch.elapsedMs };
    save(next);
    return next;
  });
  const beginTargetPass = db.transaction((elapsedMs: number) => {
    db.prepare("DELETE FROM target_keys").run();
    const next: CheckpointState = { ...state, phase: "target", elapsedMs };
    save(next);
    return next;
  });
  const addTargetKeys = db.transaction((keys: readonly Key[]) => {
    for (const key of keys) countTarget.run(key);
  });

  return {
    get state() {
      return state;
    },
    hasSourceKey: (key) => hasKey.get(key) !== undefined,
    commitBatch(batch) {
      state = commitBatch(batch);
    },
    beginTargetPass(elapsedMs) {
      state = beginTargetPass(elapsedMs);
    },
    addTargetKeys(keys) {
      addTargetKeys(keys);
    },
    finish(elapsedMs) {
      const next: CheckpointState = { ...state, phase: "done", elapsedMs };
      save(next);
      state = next;
    },
    results() {
      const keys = (sql: string) => db.prepare(sql).pluck().all() as Key[];
      return {
        missing: keys("SELECT key FROM missing ORDER BY key"),
        different: (db.prepare("SELECT key, fields FROM different ORDER BY key").all() as Array<{ key: Key; fields: string }>).map((d) => ({ key: d.key, fields: JSON.parse(d.fields) as string[] })),
        duplicates: keys("SELECT key FROM duplicates UNION SELECT key FROM target_keys WHERE n > 1 ORDER BY key"),
        extra: keys("SELECT key FROM target_keys t WHERE NOT EXISTS (SELECT 1 FROM source_keys s WHERE s.key = t.key) ORDER BY key"),
        targetListed: (db.prepare("SELECT COALESCE(SUM(n), 0) FROM target_keys").pluck().get() as number) ?? 0,
      };
    },
    close: () => void db.close(),
  };
}
