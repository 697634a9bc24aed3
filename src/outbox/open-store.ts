/**
 * An outbox store named by one string, for the CLI and for apps configured from the
 * environment (`CAREWIRE_OUTBOX_URL`): `sqlite:<file>` (or a path ending in .db/.sqlite) or
 * `postgres://…`. Each store's module, and its driver, is loaded only when named.
 */
import { OutboxInputError, OutboxStoreError } from "./errors.js";
import type { OutboxStore } from "./outbox-store.js";

export const OUTBOX_URL_VARIABLE = "CAREWIRE_OUTBOX_URL";

export interface OpenOutboxOptions {
  /** Only an outbox that exists: a SQLite file that is not there is refused, not created empty (a mistyped path in a report). */
  readonly existing?: boolean;
}

export async function openOutboxStore(url: string, options: OpenOutboxOptions = {}): Promise<OutboxStore> {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const { postgresOutboxStore } = await import("./postgres-outbox-store.js");
    return postgresOutboxStore({ connectionString: url });
  }
  const sqlitePath = url.startsWith("sqlite:") ? url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "") : /\.(db|sqlite3?)$/i.test(url) ? url : undefined;
  if (sqlitePath === undefined || sqlitePath === "") throw new OutboxInputError(`an outbox store is sqlite:<file> or postgres://…, got "${url.slice(0, 100)}"`);
  if (options.existing === true && sqlitePath !== ":memory:") {
    const { existsSync } = await import("node:fs");
    if (!existsSync(sqlitePath)) throw new OutboxStoreError(`no outbox at ${sqlitePath.slice(0, 200)}: the file does not exist`);
  }
  const { sqliteOutboxStore } = await import("./sqlite-outbox-store.js");
  return sqliteOutboxStore({ path: sqlitePath });
}
