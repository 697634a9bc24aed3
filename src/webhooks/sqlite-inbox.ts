/**
 * The inbox in a SQLite file (better-sqlite3), for an app on one host; several processes
 * may share the file, and it may be the outbox's own file (a table of its own). An accept
 * is synced to disk before it resolves (WAL, synchronous=FULL), with accepts arriving
 * together sharing one fsync, as the outbox's adds do. Leases and settles commit without
 * their own fsync: losing one to a power cut only hands an event out once more.
 */
import type BetterSqlite3 from "better-sqlite3";
import { groupCommit } from "../outbox/group-commit.js";
import { loadDriver } from "../outbox/load-driver.js";
import { sqliteOutboxStore } from "../outbox/sqlite-outbox-store.js";
import { WebhookInboxError } from "./errors.js";
import { checkEntry, checkLimit, checkTime, checkWorker, errorText, storeCall, type InboxEntry, type InboxStatus, type WebhookInbox } from "./inbox.js";
import { insertIntentSql, intentValues, OUTBOX_TABLES, type OutboxIntake } from "./outbox-intake.js";
import { INBOX_COLUMNS, recordOfRow, type InboxRow } from "./inbox-rows.js";

export interface SqliteInboxOptions {
  /** The database file (created if absent); may be the outbox's. */
  readonly path: string;
  /** How long a write waits for another process holding the file's write lock, ms. Default 5,000. */
  readonly busyTimeoutMs?: number;
  /** Turn accepted events into outbox intents in the same transaction (the outbox's tables in this file). */
  readonly outbox?: OutboxIntake;
}

