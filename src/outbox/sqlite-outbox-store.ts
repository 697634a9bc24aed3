/**
 * The outbox in one SQLite file: the embedded default, for an app on one host (several
 * processes may share the file). better-sqlite3 is synchronous: each call below is a short
 * transaction that blocks the event loop for a moment, and never waits on the network.
 *
 * Durable by default: WAL with synchronous=FULL syncs the log when intents are added (and
 * dead letters revived), so a resolved `add` survives a power cut. That costs one fsync per
 * transaction, so `add` calls that arrive together share one (group commit): thousands of
 * concurrent enqueues a second cost a few hundred fsyncs.
 *
 * What workers write (claims, renewals, settles) commits without its own fsync: it blocks
 * the event loop of a worker that is also sending HTTP, and losing it to a power cut (never
 * to a crash of the process) only means the intent is delivered once more, with the same
 * idempotency key. The next synced commit makes it durable too.
 */
import type BetterSqlite3 from "better-sqlite3";
import type { Claim, DeadReason, DeliveryRecord, IntentRecord, IntentSummary, ListFilter, NewIntent, OutboxCounts, OutboxStore } from "./outbox-store.js";
import { OutboxStoreError } from "./errors.js";
import { groupCommit } from "./group-commit.js";
import { loadDriver } from "./load-driver.js";
import { checkIds, checkLimit, checkPositive, checkStatus, checkTime, checkWorker } from "./store-arguments.js";
import { DEAD_TABLE, HISTORY_LIMIT, answersForBatch, type AddResult, LIVE_TABLE, SCHEMA_VERSION, closedError, encodeBatch, encodeJson, encodeRecord, recordOf, storeError, summaryOf, type EncodedIntent, type IntentRow } from "./store-rows.js";

export interface SqliteOutboxOptions {
  /** The database file (created if absent). */
  readonly path: string;
  /** `full` (default): a resolved write survives a power cut. `normal`: it survives a crash of the process, not of the machine, and commits are faster. */
  readonly synchronous?: "full" | "normal";
  /** How long a write waits for another process holding the file's write lock, ms. Default 5,000. */
  readonly busyTimeoutMs?: number;
}

/** One caller's add, waiting for the shared commit. */
interface PendingAdd {
  readonly batch: ReturnType<typeof encodeBatch>;
  readonly now: number;
}

const BACKEND = "sqlite";

const COLUMNS = "id, operation, input, idempotency_key, tenant, not_before, code_version";
const LIVE_SELECT = (bodies: boolean) =>
  `SELECT id, operation, ${bodies ? "input" : "NULL AS input"}, idempotency_key, tenant, not_before, code_version, status, created_at, updated_at, deliveries, history, lease_until, lease, committed_at, NULL AS dead FROM ${LIVE_TABLE}`;
const DEAD_SELECT = (bodies: boolean) =>
  `SELECT id, operation, ${bodies ? "input" : "NULL AS input"}, idempotency_key, tenant, not_before, code_version, 'dead' AS status, created_at, updated_at, deliveries, history, NULL AS lease_until, NULL AS lease, NULL AS committed_at, ${bodies ? "dead" : "json_remove(dead, '$.body') AS dead"} FROM ${DEAD_TABLE}`;
/** The history with one record appended, keeping the latest HISTORY_LIMIT. */
const APPENDED = `json_insert(CASE WHEN json_array_length(history) >= ${HISTORY_LIMIT} THEN json_remove(history, '$[0]') ELSE history END, '$[#]', json(@record))`;
const DUE = "status = 'pending' AND not_before <= @now AND (lease_until IS NULL OR lease_until <= @now)";

