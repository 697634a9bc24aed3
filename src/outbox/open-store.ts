/**
 * An outbox store named by one string, for the CLI and for apps configured from the
 * environment (`CAREWIRE_OUTBOX_URL`): `sqlite:<file>` (or a path ending in .db/.sqlite) or
 * `postgres://…`. Each store's module, and its driver, is loaded only when named.
 */
import { OutboxInputError } from "./errors.js";
import type { OutboxStore } from "./outbox-store.js";

export const OUTBOX_URL_VARIABLE = "CAREWIRE_OUTBOX_URL";

export async function openOutboxStore(url: string): Promise<OutboxStore> {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const { postgresOutboxStore } = await import("./postgres-outbox-store.js");
    return postgresOutboxStore({ connectionString: url });
  }
  const sqlitePath = url.startsWith("sqlite:") ? url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "") : /\.(db|sqlite3?)$/i.test(url) ? url : undefined;
  if (sqlitePath === undefined || sqlitePath === "") throw new OutboxInputError(`an outbox store is sqlite:<file> or postgres://…, got "${url.slice(0, 100)}"`);
  const { sqliteOutboxStore } = await import("./sqlite-outbox-store.js");
  return sqliteOutboxStore({ path: sqlitePath });
}
