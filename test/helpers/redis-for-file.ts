/**
 * One real redis-server per test file (or one real Redis Cluster, `redisClusterForFile`): key
 * prefixes no other test uses, shared stores closed after each test, raw connections (for the
 * store contracts) closed after the file. Tests that stop their Redis start one of their
 * own (`ownRedis`).
 */
import { afterAll, afterEach, beforeAll } from "@jest/globals";
import type { SharedStore } from "carewire";
import { redisConnection, type RedisConnection, type RedisConnectionOptions } from "../../src/runtime/stores/redis/connection.js";
import { startRedisCluster, type RedisCluster } from "./redis-cluster.js";
import { startRedis, type RedisServer } from "./redis-server.js";

export function redisForFile(stem = "test") {
  const file = forFile(startRedis, (redis) => redis.stop(), (redis) => ({ url: redis.url }), stem);
  return {
    ...file.helpers,
    get url(): string {
      return file.started().url;
    },
  };
}

/** The same with a real Redis Cluster (three masters): its connections are made from the seed nodes, as an app's would be. */
export function redisClusterForFile(stem = "cluster") {
  const file = forFile(startRedisCluster, (cluster) => cluster.stop(), (cluster) => ({ cluster: cluster.nodes }), stem);
  return {
    ...file.helpers,
    get nodes(): readonly string[] {
      return file.started().nodes;
    },
  };
}

/**
 * A redis-server of a describe block's own, for tests that stop it (a crash, a restart) and
 * so must not take the file's server down with it: started before the block's tests,
 * stopped after them. Call the returned function inside a test.
 */
export function ownRedis(): () => RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedis();
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error("the block's Redis starts in beforeAll: use it inside a test");
    return server;
  };
}

function forFile<S extends RedisServer | RedisCluster>(start: () => Promise<S>, stop: (server: S) => Promise<void>, target: (server: S) => RedisConnectionOptions, stem: string) {
  let server: S | undefined;
  const connections: RedisConnection[] = [];
  const stores: SharedStore[] = [];
  let prefixes = 0;
  beforeAll(async () => {
    server = await start();
  }, 300_000);
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });
  afterAll(async () => {
    for (const c of connections.splice(0)) await c.close();
    if (server) await stop(server);
  });
  const started = (): S => {
    if (!server) throw new Error("Redis starts in beforeAll: use it inside a test");
    return server;
  };
  return {
    started,
    helpers: {
      /** A key prefix no other test uses. */
      prefix: () => `${stem}-${++prefixes}:`,
      /** A store the test made, closed after it. */
      keep<T extends SharedStore>(store: T): T {
        stores.push(store);
        return store;
      },
      /** A new raw connection (another instance of the app), with generous bounds: these tests are not about slowness (a Cluster's nodes may take seconds to connect on a loaded machine). */
      connection(): RedisConnection {
        const connection = redisConnection({ ...target(started()), commandTimeoutMs: 5_000, connectTimeoutMs: 15_000 });
        connections.push(connection);
        return connection;
      },
    },
  };
}