/** The columns both tables share: a dead letter is the live row it was, plus why. */
const INTENT_COLUMNS = `
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  operation TEXT NOT NULL,
  input TEXT NOT NULL,
  idempotency_key TEXT NOT NULL UNIQUE,
  tenant TEXT,
  not_before INTEGER NOT NULL,
  code_version TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deliveries INTEGER NOT NULL DEFAULT 0,
  history TEXT NOT NULL DEFAULT '[]'`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${LIVE_TABLE} (${INTENT_COLUMNS},
  status TEXT NOT NULL CHECK (status IN ('pending', 'committed')),
  lease TEXT,
  lease_until INTEGER,
  committed_at INTEGER
);
CREATE INDEX IF NOT EXISTS ${LIVE_TABLE}_due ON ${LIVE_TABLE} (not_before, seq) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS ${LIVE_TABLE}_updated ON ${LIVE_TABLE} (updated_at);
CREATE TABLE IF NOT EXISTS ${DEAD_TABLE} (${INTENT_COLUMNS},
  dead TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ${DEAD_TABLE}_updated ON ${DEAD_TABLE} (updated_at);
`;

export function sqliteOutboxStore(options: SqliteOutboxOptions): OutboxStore {
  if (typeof options?.path !== "string" || options.path === "") throw new OutboxStoreError("sqliteOutboxStore needs a `path`");
  const Database = loadDriver<typeof BetterSqlite3>("better-sqlite3");
  let conn: BetterSqlite3.Database;
  try {
    conn = open(Database, options);
  } catch (error) {
    throw storeError(BACKEND, "open its database", error);
  }

  const findKey = conn.prepare<[string, string], { id: string }>(`SELECT id FROM ${LIVE_TABLE} WHERE idempotency_key = ? UNION ALL SELECT id FROM ${DEAD_TABLE} WHERE idempotency_key = ? LIMIT 1`);
  const insert = conn.prepare(
    `INSERT INTO ${LIVE_TABLE} (${COLUMNS}, status, created_at, updated_at) VALUES (@id, @operation, @input, @idempotencyKey, @tenant, @notBefore, @codeVersion, 'pending', @now, @now)`,
  );
  const claimDue = conn.prepare(
    `UPDATE ${LIVE_TABLE} SET lease = @worker || '/' || lower(hex(randomblob(16))), lease_until = @until, deliveries = deliveries + 1, updated_at = @now
     WHERE seq IN (SELECT seq FROM ${LIVE_TABLE} WHERE ${DUE} ORDER BY not_before, seq LIMIT @limit)
     RETURNING id, operation, input, idempotency_key, tenant, not_before, code_version, status, created_at, updated_at, deliveries, history, lease_until, committed_at, NULL AS dead, lease, seq`,
  );
  const releaseWorker = conn.prepare(
    `UPDATE ${LIVE_TABLE} SET lease = NULL, lease_until = NULL, not_before = min(not_before, @now), updated_at = @now
     WHERE status = 'pending' AND lease IS NOT NULL AND substr(lease, 1, length(@worker) + 1) = @worker || '/'`,
  );
  const renewLease = conn.prepare(`UPDATE ${LIVE_TABLE} SET lease_until = @until WHERE id = @id AND lease = @lease AND status = 'pending'`);
  const commitLeased = conn.prepare(
    `UPDATE ${LIVE_TABLE} SET status = 'committed', lease = NULL, lease_until = NULL, committed_at = @now, updated_at = @now, history = ${APPENDED}
     WHERE id = @id AND lease = @lease AND status = 'pending'`,
  );
  const deferLeased = conn.prepare(
    `UPDATE ${LIVE_TABLE} SET not_before = @notBefore, lease = NULL, lease_until = NULL, updated_at = @now, history = ${APPENDED}
     WHERE id = @id AND lease = @lease AND status = 'pending'`,
  );
  const copyToDead = conn.prepare(
    `INSERT INTO ${DEAD_TABLE} (${COLUMNS}, created_at, updated_at, deliveries, history, dead)
     SELECT ${COLUMNS}, created_at, @now, deliveries, ${APPENDED}, json(@dead) FROM ${LIVE_TABLE} WHERE id = @id AND lease = @lease AND status = 'pending'`,
  );
  const deleteLive = conn.prepare(`DELETE FROM ${LIVE_TABLE} WHERE id = @id`);
  // A revived intent is due at once and starts a fresh count of deliveries; its history stays.
  const reviveWhere = (where: string) => [
    conn.prepare(
      `INSERT INTO ${LIVE_TABLE} (${COLUMNS}, status, created_at, updated_at, deliveries, history)
       SELECT id, operation, input, idempotency_key, tenant, @now, code_version, 'pending', created_at, @now, 0, history FROM ${DEAD_TABLE} WHERE ${where} ORDER BY seq`,
    ),
    conn.prepare(`DELETE FROM ${DEAD_TABLE} WHERE ${where}`),
  ] as const;
  const reviveIds = reviveWhere("id IN (SELECT value FROM json_each(@ids))");
  const reviveSince = reviveWhere("updated_at >= @since");
  const purgeCommitted = conn.prepare(`DELETE FROM ${LIVE_TABLE} WHERE status = 'committed' AND updated_at < @before`);
  const purgeDead = conn.prepare(`DELETE FROM ${DEAD_TABLE} WHERE updated_at < @before`);
  const countAll = conn.prepare<{ now: number }, { pending: number; due: number; leased: number; committed: number; oldest: number | null; dead: number }>(
    `SELECT total(status = 'pending') AS pending,
            total(${DUE}) AS due,
            total(status = 'pending' AND lease_until > @now) AS leased,
            total(status = 'committed') AS committed,
            min(CASE WHEN status = 'pending' THEN created_at END) AS oldest,
            (SELECT count(*) FROM ${DEAD_TABLE}) AS dead
     FROM ${LIVE_TABLE}`,
  );
  const getIds = conn.prepare<{ ids: string }, IntentRow>(
    `${LIVE_SELECT(true)} WHERE id IN (SELECT value FROM json_each(@ids)) UNION ALL ${DEAD_SELECT(true)} WHERE id IN (SELECT value FROM json_each(@ids))`,
  );

  let closed = false;

  /** Runs one store call: refused once closed, and every database error as the outbox's own. */
  async function call<T>(action: string, work: () => T): Promise<T> {
    if (closed) throw closedError(BACKEND);
    try {
      return work();
    } catch (error) {
      throw storeError(BACKEND, action, error);
    }
  }

  /** Writes batches in one transaction: the key check sees earlier batches of the same transaction. */
  const writeBatches = conn.transaction((adds: readonly PendingAdd[]) => adds.map((add) => writeBatch(add.batch, add.now)));

  function writeBatch(batch: ReturnType<typeof encodeBatch>, now: number): AddResult[] {
    const uniqueResults = batch.unique.map((intent: EncodedIntent): AddResult => {
      const existing = findKey.get(intent.idempotencyKey, intent.idempotencyKey);
      if (existing) return { id: existing.id, added: false };
      insert.run({ ...intent, now });
      return { id: intent.id, added: true };
    });
    return answersForBatch(batch.firstOf, uniqueResults);
  }

  /** Every add waiting now in one transaction (one fsync); see group-commit.ts. */
  const adds = groupCommit<PendingAdd, AddResult[]>((waiting) => {
    try {
      return synced(() => writeBatches.immediate(waiting));
    } catch (error) {
      throw storeError(BACKEND, "record intents", error);
    }
  });


  /** Runs `write` with every commit synced to disk (when the store is durable); the connection otherwise commits without. */
  function synced<T>(write: () => T): T {
    if (options.synchronous === "normal") return write();
    conn.pragma("synchronous = FULL");
    try {
      return write();
    } finally {
      conn.pragma("synchronous = NORMAL");
    }
  }

  function settle(claim: Claim, action: string, write: () => boolean): Promise<boolean> {
    if (typeof claim?.lease !== "string" || typeof claim.intent?.id !== "string") return Promise.reject(storeError(BACKEND, action, new TypeError("not a claim")));
    return call(action, write);
  }

  return {
    backend: BACKEND,

    add(intents: readonly NewIntent[], now: number) {
      if (closed) return Promise.reject(closedError(BACKEND));
      let batch: ReturnType<typeof encodeBatch>;
      try {
        checkTime(now, "now");
        batch = encodeBatch(intents);
      } catch (error) {
        return Promise.reject(error);
      }
      return adds.submit({ batch, now });
    },

    claim(worker: string, limit: number, leaseMs: number, now: number) {
      return call("claim intents", () => {
        checkTime(now, "now");
        const until = now + checkPositive(leaseMs, "leaseMs");
        const rows = conn.transaction(() => claimDue.all({ now, until, limit: checkLimit(limit, "limit"), worker: checkWorker(worker) }) as Array<IntentRow & { lease: string; seq: number }>).immediate();
        rows.sort((a, b) => Number(a.not_before) - Number(b.not_before) || a.seq - b.seq);
        return rows.map((row): Claim => ({ intent: recordOf(row), lease: row.lease }));
      });
    },

    release(worker: string, now: number) {
      return call("release a worker's leases", () => releaseWorker.run({ worker: checkWorker(worker), now: checkTime(now, "now") }).changes);
    },

    renew(claim: Claim, leaseMs: number, now: number) {
      return settle(claim, "renew a lease", () => {
        const until = checkTime(now, "now") + checkPositive(leaseMs, "leaseMs");
        return renewLease.run({ id: claim.intent.id, lease: claim.lease, until }).changes === 1;
      });
    },

    commit(claim: Claim, record: DeliveryRecord, now: number) {
      return settle(claim, "commit an intent", () => commitLeased.run({ id: claim.intent.id, lease: claim.lease, now: checkTime(now, "now"), record: encodeRecord(record) }).changes === 1);
    },

    defer(claim: Claim, notBefore: number, record: DeliveryRecord, now: number) {
      return settle(
        claim,
        "defer an intent",
        () => deferLeased.run({ id: claim.intent.id, lease: claim.lease, now: checkTime(now, "now"), notBefore: checkTime(notBefore, "notBefore"), record: encodeRecord(record) }).changes === 1,
      );
    },

    bury(claim: Claim, dead: DeadReason, record: DeliveryRecord, now: number) {
      return settle(claim, "bury an intent", () => {
        const params = { id: claim.intent.id, lease: claim.lease, now: checkTime(now, "now"), record: encodeRecord(record), dead: encodeJson(dead, "a dead reason") };
        return conn
          .transaction(() => {
            if (copyToDead.run(params).changes !== 1) return false;
            deleteLive.run({ id: params.id });
            return true;
          })
          .immediate();
      });
    },

    counts(now: number) {
      return call("count intents", (): OutboxCounts => {
        const row = countAll.get({ now: checkTime(now, "now") })!;
        const counts = { pending: row.pending, due: row.due, leased: row.leased, committed: row.committed, dead: row.dead };
        return row.oldest === null ? counts : { ...counts, oldestPendingAt: row.oldest };
      });
    },

    list(filter: ListFilter = {}) {
      return call("list intents", (): IntentSummary[] => {
        checkStatus(filter.status);
        const bodies = filter.withBodies === true;
        const params: Record<string, string | number> = { limit: checkLimit(filter.limit, "limit") };
        const where: string[] = [];
        if (filter.since !== undefined) {
          params.since = checkTime(filter.since, "since");
          where.push("updated_at >= @since");
        }
        if (filter.tenant !== undefined) {
          params.tenant = String(filter.tenant);
          where.push("tenant = @tenant");
        }
        const live = [...where];
        if (filter.status === "pending" || filter.status === "committed") {
          params.status = filter.status;
          live.push("status = @status");
        }
        const clause = (conditions: string[]) => (conditions.length === 0 ? "" : ` WHERE ${conditions.join(" AND ")}`);
        const parts: string[] = [];
        if (filter.status !== "dead") parts.push(LIVE_SELECT(bodies) + clause(live));
        if (filter.status === undefined || filter.status === "dead") parts.push(DEAD_SELECT(bodies) + clause(where));
        const rows = conn.prepare<Record<string, string | number>, IntentRow>(`SELECT * FROM (${parts.join(" UNION ALL ")}) ORDER BY updated_at, id LIMIT @limit`).all(params);
        return rows.map(summaryOf);
      });
    },

    get(ids: readonly string[]) {
      return call("read intents", (): IntentRecord[] => {
        const wanted = checkIds(ids);
        if (wanted.length === 0) return [];
        const byId = new Map(getIds.all({ ids: JSON.stringify(wanted) }).map((row) => [row.id, recordOf(row)]));
        return wanted.flatMap((id) => byId.get(id) ?? []);
      });
    },

    revive(which: { readonly ids: readonly string[] } | { readonly deadSince: number }, now: number) {
      return call("revive dead letters", () => {
        checkTime(now, "now");
        const [copy, remove] = "ids" in which ? reviveIds : reviveSince;
        const params = "ids" in which ? { now, ids: JSON.stringify(checkIds(which.ids)) } : { now, since: checkTime(which.deadSince, "deadSince") };
        return synced(() =>
          conn
            .transaction(() => {
              const moved = copy.run(params).changes;
              remove.run(params);
              return moved;
            })
            .immediate(),
        );
      });
    },

    purge(options: { readonly before: number; readonly dead?: boolean }) {
      return call("purge intents", () => {
        const before = checkTime(options?.before, "before");
        return conn.transaction(() => purgeCommitted.run({ before }).changes + (options.dead === true ? purgeDead.run({ before }).changes : 0)).immediate();
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      // Adds already accepted are written before the file is closed: their callers are waiting.
      await adds.drain();
      try {
        conn.close();
      } catch (error) {
        throw storeError(BACKEND, "close its database", error);
      }
    },
  };
}

function open(Database: typeof BetterSqlite3, options: SqliteOutboxOptions): BetterSqlite3.Database {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
  const db = new Database(options.path, { timeout: busyTimeoutMs });
  try {
    db.pragma("journal_mode = WAL");
    // NORMAL between the synced writes (see the top of this file).
    db.pragma("synchronous = NORMAL");
    db.transaction(() => {
      const version = db.pragma("user_version", { simple: true }) as number;
      if (version > SCHEMA_VERSION) throw new OutboxStoreError(`the outbox file was written by a later carewire (schema ${version}; this one knows ${SCHEMA_VERSION})`);
      // Later versions migrate from the number found here; 0 is a new file.
      if (version < SCHEMA_VERSION) {
        db.exec(SCHEMA);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      }
    }).immediate();
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
