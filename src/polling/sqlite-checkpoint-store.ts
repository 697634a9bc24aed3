/**
 * Poll checkpoints in a SQLite file, one row per target, written with synchronous=FULL:
 * once `save` resolves, a crash of the process or the machine keeps it. The driver is the
 * optional better-sqlite3 peer, loaded as the outbox loads it.
 */
import type BetterSqlite3 from "better-sqlite3";
import { loadDriver } from "../outbox/load-driver.js";
import { readCheckpoint, writeCheckpoint, type PollCheckpointStore } from "./checkpoint-store.js";
import { PollCheckpointError } from "./errors.js";

/** Opens (creating if need be) the checkpoints kept in `file`. */
export function sqlitePollCheckpointStore(file: string): PollCheckpointStore {
  let Driver: typeof BetterSqlite3;
  try {
    Driver = loadDriver<typeof BetterSqlite3>("better-sqlite3");
  } catch (error) {
    throw new PollCheckpointError('a SQLite checkpoint store needs the "better-sqlite3" package: npm install better-sqlite3@12', { cause: error });
  }
  let db: BetterSqlite3.Database;
  try {
    db = new Driver(file);
    db.pragma("journal_mode = DELETE");
    db.pragma("synchronous = FULL");
    db.exec("CREATE TABLE IF NOT EXISTS poll_checkpoints (key TEXT PRIMARY KEY, checkpoint TEXT NOT NULL) WITHOUT ROWID");
  } catch (error) {
    throw new PollCheckpointError(`cannot keep poll checkpoints in ${file}: ${(error as Error).message}`, { cause: error });
  }
  const select = db.prepare("SELECT checkpoint FROM poll_checkpoints WHERE key = ?").pluck();
  const upsert = db.prepare("INSERT INTO poll_checkpoints (key, checkpoint) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET checkpoint = excluded.checkpoint");
  const remove = db.prepare("DELETE FROM poll_checkpoints WHERE key = ?");
  /** A driver's failure (disk full, file locked) as the store's typed error. */
  const guarded = <T>(what: string, work: () => T): T => {
    try {
      return work();
    } catch (error) {
      if (error instanceof PollCheckpointError) throw error;
      throw new PollCheckpointError(`cannot ${what} a poll checkpoint in ${file}: ${(error as Error).message}`, { cause: error });
    }
  };
  return {
    load: async (key) =>
      guarded("read", () => {
        const text = select.get(key) as string | undefined;
        return text === undefined ? undefined : readCheckpoint(key, text);
      }),
    save: async (key, checkpoint) => void guarded("write", () => upsert.run(key, writeCheckpoint(checkpoint))),
    clear: async (key) => void guarded("clear", () => remove.run(key)),
    close: async () => void db.close(),
  };
}
