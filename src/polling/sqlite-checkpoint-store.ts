/**
 * Poll checkpoints in a SQLite file, one row per target, written with synchronous=FULL:
 * once `save` resolves, a crash of the process or the machine keeps it. The driver is the
 * optional better-sqlite3 peer, loaded as the outbox loads it. Every driver failure (no
 * driver, a locked or full disk) becomes a PollCheckpointError naming the file.
 */
import type BetterSqlite3 from "better-sqlite3";
import { openDurableSqlite, sqlitePathOf, type SqliteLocation } from "../outbox/durable-sqlite.js";
import { loadDriver } from "../outbox/load-driver.js";
import { readCheckpoint, writeCheckpoint, type PollCheckpointStore } from "./checkpoint-store.js";
import { PollCheckpointError } from "./errors.js";

const SCHEMA = "CREATE TABLE IF NOT EXISTS poll_checkpoints (key TEXT PRIMARY KEY, checkpoint TEXT NOT NULL) WITHOUT ROWID";

/** Opens (creating if need be) the checkpoints kept in the file (`{ path }`, or the path alone). */
export function sqlitePollCheckpointStore(location: SqliteLocation): PollCheckpointStore {
  const file = sqlitePathOf(location);
  if (file === undefined) throw new PollCheckpointError("sqlitePollCheckpointStore needs a file: { path } or the path");
  const guarded = <T>(what: string, work: () => T): T => {
    try {
      return work();
    } catch (error) {
      if (error instanceof PollCheckpointError) throw error;
      throw new PollCheckpointError(`cannot ${what} poll checkpoints in ${file}: ${(error as Error).message}`, { cause: error });
    }
  };
  const Driver = guarded("keep", () => loadDriver<typeof BetterSqlite3>("better-sqlite3"));
  const db = guarded("open", () => openDurableSqlite(Driver, file, SCHEMA));
  const sql = {
    select: db.prepare("SELECT checkpoint FROM poll_checkpoints WHERE key = ?").pluck(),
    upsert: db.prepare("INSERT INTO poll_checkpoints (key, checkpoint) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET checkpoint = excluded.checkpoint"),
    remove: db.prepare("DELETE FROM poll_checkpoints WHERE key = ?"),
  };
  return {
    load: async (key) =>
      guarded("read", () => {
        const text = sql.select.get(key) as string | undefined;
        return text === undefined ? undefined : readCheckpoint(key, text);
      }),
    save: async (key, checkpoint) => void guarded("write", () => sql.upsert.run(key, writeCheckpoint(checkpoint))),
    clear: async (key) => void guarded("clear", () => sql.remove.run(key)),
    close: async () => void db.close(),
  };
}