const TABLE = "carewire_webhook_inbox";
const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${TABLE} (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  type TEXT,
  timestamp INTEGER,
  raw TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'handled', 'dead')),
  received_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  not_before INTEGER NOT NULL,
  last_error TEXT,
  lease TEXT,
  lease_until INTEGER
);
CREATE INDEX IF NOT EXISTS ${TABLE}_due ON ${TABLE} (not_before, seq) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS ${TABLE}_updated ON ${TABLE} (status, updated_at);
`;
const SETTLE = `WHERE id = @id AND lease = @lease AND status = 'pending'`;

export function sqliteInbox(options: SqliteInboxOptions): WebhookInbox {
  if (typeof options?.path !== "string" || options.path === "") throw new WebhookInboxError("sqliteInbox needs a `path`");
  const Database = loadDriver<typeof BetterSqlite3>("better-sqlite3");
  let conn: BetterSqlite3.Database;
  try {
    conn = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5_000 });
    conn.pragma("journal_mode = WAL");
    conn.pragma("synchronous = NORMAL");
    conn.exec(SCHEMA);
  } catch (error) {
    throw new WebhookInboxError("the sqlite webhook inbox could not open its database", { cause: error });
  }
  const intake = options.outbox;
  // The outbox's tables are made (at once, synchronously) by the outbox store itself, so their schema stays its own.
  const outboxMade = intake ? sqliteOutboxStore({ path: options.path, ...(options.busyTimeoutMs ? { busyTimeoutMs: options.busyTimeoutMs } : {}) }).close() : Promise.resolve();

  const insert = conn.prepare(
    `INSERT INTO ${TABLE} (id, type, timestamp, raw, status, received_at, updated_at, not_before) VALUES (@id, @type, @timestamp, @raw, @status, @now, @now, @now) ON CONFLICT (id) DO NOTHING`,
  );
  const insertIntent = intake ? conn.prepare(insertIntentSql(OUTBOX_TABLES, (name) => `@${name}`)) : undefined;
  const claimDue = conn.prepare(
    `UPDATE ${TABLE} SET lease = @worker || '/' || lower(hex(randomblob(16))), lease_until = @until, attempts = attempts + 1, updated_at = @now
     WHERE seq IN (SELECT seq FROM ${TABLE} WHERE status = 'pending' AND not_before <= @now AND (lease_until IS NULL OR lease_until <= @now) ORDER BY not_before, seq LIMIT @limit)
     RETURNING ${INBOX_COLUMNS}, lease`,
  );
  const release = conn.prepare(
    `UPDATE ${TABLE} SET lease = NULL, lease_until = NULL, not_before = min(not_before, @now), updated_at = @now WHERE status = 'pending' AND substr(lease, 1, length(@worker) + 1) = @worker || '/'`,
  );
  const extend = conn.prepare(`UPDATE ${TABLE} SET lease_until = @until ${SETTLE}`);
  const giveBack = conn.prepare(`UPDATE ${TABLE} SET lease = NULL, lease_until = NULL, attempts = max(attempts - 1, 0), not_before = min(not_before, @now), updated_at = @now ${SETTLE}`);
  const handled = conn.prepare(`UPDATE ${TABLE} SET status = 'handled', raw = '', lease = NULL, lease_until = NULL, updated_at = @now ${SETTLE}`);
  const retry = conn.prepare(`UPDATE ${TABLE} SET not_before = @notBefore, last_error = @error, lease = NULL, lease_until = NULL, updated_at = @now ${SETTLE}`);
  const dead = conn.prepare(`UPDATE ${TABLE} SET status = 'dead', last_error = @error, lease = NULL, lease_until = NULL, updated_at = @now ${SETTLE}`);
  const revive = conn.prepare(`UPDATE ${TABLE} SET status = 'pending', attempts = 0, not_before = @now, updated_at = @now WHERE status = 'dead' AND id IN (SELECT value FROM json_each(@ids))`);
  const list = conn.prepare<{ status: InboxStatus; limit: number }, InboxRow>(`SELECT ${INBOX_COLUMNS} FROM ${TABLE} WHERE status = @status ORDER BY updated_at, seq LIMIT @limit`);
  const counts = conn.prepare<[], { pending: number; handled: number; dead: number }>(
    `SELECT total(status = 'pending') AS pending, total(status = 'handled') AS handled, total(status = 'dead') AS dead FROM ${TABLE}`,
  );
  const purge = conn.prepare(`DELETE FROM ${TABLE} WHERE status = 'handled' AND updated_at < @before`);

  /** One accept: the event, and with an intake its intents (the event then counts as handled: the outbox delivers it). */
  function write(entry: InboxEntry, now: number): boolean {
    const intents = intake ? intentValues(intake, entry, now) : [];
    const status = intents.length > 0 ? "handled" : "pending";
    const added = insert.run({ id: entry.id, type: entry.type ?? null, timestamp: entry.timestamp ?? null, raw: status === "handled" ? "" : entry.raw, status, now }).changes === 1;
    if (added) for (const intent of intents) insertIntent!.run({ ...intent, now });
    return added;
  }
  const writeAll = conn.transaction((items: ReadonlyArray<{ entry: InboxEntry; now: number }>) => items.map((item) => write(item.entry, item.now)));
  const accepts = groupCommit<{ entry: InboxEntry; now: number }, boolean>((items) => {
    conn.pragma("synchronous = FULL");
    try {
      return writeAll.immediate(items);
    } finally {
      conn.pragma("synchronous = NORMAL");
    }
  });

  let closed = false;
  const call = <T>(action: string, work: () => T | Promise<T>): Promise<T> =>
    storeCall("sqlite", action, () => {
      if (closed) throw new WebhookInboxError("the webhook inbox is closed");
      return work();
    });

  return {
    backend: "sqlite",
    outboxIntake: intake !== undefined,
    accept: (entry, now) =>
      call("record an event", async () => {
        checkEntry(entry);
        checkTime(now, "now");
        return accepts.submit({ entry, now });
      }),
    claim: (worker, limit, leaseMs, now) =>
      call("claim events", () => {
        const rows = conn.transaction(() => claimDue.all({ worker: checkWorker(worker), until: now + leaseMs, now: checkTime(now, "now"), limit: checkLimit(limit) }) as Array<InboxRow & { lease: string }>).immediate();
        rows.sort((a, b) => Number(a.not_before) - Number(b.not_before) || a.seq - b.seq);
        return rows.map((row) => ({ record: recordOfRow(row), lease: row.lease }));
      }),
    extend: (claim, leaseMs, now) => call("keep a lease", () => extend.run({ id: claim.record.id, lease: claim.lease, until: checkTime(now, "now") + leaseMs }).changes === 1),
    giveBack: (claim, now) => call("give a lease back", () => giveBack.run({ id: claim.record.id, lease: claim.lease, now: checkTime(now, "now") }).changes === 1),
    release: (worker, now) => call("release leases", () => release.run({ worker: checkWorker(worker), now }).changes),
    settle: (claim, settlement, now) =>
      call("settle an event", () => {
        const key = { id: claim.record.id, lease: claim.lease, now: checkTime(now, "now") };
        if (settlement.status === "handled") return handled.run(key).changes === 1;
        if (settlement.status === "retry") return retry.run({ ...key, notBefore: checkTime(settlement.notBefore, "notBefore"), error: errorText(settlement.error) }).changes === 1;
        return dead.run({ ...key, error: errorText(settlement.error) }).changes === 1;
      }),
    revive: (ids, now) => call("revive events", () => revive.run({ ids: JSON.stringify([...ids]), now }).changes),
    list: ({ status, limit }) => call("list events", () => list.all({ status, limit: checkLimit(limit) }).map(recordOfRow)),
    counts: () => call("count events", () => counts.get()!),
    purge: (before) => call("purge events", () => purge.run({ before: checkTime(before, "before") }).changes),
    async close() {
      if (closed) return;
      closed = true;
      await accepts.drain();
      await outboxMade.catch(() => undefined);
      conn.close();
    },
  };
}
