/**
 * The inbox in PostgreSQL, for a fleet: every instance accepts into one table, so a
 * duplicate delivered to another instance is still found, and a claim skips rows another
 * instance holds (FOR UPDATE SKIP LOCKED). Times are the caller's clock readings, never the
 * database's now(), as in the outbox. An accept commits synchronously whatever the session's
 * default: the sender hears 2xx only once the event is on disk.
 */
import type { Pool, PoolClient } from "pg";
import { loadDriver } from "../outbox/load-driver.js";
import { isPlainIdentifier } from "../outbox/postgres-ddl.js";
import type { EncodedIntent } from "../outbox/store-rows.js";
import { postgresOutboxStore, type PostgresPool } from "../outbox/postgres-outbox-store.js";
import { WebhookInboxError } from "./errors.js";
import { checkEntry, checkLimit, checkTime, checkWorker, errorText, storeCall, type InboxEntry, type WebhookInbox } from "./inbox.js";
import { INBOX_COLUMNS, recordOfRow, type InboxRow } from "./inbox-rows.js";
import { insertIntentSql, intentValues, OUTBOX_TABLES, type OutboxIntake } from "./outbox-intake.js";

export interface PostgresInboxOptions {
  /** A connection string (carewire makes and ends its pool) or the app's own pool (never ended here). */
  readonly connection: { readonly connectionString: string } | { readonly pool: PostgresPool };
  /** Where the table lives (created if absent); with `outbox`, also where the outbox's tables are. Default `public`. */
  readonly schema?: string;
  /** Longest wait for one statement, ms. Default 10,000. */
  readonly statementTimeoutMs?: number;
  /** Turn accepted events into outbox intents in the same transaction. */
  readonly outbox?: OutboxIntake;
}

const INTENT_ORDER: ReadonlyArray<keyof EncodedIntent | "now"> = ["id", "operation", "input", "idempotencyKey", "tenant", "notBefore", "codeVersion", "now"];

