/**
 * A small SQLite file whose writes must survive a crash once they return: a rollback journal
 * and synchronous=FULL, the schema made if absent. Checkpoints (paging, polling, FHIR
 * Subscriptions, reconciliation) keep their state this way; the outbox and the webhook
 * inbox use WAL and group commits instead, for throughput. The driver's errors pass through:
 * each caller turns them into its own typed error.
 */
import type BetterSqlite3 from "better-sqlite3";

export function openDurableSqlite(Driver: typeof BetterSqlite3, file: string, schema: string): BetterSqlite3.Database {
  const db = new Driver(file);
  try {
    db.pragma("journal_mode = DELETE");
    db.pragma("synchronous = FULL");
    db.exec(schema);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
