/**
 * The outbox in PostgreSQL: for a fleet, where workers on several hosts share one queue.
 * A claim locks the rows it takes and skips rows another claimer holds, so concurrent
 * workers never wait on each other nor take the same intent; each claimed intent gets a
 * fresh lease id, and every later write about it must carry that id (a worker whose lease
 * ran out and was taken over writes nothing).
 *
 * Times are the caller's clock readings (bigint epoch ms), never the database's `now()`:
 * the same `now` decides what is due for every store, and tests run on a fake clock.
 *
 * Adding intents always waits for the commit to reach disk. On the pool this store makes,
 * what workers write (claims, renewals, settles) does not (`synchronous_commit=off`): losing
 * the last of those to a crash of the database server only means an intent is delivered once
 * more, with the same idempotency key, and a worker no longer waits on an fsync per delivery.
 * An app's own pool keeps its own setting.
 */
import type { Pool, PoolClient, QueryResultRow } from "pg";
import type { Claim, DeadReason, DeliveryRecord, IntentRecord, IntentSummary, ListFilter, NewIntent, OutboxCounts, OutboxStore } from "./outbox-store.js";
import { OutboxInputError, OutboxStoreError } from "./errors.js";
import { groupCommit } from "./group-commit.js";
import { loadDriver } from "./load-driver.js";
import { isPlainIdentifier } from "./postgres-ddl.js";
import { checkIds, checkLimit, checkPositive, checkStatus, checkTime, checkWorker } from "./store-arguments.js";
import { DEAD_TABLE, HISTORY_LIMIT, answersForBatch, type AddResult, LIVE_TABLE, SCHEMA_VERSION, closedError, encodeBatch, encodeJson, encodeRecord, recordOf, storeError, summaryOf, type IntentRow } from "./store-rows.js";

export type PostgresConnection =
  /** carewire makes (and `close()` ends) its own pool. */
  | { readonly connectionString: string }
  /** The app's own pool: carewire never ends it, and its settings (size, timeouts) stay as they are. */
  | { readonly pool: PostgresPool };

/**
 * What the store needs of an app's pool: `pg`'s Pool has it. Spelled out here so an app that
 * only uses the SQLite store compiles without pg's types installed.
 */
export interface PostgresPool {
  connect(): Promise<PostgresPoolClient>;
  end(): Promise<void>;
}

export interface PostgresPoolClient {
  query(config: { text: string; values?: unknown[] }): Promise<{ rows: unknown[]; rowCount: number | null }>;
  release(destroy?: boolean | Error): void;
}

export interface PostgresOutboxOptions {
  /** Where the outbox tables live (created if absent). Default `public`. */
  readonly schema?: string;
  /** Longest wait for one statement, ms; the call then fails with OutboxStoreError. Default 10,000. */
  readonly statementTimeoutMs?: number;
  /** Longest wait for a connection from the pool, ms. Default 5,000. */
  readonly connectTimeoutMs?: number;
  /** Connections in the pool carewire makes. Default 10. */
  readonly poolSize?: number;
}

const BACKEND = "postgres";
/** Errors worth one more try of the same transaction: a deadlock or a serialization failure. */
const RETRYABLE = new Set(["40P01", "40001"]);
const ATTEMPTS = 3;


