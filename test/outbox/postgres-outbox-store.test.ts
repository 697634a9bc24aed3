/**
 * What only the PostgreSQL store promises, beyond the shared contract: processes starting
 * at once create the tables once, an app's own pool stays the app's, and a database that
 * does not answer fails the call with the outbox's error instead of hanging it.
 */
import { describe, expect, it } from "@jest/globals";
import { OutboxInputError, OutboxStoreError } from "../../src/outbox/errors.js";
import { postgresOutboxStore } from "../../src/outbox/postgres-outbox-store.js";
import { freePort } from "../helpers/redis-server.js";
import { postgresForFile } from "../helpers/postgres-for-file.js";

const T0 = 1_800_000_000_000;
const postgres = postgresForFile("pgstore");
const intent = (n: number) => ({ id: `id-${n}`, operation: "createAppointment", input: { n }, idempotencyKey: `key-${n}`, notBefore: T0 });

describe("postgres outbox store", () => {
  it("creates its tables once when several stores start on an empty schema at once", async () => {
    const schema = postgres.schema();
    const stores = Array.from({ length: 6 }, () => postgres.keep(postgresOutboxStore({ connectionString: postgres.url }, { schema })));
    const results = await Promise.all(stores.map((store, i) => store.add([intent(i)], T0)));
    expect(results.flat().every((r) => r.added)).toBe(true);
    expect(await stores[0]!.counts(T0)).toMatchObject({ pending: 6 });
  });

  it("uses an app's own pool and leaves it open when closed", async () => {
    const pool = postgres.pool();
    const store = postgresOutboxStore({ pool }, { schema: postgres.schema() });
    await store.add([intent(1)], T0);
    await store.close();
    await expect(store.counts(T0)).rejects.toBeInstanceOf(OutboxStoreError);
    expect((await pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });

  it("fails a call with OutboxStoreError when no server answers", async () => {
    const port = await freePort();
    const store = postgres.keep(postgresOutboxStore({ connectionString: `postgres://postgres@127.0.0.1:${port}/none` }, { connectTimeoutMs: 2_000 }));
    const error = await store.counts(T0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboxStoreError);
    expect((error as Error).cause).toBeDefined();
  });

  it("fails a statement that waits past its timeout with OutboxStoreError, and works again after", async () => {
    const schema = postgres.schema();
    const store = postgres.keep(postgresOutboxStore({ connectionString: postgres.url }, { schema, statementTimeoutMs: 500 }));
    await store.add([intent(1)], T0);
    const holder = await postgres.pool(1).connect();
    try {
      await holder.query("BEGIN");
      await holder.query(`LOCK TABLE "${schema}".carewire_outbox IN ACCESS EXCLUSIVE MODE`);
      await expect(store.counts(T0)).rejects.toBeInstanceOf(OutboxStoreError);
      await holder.query("ROLLBACK");
    } finally {
      holder.release();
    }
    expect(await store.counts(T0)).toMatchObject({ pending: 1 });
  });

  it("refuses a schema name that is not a plain identifier", () => {
    expect(() => postgresOutboxStore({ connectionString: postgres.url }, { schema: 'x"; DROP TABLE y; --' })).toThrow(OutboxInputError);
  });

  it("refuses tables a later version wrote", async () => {
    const schema = postgres.schema();
    const first = postgres.keep(postgresOutboxStore({ connectionString: postgres.url }, { schema }));
    await first.counts(T0);
    await postgres.pool(1).query(`UPDATE "${schema}".carewire_outbox_schema SET version = 99`);
    const later = postgres.keep(postgresOutboxStore({ connectionString: postgres.url }, { schema }));
    await expect(later.counts(T0)).rejects.toThrow(/later carewire/);
  });
});