export function postgresInbox(options: PostgresInboxOptions): WebhookInbox {
  const schema = options.schema ?? "public";
  if (!isPlainIdentifier(schema)) throw new WebhookInboxError("the inbox schema must be a plain identifier");
  const timeoutMs = options.statementTimeoutMs ?? 10_000;
  const owned = "connectionString" in options.connection;
  const pool: Pool =
    "pool" in options.connection
      ? (options.connection.pool as unknown as Pool)
      : new (loadDriver<typeof import("pg")>("pg").Pool)({ connectionString: options.connection.connectionString, max: 5, connectionTimeoutMillis: timeoutMs, statement_timeout: timeoutMs });
  const table = `"${schema}".carewire_webhook_inbox`;
  const intake = options.outbox;
  const tables = { live: `"${schema}".${OUTBOX_TABLES.live}`, dead: `"${schema}".${OUTBOX_TABLES.dead}` };
  const insertIntent = insertIntentSql(tables, (name) => `$${INTENT_ORDER.indexOf(name) + 1}`);
  const settleWhere = "WHERE id = $1 AND lease = $2 AND status = 'pending'";

  async function query<R>(client: Pool | PoolClient, text: string, values: unknown[] = []): Promise<{ rows: R[]; rowCount: number }> {
    const result = await client.query({ text, values, query_timeout: timeoutMs } as { text: string; values: unknown[] });
    return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
  }

  async function makeTables(): Promise<void> {
    if (intake) {
      // The outbox's tables are made by the outbox store, so their schema stays its own.
      const outbox = postgresOutboxStore("pool" in options.connection ? { pool: options.connection.pool } : options.connection, { schema });
      try {
        await outbox.counts(0);
      } finally {
        await outbox.close();
      }
    }
    // Several instances may start at once: the lock lets one create while the others wait.
    await inTransaction(async (client) => {
      await query(client, "SELECT pg_advisory_xact_lock(hashtext($1))", [`carewire_webhook_inbox:${schema}`]);
      await query(client, `CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await query(
        client,
        `CREATE TABLE IF NOT EXISTS ${table} (
          seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, type text, timestamp bigint, raw text NOT NULL,
          status text NOT NULL CHECK (status IN ('pending', 'handled', 'dead')),
          received_at bigint NOT NULL, updated_at bigint NOT NULL, attempts integer NOT NULL DEFAULT 0,
          not_before bigint NOT NULL, last_error text, lease text, lease_until bigint)`,
      );
      await query(client, `CREATE INDEX IF NOT EXISTS carewire_webhook_inbox_due ON ${table} (not_before, seq) WHERE status = 'pending'`);
      await query(client, `CREATE INDEX IF NOT EXISTS carewire_webhook_inbox_updated ON ${table} (status, updated_at)`);
    });
  }

  /** One transaction on one client; a client that failed mid-way is dropped, not reused. */
  async function inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await query(client, "BEGIN");
      const result = await work(client);
      await query(client, "COMMIT");
      client.release();
      return result;
    } catch (error) {
      await query(client, "ROLLBACK").catch(() => undefined);
      client.release(true);
      throw error;
    }
  }
  let ready: Promise<void> | undefined;
  let closed = false;
  const call = <T>(action: string, work: () => Promise<T>): Promise<T> =>
    storeCall("postgres", action, async () => {
      if (closed) throw new WebhookInboxError("the webhook inbox is closed");
      ready ??= makeTables().catch((error: unknown) => {
        ready = undefined;
        throw error;
      });
      await ready;
      return work();
    });

  function accept(entry: InboxEntry, now: number): Promise<boolean> {
    return inTransaction(async (client) => {
      await query(client, "SET LOCAL synchronous_commit = on");
      const intents = intake ? intentValues(intake, entry, now) : [];
      const status = intents.length > 0 ? "handled" : "pending";
      const values = [entry.id, entry.type ?? null, entry.timestamp ?? null, status === "handled" ? "" : entry.raw, status, now];
      const inserted = await query(client, `INSERT INTO ${table} (id, type, timestamp, raw, status, received_at, updated_at, not_before) VALUES ($1, $2, $3, $4, $5, $6, $6, $6) ON CONFLICT (id) DO NOTHING`, values);
      if (inserted.rowCount === 1) for (const intent of intents) await query(client, insertIntent, INTENT_ORDER.map((name) => (name === "now" ? now : intent[name])));
      return inserted.rowCount === 1;
    });
  }

  return {
    backend: "postgres",
    outboxIntake: intake !== undefined,
    accept: (entry, now) => call("record an event", () => accept(checkEntry(entry), checkTime(now, "now"))),
    claim: (worker, limit, leaseMs, now) =>
      call("claim events", async () => {
        const { rows } = await query<InboxRow & { lease: string }>(
          pool,
          `UPDATE ${table} SET lease = $1 || '/' || md5(random()::text || clock_timestamp()::text), lease_until = $2, attempts = attempts + 1, updated_at = $3
           WHERE seq IN (SELECT seq FROM ${table} WHERE status = 'pending' AND not_before <= $3 AND (lease_until IS NULL OR lease_until <= $3) ORDER BY not_before, seq LIMIT $4 FOR UPDATE SKIP LOCKED)
           RETURNING ${INBOX_COLUMNS}, lease`,
          [checkWorker(worker), now + leaseMs, checkTime(now, "now"), checkLimit(limit)],
        );
        rows.sort((a, b) => Number(a.not_before) - Number(b.not_before) || Number(a.seq) - Number(b.seq));
        return rows.map((row) => ({ record: recordOfRow(row), lease: row.lease }));
      }),
    extend: (claim, leaseMs, now) =>
      call("keep a lease", async () => (await query(pool, `UPDATE ${table} SET lease_until = $3 ${settleWhere}`, [claim.record.id, claim.lease, checkTime(now, "now") + leaseMs])).rowCount === 1),
    giveBack: (claim, now) =>
      call("give a lease back", async () => (await query(pool, `UPDATE ${table} SET lease = NULL, lease_until = NULL, attempts = greatest(attempts - 1, 0), not_before = least(not_before, $3), updated_at = $3 ${settleWhere}`, [claim.record.id, claim.lease, checkTime(now, "now")])).rowCount === 1),
    release: (worker, now) =>
      call("release leases", async () => {
        const sql = `UPDATE ${table} SET lease = NULL, lease_until = NULL, not_before = least(not_before, $2), updated_at = $2 WHERE status = 'pending' AND starts_with(lease, $1 || '/')`;
        return (await query(pool, sql, [checkWorker(worker), now])).rowCount;
      }),
    settle: (claim, settlement, now) =>
      call("settle an event", async () => {
        const key = [claim.record.id, claim.lease, checkTime(now, "now")];
        const common = "lease = NULL, lease_until = NULL, updated_at = $3";
        if (settlement.status === "handled") return (await query(pool, `UPDATE ${table} SET status = 'handled', raw = '', ${common} ${settleWhere}`, key)).rowCount === 1;
        if (settlement.status === "retry") return (await query(pool, `UPDATE ${table} SET not_before = $4, last_error = $5, ${common} ${settleWhere}`, [...key, checkTime(settlement.notBefore, "notBefore"), errorText(settlement.error)])).rowCount === 1;
        return (await query(pool, `UPDATE ${table} SET status = 'dead', last_error = $4, ${common} ${settleWhere}`, [...key, errorText(settlement.error)])).rowCount === 1;
      }),
    revive: (ids, now) => call("revive events", async () => (await query(pool, `UPDATE ${table} SET status = 'pending', attempts = 0, not_before = $2, updated_at = $2 WHERE status = 'dead' AND id = ANY($1::text[])`, [[...ids], now])).rowCount),
    list: ({ status, limit }) => call("list events", async () => (await query<InboxRow>(pool, `SELECT ${INBOX_COLUMNS} FROM ${table} WHERE status = $1 ORDER BY updated_at, seq LIMIT $2`, [status, checkLimit(limit)])).rows.map(recordOfRow)),
    counts: () =>
      call("count events", async () => {
        const { rows } = await query<{ pending: string; handled: string; dead: string }>(pool, `SELECT count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'handled') AS handled, count(*) FILTER (WHERE status = 'dead') AS dead FROM ${table}`);
        return { pending: Number(rows[0]!.pending), handled: Number(rows[0]!.handled), dead: Number(rows[0]!.dead) };
      }),
    purge: (before) => call("purge events", async () => (await query(pool, `DELETE FROM ${table} WHERE status = 'handled' AND updated_at < $1`, [checkTime(before, "before")])).rowCount),
    async close() {
      if (closed) return;
      closed = true;
      await ready?.catch(() => undefined);
      if (owned) await pool.end();
    },
  };
}
