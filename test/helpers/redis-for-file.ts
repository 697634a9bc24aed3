/**
 * One real redis-server per test file: key prefixes no other test uses, shared stores
 * closed after each test, raw connections (for the store contracts) closed after the file.
 */
import { afterAll, afterEach, beforeAll } from "@jest/globals";
import type { SharedStore } from "carewire";
import { redisConnection, type RedisConnection } from "../../src/runtime/stores/redis/connection.js";
import { startRedis, type RedisServer } from "./redis-server.js";

export function redisForFile(stem = "test") {
  let redis: RedisServer | undefined;
  const connections: RedisConnection[] = [];
  const stores: SharedStore[] = [];
  let prefixes = 0;
  beforeAll(async () => {
    redis = await startRedis();
  }, 300_000);
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });
  afterAll(async () => {
    for (const c of connections.splice(0)) await c.close();
    await redis?.stop();
  });
  const started = (): RedisServer => {
    if (!redis) throw new Error("Redis starts in beforeAll: use it inside a test");
    return redis;
  };
  return {
    get url(): string {
      return started().url;
    },
    /** A key prefix no other test uses. */
    prefix: () => `${stem}-${++prefixes}:`,
    /** A store the test made, closed after it. */
    keep<S extends SharedStore>(store: S): S {
      stores.push(store);
      return store;
    },
    /** A new raw connection (another instance of the app), with a generous bound: these tests are not about slowness. */
    connection(): RedisConnection {
      const connection = redisConnection({ url: started().url, commandTimeoutMs: 5_000 });
      connections.push(connection);
      return connection;
    },
  };
}
