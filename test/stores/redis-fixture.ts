/**
 * One real redis-server per test file and fresh Redis connections onto it, closed after
 * the file: what the store contract suites share.
 */
import { afterAll, beforeAll } from "@jest/globals";
import { redisConnection, type RedisConnection } from "../../src/runtime/stores/redis/connection.js";
import { startRedis, type RedisServer } from "../helpers/redis-server.js";

export function redisForFile() {
  let redis: RedisServer | undefined;
  const connections: RedisConnection[] = [];
  let prefixes = 0;
  beforeAll(async () => {
    redis = await startRedis();
  }, 300_000);
  afterAll(async () => {
    for (const c of connections.splice(0)) await c.close();
    await redis?.stop();
  });
  return {
    /** A new connection (another instance of the app), with a generous bound: these tests are not about slowness. */
    connection(): RedisConnection {
      if (!redis) throw new Error("Redis starts in beforeAll: connect inside a test");
      const connection = redisConnection({ url: redis.url, commandTimeoutMs: 5_000 });
      connections.push(connection);
      return connection;
    },
    /** A key prefix no other test uses. */
    prefix: () => `contract-${++prefixes}:`,
  };
}
