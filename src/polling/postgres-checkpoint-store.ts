/**
 * Poll checkpoints in PostgreSQL, one row per target: a fleet on many hosts shares them.
 * A save is one upsert, committed before it resolves. The driver is the optional `pg`
 * peer, loaded only here; an app may pass its own pool instead (carewire never ends it).
 * Every failure becomes a PollCheckpointError (never with a checkpoint's content).
 */
import { loadDriver } from "../outbox/load-driver.js";
import { createdOnce, isPlainIdentifier } from "../outbox/postgres-ddl.js";
import { readCheckpoint, writeCheckpoint, type PollCheckpointStore } from "./checkpoint-store.js";
import { PollCheckpointError } from "./errors.js";

/** What the store needs of a pool: `pg`'s Pool has it. */
export interface CheckpointPool {
  query(config: { text: string; values?: unknown[]; query_timeout?: number }): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
}

export interface PostgresPollCheckpointOptions {
  /** Where the table lives (created if absent). Default `public`. */
  readonly schema?: string;
  /** Longest wait for one statement, ms. Default 10 000. */
  readonly statementTimeoutMs?: number;
}

export function postgresPollCheckpointStore(connection: { readonly connectionString: string } | { readonly pool: CheckpointPool }, options: PostgresPollCheckpointOptions = {}): PollCheckpointStore {
  const schema = options.schema ?? "public";
  if (!isPlainIdentifier(schema)) throw new PollCheckpointError("the checkpoint schema must be a plain identifier (letters, digits, underscores)");
  const timeoutMs = options.statementTimeoutMs ?? 10_000;
  const owned = !("pool" in connection);
  const pool: CheckpointPool = "pool" in connection ? connection.pool : ownPool(connection.connectionString, timeoutMs);
  const table = `"${schema}".carewire_poll_checkpoints`;
  const ready = createdOnce(() => pool.query({ text: `CREATE SCHEMA IF NOT EXISTS "${schema}"; CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, checkpoint TEXT NOT NULL)`, query_timeout: timeoutMs }));

  async function run(what: string, text: string, values: unknown[]): Promise<unknown[]> {
    try {
      await ready();
      return (await pool.query({ text, values, query_timeout: timeoutMs })).rows;
    } catch (error) {
      throw new PollCheckpointError(`cannot ${what} a poll checkpoint in PostgreSQL: ${(error as Error).message}`, { cause: error });
    }
  }

  return {
    async load(key) {
      const rows = (await run("read", `SELECT checkpoint FROM ${table} WHERE key = $1`, [key])) as Array<{ checkpoint: string }>;
      return rows[0] === undefined ? undefined : readCheckpoint(key, rows[0].checkpoint);
    },
    async save(key, checkpoint) {
      const text = writeCheckpoint(checkpoint);
      await run("write", `INSERT INTO ${table} (key, checkpoint) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET checkpoint = EXCLUDED.checkpoint`, [key, text]);
    },
    async clear(key) {
      await run("clear", `DELETE FROM ${table} WHERE key = $1`, [key]);
    },
    close: async () => (owned ? pool.end() : undefined),
  };
}

function ownPool(connectionString: string, timeoutMs: number): CheckpointPool {
  let pg: typeof import("pg");
  try {
    pg = loadDriver<typeof import("pg")>("pg");
  } catch (error) {
    throw new PollCheckpointError('a PostgreSQL checkpoint store needs the "pg" package: npm install pg@8', { cause: error });
  }
  const pool = new pg.Pool({ connectionString, max: 4, connectionTimeoutMillis: timeoutMs, statement_timeout: timeoutMs });
  // A pooled connection the server dropped while idle is reported here; the next query gets a new one.
  pool.on("error", () => undefined);
  return pool as unknown as CheckpointPool;
}