export function postgresOutboxStore(connection: PostgresConnection, options: PostgresOutboxOptions = {}): OutboxStore {
  const schema = options.schema ?? "public";
  if (!isPlainIdentifier(schema)) throw new OutboxInputError("the outbox schema must be a plain identifier (letters, digits, underscores)");
  const statementTimeoutMs = options.statementTimeoutMs === undefined ? 10_000 : checkPositive(options.statementTimeoutMs, "statementTimeoutMs");
  const connectTimeoutMs = options.connectTimeoutMs === undefined ? 5_000 : checkPositive(options.connectTimeoutMs, "connectTimeoutMs");
  const owned = !("pool" in connection);
  // An app's pool is used through pg's own API, which the interface above describes.
  const pool = "pool" in connection ? (connection.pool as unknown as Pool) : newPool(connection.connectionString, options.poolSize ?? 10, statementTimeoutMs, connectTimeoutMs);

  const live = `"${schema}".${LIVE_TABLE}`;
  const dead = `"${schema}".${DEAD_TABLE}`;
  const versions = `"${schema}".carewire_outbox_schema`;
  const liveSelect = (bodies: boolean) =>
    `SELECT id, operation, ${bodies ? "input::text" : "NULL::text"} AS input, idempotency_key, tenant, not_before, code_version, status, created_at, updated_at, deliveries, history::text AS history, lease_until, lease, committed_at, NULL::text AS dead FROM ${live}`;
  const deadSelect = (bodies: boolean) =>
    `SELECT id, operation, ${bodies ? "input::text" : "NULL::text"} AS input, idempotency_key, tenant, not_before, code_version, 'dead' AS status, created_at, updated_at, deliveries, history::text AS history, NULL::bigint AS lease_until, NULL::text AS lease, NULL::bigint AS committed_at, ${bodies ? "dead::text" : "(dead - 'body')::text"} AS dead FROM ${dead}`;
  /** The history with the record in parameter `param` appended, keeping the latest HISTORY_LIMIT. */
  const appended = (param: string) => `(CASE WHEN jsonb_array_length(history) >= ${HISTORY_LIMIT} THEN history - 0 ELSE history END) || jsonb_build_array(${param}::jsonb)`;

  let closed = false;
  let ready: Promise<void> | undefined;

  /** One statement, bounded in time on the client's side too (an app's pool may have no statement timeout). */
  async function query<R extends QueryResultRow>(client: PoolClient, text: string, values: readonly unknown[] = []): Promise<{ rows: R[]; rowCount: number }> {
    const result = await client.query<R>({ text, values: [...values], query_timeout: statementTimeoutMs } as { text: string; values: unknown[] });
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  }

  /** A client from the pool within the connect timeout; one that arrives later goes straight back. */
  function acquire(): Promise<PoolClient> {
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new OutboxStoreError(`no PostgreSQL connection within ${connectTimeoutMs} ms`));
      }, connectTimeoutMs);
      pool.connect().then(
        (client) => {
          clearTimeout(timer);
          if (late) client.release();
          else resolve(client);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  async function withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await acquire();
    try {
      const result = await work(client);
      client.release();
      return result;
    } catch (error) {
      // A client that failed mid-call may be in any state: it is dropped, not reused.
      client.release(true);
      throw error;
    }
  }

  async function transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await withClient(async (client) => {
          await query(client, "BEGIN");
          try {
            const result = await work(client);
            await query(client, "COMMIT");
            return result;
          } catch (error) {
            await query(client, "ROLLBACK").catch(() => undefined);
            throw error;
          }
        });
      } catch (error) {
        if (attempt >= ATTEMPTS || !RETRYABLE.has((error as { code?: string }).code ?? "")) throw error;
      }
    }
  }

  /**
   * Creates the tables once per store. Several processes may start at once: the advisory
   * lock lets one create while the others wait, then find the tables there.
   */
  function ensureTables(): Promise<void> {
    ready ??= transaction(async (client) => {
      await query(client, "SELECT pg_advisory_xact_lock(hashtext($1))", [`carewire_outbox:${schema}`]);
      await query(client, `CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await query(client, `CREATE TABLE IF NOT EXISTS ${versions} (version integer NOT NULL)`);
      const found = (await query<{ version: number | null }>(client, `SELECT max(version) AS version FROM ${versions}`)).rows[0]?.version ?? 0;
      if (found > SCHEMA_VERSION) throw new OutboxStoreError(`the outbox tables in "${schema}" were written by a later carewire (schema ${found}; this one knows ${SCHEMA_VERSION})`);
      // Later versions migrate from the number found here; 0 is a new schema.
      if (found === SCHEMA_VERSION) return;
      for (const statement of schemaStatements(live, dead)) await query(client, statement);
      await query(client, `INSERT INTO ${versions} (version) VALUES ($1)`, [SCHEMA_VERSION]);
    }).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  }

  /** Runs one store call: refused once closed, tables made first, every database error as the outbox's own. */
  async function call<T>(action: string, work: () => Promise<T>): Promise<T> {
    if (closed) throw closedError(BACKEND);
    try {
      await ensureTables();
      return await work();
    } catch (error) {
      throw storeError(BACKEND, action, error);
    }
  }

  async function addOnce(batch: ReturnType<typeof encodeBatch>, now: number): Promise<Array<{ id: string; added: boolean }> | undefined> {
    const { unique } = batch;
    return transaction(async (client) => {
      // An added intent is on disk before the caller hears so, whatever the session's default.
      await query(client, "SET LOCAL synchronous_commit = on");
      // Rows are inserted in key order: two batches sharing keys wait on each other, never deadlock.
      const inserted = await query<{ idempotency_key: string }>(
        client,
        `INSERT INTO ${live} (id, operation, input, idempotency_key, tenant, not_before, code_version, status, created_at, updated_at)
         SELECT id, operation, input::jsonb, key, tenant, not_before, code_version, 'pending', $8, $8
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[]) AS t(id, operation, input, key, tenant, not_before, code_version)
         ORDER BY key
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING idempotency_key`,
        [
          unique.map((i) => i.id),
          unique.map((i) => i.operation),
          unique.map((i) => i.input),
          unique.map((i) => i.idempotencyKey),
          unique.map((i) => i.tenant),
          unique.map((i) => i.notBefore),
          unique.map((i) => i.codeVersion),
          now,
        ],
      );
      const ours = new Set(inserted.rows.map((r) => r.idempotency_key));
      const keys = unique.map((i) => i.idempotencyKey);
      // Each statement sees what committed before it began: a key buried or revived by another
      // transaction while this one inserted shows up here, in one table or the other.
      const found = await query<{ src: "live" | "dead"; id: string; idempotency_key: string }>(
        client,
        `SELECT 'dead' AS src, id, idempotency_key FROM ${dead} WHERE idempotency_key = ANY($1::text[])
         UNION ALL SELECT 'live' AS src, id, idempotency_key FROM ${live} WHERE idempotency_key = ANY($1::text[])`,
        [keys],
      );
      const deadIds = new Map<string, string>();
      const liveIds = new Map<string, string>();
      for (const row of found.rows) (row.src === "dead" ? deadIds : liveIds).set(row.idempotency_key, row.id);
      const undo: string[] = [];
      const results: Array<{ id: string; added: boolean }> = [];
      for (const intent of unique) {
        const deadId = deadIds.get(intent.idempotencyKey);
        const liveId = liveIds.get(intent.idempotencyKey);
        if (deadId !== undefined) {
          // The key was buried while this insert ran: the dead letter is the intent.
          if (ours.has(intent.idempotencyKey)) undo.push(intent.id);
          results.push({ id: deadId, added: false });
        } else if (liveId !== undefined) results.push({ id: liveId, added: ours.has(intent.idempotencyKey) && liveId === intent.id });
        else return undefined; // purged between the insert and the read: try the batch again
      }
      if (undo.length > 0) await query(client, `DELETE FROM ${live} WHERE id = ANY($1::text[])`, [undo]);
      return results;
    });
  }

  /**
   * Adds of one turn of the event loop share one transaction (see group-commit.ts); adds with
   * different clock readings are written apart, since each intent's `createdAt` is its caller's `now`.
   */
  const adds = groupCommit<{ readonly intents: readonly NewIntent[]; readonly now: number }, AddResult[]>(
    async (waiting) => {
      const results = await addBatch(waiting.flatMap((add) => add.intents), waiting[0]!.now);
      let offset = 0;
      return waiting.map((add) => results.slice(offset, (offset += add.intents.length)));
    },
    (add) => add.now,
  );

  /** One transaction for a batch; a key repeated in it (or already recorded) answers with the first one's id, not added. */
  async function addBatch(intents: readonly NewIntent[], now: number): Promise<AddResult[]> {
    const batch = encodeBatch(intents);
    let results: AddResult[] | undefined;
    for (let attempt = 0; results === undefined; attempt++) {
      if (attempt >= ATTEMPTS) throw new OutboxStoreError("intents kept being purged while they were added");
      results = await addOnce(batch, now);
    }
    return answersForBatch(batch.firstOf, results);
  }

  function settle(claim: Claim, action: string, text: string, values: (id: string, lease: string) => unknown[]): Promise<boolean> {
    return call(action, async () => {
      if (typeof claim?.lease !== "string" || typeof claim.intent?.id !== "string") throw new OutboxInputError("not a claim");
      const params = values(claim.intent.id, claim.lease);
      return (await withClient((client) => query(client, text, params))).rowCount === 1;
    });
  }

  return {
    backend: BACKEND,

    add(intents: readonly NewIntent[], now: number) {
      return call("record intents", () => {
        checkTime(now, "now");
        // Checked here, so one caller's bad intent never fails the others it would have shared a commit with.
        if (encodeBatch(intents).unique.length === 0) return Promise.resolve([]);
        return adds.submit({ intents, now });
      });
    },

    claim(worker: string, limit: number, leaseMs: number, now: number) {
      return call("claim intents", async () => {
        checkTime(now, "now");
        const until = now + checkPositive(leaseMs, "leaseMs");
        const size = checkLimit(limit, "limit");
        const { rows } = await withClient((client) =>
          query<IntentRow & { lease: string; seq: string }>(
            client,
            `WITH picked AS (
               SELECT seq FROM ${live}
               WHERE status = 'pending' AND not_before <= $1 AND (lease_until IS NULL OR lease_until <= $1)
               ORDER BY not_before, seq LIMIT $2
               FOR UPDATE SKIP LOCKED)
             UPDATE ${live} SET lease = $4 || '/' || gen_random_uuid()::text, lease_until = $3, deliveries = deliveries + 1, updated_at = $1
             WHERE seq IN (SELECT seq FROM picked)
             RETURNING id, operation, input::text AS input, idempotency_key, tenant, not_before, code_version, status, created_at, updated_at, deliveries,
                       history::text AS history, lease_until, committed_at, NULL::text AS dead, lease, seq`,
            [now, size, until, checkWorker(worker)],
          ),
        );
        rows.sort((a, b) => Number(a.not_before) - Number(b.not_before) || Number(a.seq) - Number(b.seq));
        return rows.map((row): Claim => ({ intent: recordOf(row), lease: row.lease }));
      });
    },

    release(worker: string, now: number) {
      return call("release a worker's leases", async () => {
        const params = [checkWorker(worker), checkTime(now, "now")];
        const { rowCount } = await withClient((client) =>
          query(
            client,
            `UPDATE ${live} SET lease = NULL, lease_until = NULL, not_before = least(not_before, $2), updated_at = $2
             WHERE status = 'pending' AND lease IS NOT NULL AND left(lease, length($1) + 1) = $1 || '/'`,
            params,
          ),
        );
        return rowCount ?? 0;
      });
    },

    renew(claim: Claim, leaseMs: number, now: number) {
      return settle(claim, "renew a lease", `UPDATE ${live} SET lease_until = $3 WHERE id = $1 AND lease = $2 AND status = 'pending'`, (id, lease) => [
        id,
        lease,
        checkTime(now, "now") + checkPositive(leaseMs, "leaseMs"),
      ]);
    },

    commit(claim: Claim, record: DeliveryRecord, now: number) {
      return settle(
        claim,
        "commit an intent",
        `UPDATE ${live} SET status = 'committed', lease = NULL, lease_until = NULL, committed_at = $3, updated_at = $3, history = ${appended("$4")}
         WHERE id = $1 AND lease = $2 AND status = 'pending'`,
        (id, lease) => [id, lease, checkTime(now, "now"), encodeRecord(record)],
      );
    },

    defer(claim: Claim, notBefore: number, record: DeliveryRecord, now: number) {
      return settle(
        claim,
        "defer an intent",
        `UPDATE ${live} SET not_before = $5, lease = NULL, lease_until = NULL, updated_at = $3, history = ${appended("$4")}
         WHERE id = $1 AND lease = $2 AND status = 'pending'`,
        (id, lease) => [id, lease, checkTime(now, "now"), encodeRecord(record), checkTime(notBefore, "notBefore")],
      );
    },

    bury(claim: Claim, reason: DeadReason, record: DeliveryRecord, now: number) {
      // One statement moves the row: it is in one table or the other, never both nor neither.
      return settle(
        claim,
        "bury an intent",
        `WITH moved AS (DELETE FROM ${live} WHERE id = $1 AND lease = $2 AND status = 'pending' RETURNING *)
         INSERT INTO ${dead} (id, operation, input, idempotency_key, tenant, not_before, code_version, created_at, updated_at, deliveries, history, dead)
         SELECT id, operation, input, idempotency_key, tenant, not_before, code_version, created_at, $3, deliveries, ${appended("$4")}, $5::jsonb FROM moved`,
        (id, lease) => [id, lease, checkTime(now, "now"), encodeRecord(record), encodeJson(reason, "a dead reason")],
      );
    },

    counts(now: number) {
      return call("count intents", async (): Promise<OutboxCounts> => {
        checkTime(now, "now");
        const { rows } = await withClient((client) =>
          query<{ pending: string; due: string; leased: string; committed: string; oldest: string | null; dead: string }>(
            client,
            `SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
                    count(*) FILTER (WHERE status = 'pending' AND not_before <= $1 AND (lease_until IS NULL OR lease_until <= $1)) AS due,
                    count(*) FILTER (WHERE status = 'pending' AND lease_until > $1) AS leased,
                    count(*) FILTER (WHERE status = 'committed') AS committed,
                    min(created_at) FILTER (WHERE status = 'pending') AS oldest,
                    (SELECT count(*) FROM ${dead}) AS dead
             FROM ${live}`,
            [now],
          ),
        );
        const row = rows[0]!;
        const counts = { pending: Number(row.pending), due: Number(row.due), leased: Number(row.leased), committed: Number(row.committed), dead: Number(row.dead) };
        return row.oldest === null ? counts : { ...counts, oldestPendingAt: Number(row.oldest) };
      });
    },

    list(filter: ListFilter = {}) {
      return call("list intents", async (): Promise<IntentSummary[]> => {
        checkStatus(filter.status);
        const bodies = filter.withBodies === true;
        const values: unknown[] = [checkLimit(filter.limit, "limit")];
        const where: string[] = [];
        if (filter.since !== undefined) where.push(`updated_at >= $${values.push(checkTime(filter.since, "since"))}`);
        if (filter.tenant !== undefined) where.push(`tenant = $${values.push(String(filter.tenant))}`);
        const liveWhere = [...where];
        if (filter.status === "pending" || filter.status === "committed") liveWhere.push(`status = $${values.push(filter.status)}`);
        const clause = (conditions: string[]) => (conditions.length === 0 ? "" : ` WHERE ${conditions.join(" AND ")}`);
        const parts: string[] = [];
        if (filter.status !== "dead") parts.push(liveSelect(bodies) + clause(liveWhere));
        if (filter.status === undefined || filter.status === "dead") parts.push(deadSelect(bodies) + clause(where));
        const { rows } = await withClient((client) => query<IntentRow>(client, `SELECT * FROM (${parts.join(" UNION ALL ")}) AS listed ORDER BY updated_at, id LIMIT $1`, values));
        return rows.map(summaryOf);
      });
    },

    get(ids: readonly string[]) {
      return call("read intents", async (): Promise<IntentRecord[]> => {
        const wanted = checkIds(ids);
        if (wanted.length === 0) return [];
        const { rows } = await withClient((client) =>
          query<IntentRow>(client, `${liveSelect(true)} WHERE id = ANY($1::text[]) UNION ALL ${deadSelect(true)} WHERE id = ANY($1::text[])`, [wanted]),
        );
        const byId = new Map(rows.map((row) => [row.id, recordOf(row)]));
        return wanted.flatMap((id) => byId.get(id) ?? []);
      });
    },

    revive(which: { readonly ids: readonly string[] } | { readonly deadSince: number }, now: number) {
      return call("revive dead letters", async () => {
        checkTime(now, "now");
        const [where, value] = "ids" in which ? ["id = ANY($2::text[])", checkIds(which.ids)] : ["updated_at >= $2", checkTime(which.deadSince, "deadSince")];
        // A revived intent is due at once and starts a fresh count of deliveries; its history stays.
        // Synced like an add: an operator's replay is not lost to a crash of the server.
        const { rowCount } = await transaction(async (client) => {
          await query(client, "SET LOCAL synchronous_commit = on");
          return query(
            client,
            `WITH moved AS (DELETE FROM ${dead} WHERE ${where} RETURNING *)
             INSERT INTO ${live} (id, operation, input, idempotency_key, tenant, not_before, code_version, status, created_at, updated_at, deliveries, history)
             SELECT id, operation, input, idempotency_key, tenant, $1, code_version, 'pending', created_at, $1, 0, history FROM moved ORDER BY seq`,
            [now, value],
          );
        });
        return rowCount;
      });
    },

    purge(options: { readonly before: number; readonly dead?: boolean }) {
      return call("purge intents", async () => {
        const before = checkTime(options?.before, "before");
        const { rows } = await withClient((client) =>
          query<{ purged: string }>(
            client,
            `WITH committed AS (DELETE FROM ${live} WHERE status = 'committed' AND updated_at < $1 RETURNING 1),
                  buried AS (DELETE FROM ${dead} WHERE $2 AND updated_at < $1 RETURNING 1)
             SELECT (SELECT count(*) FROM committed) + (SELECT count(*) FROM buried) AS purged`,
            [before, options.dead === true],
          ),
        );
        return Number(rows[0]!.purged);
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      // Adds already accepted are written before the pool ends: their callers are waiting.
      await adds.drain();
      if (!owned) return;
      try {
        await pool.end();
      } catch (error) {
        throw storeError(BACKEND, "close its pool", error);
      }
    },
  };
}

function newPool(connectionString: string, max: number, statementTimeoutMs: number, connectTimeoutMs: number): Pool {
  if (typeof connectionString !== "string" || connectionString === "") throw new OutboxInputError("postgresOutboxStore needs a `connectionString` or a `pool`");
  const { Pool: PgPool } = loadDriver<typeof import("pg")>("pg");
  const pool = new PgPool({
    connectionString,
    max: checkPositive(max, "poolSize"),
    connectionTimeoutMillis: connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    // Workers' writes need not wait for the disk (see the top of this file); adds ask for it.
    options: "-c synchronous_commit=off",
    // A transaction left open by a process that hung is ended by the server, releasing its locks.
    idle_in_transaction_session_timeout: Math.max(statementTimeoutMs * 3, 30_000),
  });
  // A pooled connection the server dropped while idle is reported here; the next call gets a new one.
  pool.on("error", () => undefined);
  return pool;
}

function schemaStatements(live: string, dead: string): string[] {
  const columns = `
    seq bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    operation text NOT NULL,
    input jsonb NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    tenant text,
    not_before bigint NOT NULL,
    code_version text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    deliveries integer NOT NULL DEFAULT 0,
    history jsonb NOT NULL DEFAULT '[]'`;
  return [
    `CREATE TABLE IF NOT EXISTS ${live} (${columns},
      status text NOT NULL CHECK (status IN ('pending', 'committed')),
      lease text,
      lease_until bigint,
      committed_at bigint)`,
    `CREATE INDEX IF NOT EXISTS ${LIVE_TABLE}_due ON ${live} (not_before, seq) WHERE status = 'pending'`,
    `CREATE INDEX IF NOT EXISTS ${LIVE_TABLE}_updated ON ${live} (updated_at)`,
    `CREATE TABLE IF NOT EXISTS ${dead} (${columns},
      dead jsonb NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS ${DEAD_TABLE}_updated ON ${dead} (updated_at)`,
  ];
}
