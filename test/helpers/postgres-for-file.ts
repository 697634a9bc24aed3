/**
 * One real PostgreSQL per test file: a database of its own, a schema no other test uses,
 * and every store or pool a test made closed after it.
 */
import { afterAll, afterEach, beforeAll } from "@jest/globals";
import pg from "pg";
import { startPostgres, type PostgresServer } from "./postgres-server.js";

interface Closable {
  close(): Promise<void>;
}

export function postgresForFile(stem = "test") {
  let server: PostgresServer | undefined;
  let url: string | undefined;
  const closables: Closable[] = [];
  const pools: pg.Pool[] = [];
  let schemas = 0;
  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase("carewire_test");
  }, 300_000);
  afterEach(async () => {
    for (const c of closables.splice(0)) await c.close().catch(() => undefined);
    for (const p of pools.splice(0)) await p.end().catch(() => undefined);
  });
  afterAll(async () => {
    await server?.stop();
  }, 60_000);
  const started = (): string => {
    if (url === undefined) throw new Error("PostgreSQL starts in beforeAll: use it inside a test");
    return url;
  };
  return {
    /** The file's database. */
    get url(): string {
      return started();
    },
    /** A schema name no other test uses. */
    schema: () => `${stem}_${++schemas}`,
    /** A store (or anything closable) the test made, closed after it. */
    keep<S extends Closable>(closable: S): S {
      closables.push(closable);
      return closable;
    },
    /** An app's own pool, ended after the test. */
    pool(max = 5): pg.Pool {
      const pool = new pg.Pool({ connectionString: started(), max });
      pools.push(pool);
      return pool;
    },
  };
}
