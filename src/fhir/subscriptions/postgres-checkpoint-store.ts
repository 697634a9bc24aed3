/**
 * Subscription positions in PostgreSQL, for a fleet whose instances share one receiver
 * position. One active receiver per Subscription: two instances receiving at once both hand
 * every event to their app (the shared position only keeps the furthest one); run the
 * receiver in one instance at a time and let the others take over from this position. pg is an optional peer, loaded lazily; every statement is time-bounded.
 */
import type pg from "pg";
import { loadDriver } from "../../outbox/load-driver.js";
import { createdOnce, isPlainIdentifier } from "../../outbox/postgres-ddl.js";
import { checkPosition, positionFromRow, type SubscriptionCheckpointStore } from "./checkpoint-store.js";
import { SubscriptionCheckpointError } from "./errors.js";

export interface PostgresSubscriptionCheckpointOptions {
  readonly connectionString: string;
  /** Where the table lives (created if absent). Default `public`. */
  readonly schema?: string;
  /** Longest wait for one statement or a connection, ms. Default 10,000. */
  readonly timeoutMs?: number;
}

export function postgresSubscriptionCheckpoint(options: PostgresSubscriptionCheckpointOptions): SubscriptionCheckpointStore {
  const schema = options.schema ?? "public";
  if (!isPlainIdentifier(schema)) throw new SubscriptionCheckpointError("the schema must be a plain identifier (letters, digits, underscores)");
  const timeout = options.timeoutMs ?? 10_000;
  let Pool: typeof pg.Pool;
  try {
    Pool = loadDriver<typeof pg>("pg").Pool;
  } catch (error) {
    throw new SubscriptionCheckpointError('a PostgreSQL subscription checkpoint needs the "pg" package', { cause: error });
  }
  const pool = new Pool({ connectionString: options.connectionString, max: 2, connectionTimeoutMillis: timeout, statement_timeout: timeout, query_timeout: timeout });
  const table = `"${schema}".carewire_subscription_positions`;
  const ready = createdOnce(() => pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"; CREATE TABLE IF NOT EXISTS ${table} (subscription TEXT PRIMARY KEY, event_number BIGINT NOT NULL, timestamp TEXT)`));
  const query = async (text: string, values: unknown[]) => {
    try {
      await ready();
      return await pool.query(text, values);
    } catch (error) {
      throw new SubscriptionCheckpointError("the PostgreSQL subscription checkpoint failed", { cause: error });
    }
  };
  return {
    async load(key) {
      const { rows } = await query(`SELECT event_number, timestamp FROM ${table} WHERE subscription = $1`, [key]);
      const row = rows[0] as { event_number: string; timestamp: string | null } | undefined;
      return row && positionFromRow(row.event_number, row.timestamp);
    },
    async save(key, position) {
      checkPosition(position);
      // Only forward, as every store: the furthest position of the fleet stays.
      await query(
        `INSERT INTO ${table} (subscription, event_number, timestamp) VALUES ($1, $2, $3) ON CONFLICT (subscription) DO UPDATE SET event_number = excluded.event_number, timestamp = excluded.timestamp WHERE excluded.event_number >= ${table}.event_number`,
        [key, position.eventNumber, position.timestamp ?? null],
      );
    },
    close: () => pool.end(),
  };
}
