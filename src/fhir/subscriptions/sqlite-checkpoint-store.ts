/**
 * Subscription positions in a SQLite file, written with synchronous=FULL: once `save`
 * returns, a crash keeps the position. better-sqlite3 is an optional peer, loaded lazily.
 */
import type BetterSqlite3 from "better-sqlite3";
import { openDurableSqlite, sqlitePathOf, type SqliteLocation } from "../../outbox/durable-sqlite.js";
import { loadDriver } from "../../outbox/load-driver.js";
import { checkPosition, positionFromRow, type SubscriptionCheckpointStore } from "./checkpoint-store.js";
import { SubscriptionCheckpointError } from "./errors.js";

/** Opens (creating if need be) the positions kept in the file (`{ path }`, or the path alone). */
export function sqliteSubscriptionCheckpoint(location: SqliteLocation): SubscriptionCheckpointStore {
  const file = sqlitePathOf(location);
  if (file === undefined) throw new SubscriptionCheckpointError("sqliteSubscriptionCheckpoint needs a file: { path } or the path");
  let db: BetterSqlite3.Database;
  try {
    // better-sqlite3 waits up to 5 s on a file another process holds (its default timeout).
    db = openDurableSqlite(loadDriver<typeof BetterSqlite3>("better-sqlite3"), file, "CREATE TABLE IF NOT EXISTS subscription_positions (subscription TEXT PRIMARY KEY, event_number INTEGER NOT NULL, timestamp TEXT) WITHOUT ROWID");
  } catch (error) {
    throw new SubscriptionCheckpointError("cannot open the SQLite subscription checkpoint", { cause: error });
  }
  const select = db.prepare("SELECT event_number, timestamp FROM subscription_positions WHERE subscription = ?");
  // Only forward: an instance that lags behind another never moves the position back.
  const upsert = db.prepare(
    "INSERT INTO subscription_positions (subscription, event_number, timestamp) VALUES (?, ?, ?) ON CONFLICT (subscription) DO UPDATE SET event_number = excluded.event_number, timestamp = excluded.timestamp WHERE excluded.event_number >= subscription_positions.event_number",
  );
  const guarded = <T>(work: () => T): T => {
    try {
      return work();
    } catch (error) {
      if (error instanceof SubscriptionCheckpointError) throw error;
      throw new SubscriptionCheckpointError("the SQLite subscription checkpoint failed", { cause: error });
    }
  };
  return {
    load: async (key) =>
      guarded(() => {
        const row = select.get(key) as { event_number: number; timestamp: string | null } | undefined;
        return row && positionFromRow(row.event_number, row.timestamp);
      }),
    save: async (key, position) => {
      checkPosition(position);
      guarded(() => upsert.run(key, position.eventNumber, position.timestamp ?? null));
    },
    close: async () => void db.close(),
  };
}
