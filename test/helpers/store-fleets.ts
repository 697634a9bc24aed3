/**
 * What the store contracts share: each runs one table of backends, and every backend gives a
 * test a `Fleet`, the store it uses and a way to make a second instance of the app on the
 * same data, so that a contract can check what one instance sees of another's writes.
 */
import { afterAll, afterEach } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RedisConnection } from "../../src/runtime/stores/redis/connection.js";

export interface Fleet<S> {
  readonly store: S;
  readonly another: () => S;
}

/** A store held in memory: every instance of the app would share the one object. */
export function oneObject<S>(store: S): Fleet<S> {
  return { store, another: () => store };
}

/** A store each instance opens for itself onto the same data (a file, a schema, a key prefix). */
export function eachOpens<S>(open: () => S): Fleet<S> {
  return { store: open(), another: open };
}

/** A redis-server or Redis Cluster for the file (`redisForFile`, `redisClusterForFile`). */
interface RedisForFile {
  prefix(): string;
  connection(): RedisConnection;
}

/**
 * The backends of a store that lives in memory or in Redis: memory, a redis-server and a
 * Redis Cluster. On Redis every instance has its own connection, all on one key prefix no
 * other test uses.
 */
export function memoryAndRedis<S>(redis: RedisForFile, cluster: RedisForFile, memory: () => S, inRedis: (connection: RedisConnection, prefix: string) => S): Array<[string, () => Fleet<S>]> {
  const on = (server: RedisForFile) => () => {
    const prefix = server.prefix();
    return eachOpens(() => inRedis(server.connection(), prefix));
  };
  return [
    ["memory", () => oneObject(memory())],
    ["redis", on(redis)],
    ["redis-cluster", on(cluster)],
  ];
}

/**
 * For contracts whose stores hold connections or files: every store a test opened, closed
 * after that test, and one temp folder (`carewire-<stem>-…`) for database files, removed
 * after the test file.
 */
export function storesForFile<S extends { close(): unknown }>(stem: string) {
  const opened: S[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), `carewire-${stem}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  return {
    /** `store`, to be closed after the test. */
    keep<T extends S>(store: T): T {
      opened.push(store);
      return store;
    },
    /** A path for a new database file (`<name>-<n>.db`), in the folder, that no other test uses. */
    file: (name: string) => path.join(dir, `${name}-${++files}.db`),
  };
}
