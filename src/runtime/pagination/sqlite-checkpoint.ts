/**
 * Paging positions in a SQLite file, one row per iteration name, written with
 * synchronous=FULL: once `save` returns, a crash of the process (or of the machine) keeps
 * the position. The driver is the optional better-sqlite3 peer, loaded as the outbox loads it.
 */
import type BetterSqlite3 from "better-sqlite3";
import { InvalidRequestError } from "../core/errors.js";
import { openDurableSqlite } from "../../outbox/durable-sqlite.js";
import { loadDriver } from "../../outbox/load-driver.js";
import { parsePosition, type PagingCheckpoint } from "./checkpoint.js";

export interface SqlitePagingCheckpoint extends PagingCheckpoint {
  close(): void;
}

/** Opens (creating if need be) the paging checkpoints kept in `file`. */
export function sqlitePagingCheckpoint(file: string): SqlitePagingCheckpoint {
  let Driver: typeof BetterSqlite3;
  try {
    Driver = loadDriver<typeof BetterSqlite3>("better-sqlite3");
  } catch (error) {
    throw new InvalidRequestError('a SQLite paging checkpoint needs the "better-sqlite3" package: npm install better-sqlite3@12', { cause: error });
  }
  let db: BetterSqlite3.Database;
  try {
    db = openDurableSqlite(Driver, file, "CREATE TABLE IF NOT EXISTS paging_positions (name TEXT PRIMARY KEY, position TEXT NOT NULL) WITHOUT ROWID");
  } catch (error) {
    throw new InvalidRequestError(`cannot keep paging checkpoints in ${file}: ${(error as Error).message}`, { cause: error });
  }
  const select = db.prepare("SELECT position FROM paging_positions WHERE name = ?").pluck();
  const upsert = db.prepare("INSERT INTO paging_positions (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position");
  const remove = db.prepare("DELETE FROM paging_positions WHERE name = ?");
  return {
    async load(name) {
      const text = select.get(name) as string | undefined;
      if (text === undefined) return undefined;
      const position = parsePosition(text);
      if (position === undefined) throw new InvalidRequestError(`the paging checkpoint "${name}" in ${file} is damaged; clear it to start over`);
      return position;
    },
    save: async (name, position) => void upsert.run(name, JSON.stringify(position)),
    clear: async (name) => void remove.run(name),
    close: () => void db.close(),
  };
}
