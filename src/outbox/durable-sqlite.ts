/**
 * A small SQLite file whose writes must survive a crash once they return: a rollback journal
 * and synchronous=FULL, the schema made if absent. Checkpoints (paging, polling, FHIR
 * Subscriptions, reconciliation) keep their state this way; the outbox and the webhook
 * inbox use WAL and group commits instead, for throughput. The driver's errors pass through:
 * each caller turns them into its own typed error.
 */

/** What is asked of the driver's database, spelled out so these declarations compile without better-sqlite3's types (an optional peer). */
interface SqliteFile {
  pragma(source: string): unknown;
  exec(source: string): unknown;
  close(): unknown;
}

export function openDurableSqlite<Database extends SqliteFile>(Driver: new (file: string) => Database, file: string, schema: string): Database {
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

/**
 * Where a SQLite store keeps its file, as every store takes it: `{ path }`, as the outbox and
 * the webhook inbox do, or the path alone. Undefined for anything else (the caller refuses it
 * with its own typed error).
 */
export type SqliteLocation = string | { readonly path: string };

export function sqlitePathOf(location: unknown): string | undefined {
  const path = typeof location === "string" ? location : typeof location === "object" && location !== null ? (location as { path?: unknown }).path : undefined;
  return typeof path === "string" && path !== "" ? path : undefined;
}
