/**
 * One contract, every poll checkpoint store: memory, SQLite in a file, a real PostgreSQL, a
 * real redis-server and a real three-node Redis Cluster. `another()` is a second instance of
 * the app on the same data (for memory, the same object).
 */
import { describe, expect, it } from "@jest/globals";
import Database from "better-sqlite3";
import { memoryPollCheckpointStore, postgresPollCheckpointStore, redisPollCheckpointStore, sqlitePollCheckpointStore, PollCheckpointError, type PollCheckpointStore } from "../../src/polling/index.js";
import { postgresForFile } from "../helpers/postgres-for-file.js";
import { redisClusterForFile, redisForFile } from "../helpers/redis-for-file.js";
import { eachOpens, oneObject, storesForFile, type Fleet as StoreFleet } from "../helpers/store-fleets.js";

const { keep, file: newFile } = storesForFile<PollCheckpointStore>("poll-contract");
const postgres = postgresForFile("poll");
const redis = redisForFile("poll");
const cluster = redisClusterForFile("poll");

/** `damage(key)` writes a broken checkpoint under `key` behind the store's back (none for memory). */
type Fleet = StoreFleet<PollCheckpointStore> & { damage?: (key: string) => void | Promise<void> };

const backends: Array<[string, () => Fleet]> = [
  ["memory", () => oneObject(keep(memoryPollCheckpointStore()))],
  [
    "sqlite",
    () => {
      const file = newFile("checkpoints");
      const open = () => keep(sqlitePollCheckpointStore(file));
      const damage = (key: string) => {
        const db = new Database(file);
        db.prepare("UPDATE poll_checkpoints SET checkpoint = ? WHERE key = ?").run('{"lastUpdated":"not a time"}', key);
        db.close();
      };
      return { ...eachOpens(open), damage };
    },
  ],
  [
    "postgres",
    () => {
      const schema = postgres.schema();
      const open = () => keep(postgresPollCheckpointStore({ connectionString: postgres.url }, { schema }));
      const damage = async (key: string) => {
        await postgres.pool().query(`UPDATE "${schema}".carewire_poll_checkpoints SET checkpoint = $1 WHERE key = $2`, ['{"lastUpdated":"not a time"}', key]);
      };
      return { ...eachOpens(open), damage };
    },
  ],
  ["redis", () => inRedis(redis, { url: redis.url })],
  ["redis-cluster", () => inRedis(cluster, { cluster: cluster.nodes })],
];

/** A Redis store (one server or a cluster), and a way to damage what it keeps. */
function inRedis(server: typeof redis | typeof cluster, target: { url: string } | { cluster: readonly string[] }): Fleet {
  const prefix = server.prefix();
  const open = () => keep(redisPollCheckpointStore({ ...target, prefix }));
  const damage = async (key: string) => void (await server.connection().command((c) => c.hset(`${prefix}poll-checkpoints`, key, '{"lastUpdated":"not a time"}')));
  return { ...eachOpens(open), damage };
}

describe.each(backends)("poll checkpoint store: %s", (_name, make) => {
  it("loads nothing for a target it never saw", async () => {
    expect(await make().store.load("clinic-1/Patient")).toBeUndefined();
  });

  it("gives back what was saved, by key, to another instance on the same data", async () => {
    const { store, another } = make();
    const checkpoint = { lastUpdated: "2030-01-01T00:00:05.000Z", handledAtLastUpdated: ["Patient/a/_history/1", "Patient/b/_history/3"] };
    await store.save("clinic-1/Patient", checkpoint);
    await store.save("clinic-1/Patient/7", { etag: 'W/"4"' });
    expect(await another().load("clinic-1/Patient")).toEqual(checkpoint);
    expect(await another().load("clinic-1/Patient/7")).toEqual({ etag: 'W/"4"' });
    expect(await another().load("clinic-2/Patient")).toBeUndefined();
  });

  it("replaces a checkpoint on save and forgets it on clear", async () => {
    const { store, another } = make();
    await store.save("k", { lastUpdated: "2030-01-01T00:00:05.000Z", handledAtLastUpdated: ["Patient/a/_history/1"] });
    await store.save("k", { lastUpdated: "2030-01-01T00:00:09.000Z", handledAtLastUpdated: [] });
    expect(await another().load("k")).toEqual({ lastUpdated: "2030-01-01T00:00:09.000Z", handledAtLastUpdated: [] });
    await store.clear("k");
    expect(await another().load("k")).toBeUndefined();
  });

  it("refuses to save a checkpoint it could not read back, and keeps the one before", async () => {
    const { store } = make();
    await store.save("k", { etag: 'W/"1"' });
    await expect(store.save("k", { lastUpdated: "yesterday" })).rejects.toBeInstanceOf(PollCheckpointError);
    await expect(store.save("k", { handledAtLastUpdated: Array.from({ length: 10_001 }, (_, i) => `Patient/${i}/_history/1`) })).rejects.toMatchObject({ kind: "poll-checkpoint" });
    expect(await store.load("k")).toEqual({ etag: 'W/"1"' });
  });

  it("refuses a damaged checkpoint with a typed error that names the target, not its content", async () => {
    const fleet = make();
    if (fleet.damage === undefined) {
      // Memory holds only what save checked; nothing can damage it from outside.
      await fleet.store.save("k", { etag: 'W/"1"' });
      expect(await fleet.store.load("k")).toEqual({ etag: 'W/"1"' });
      return;
    }
    await fleet.store.save("k", { etag: 'W/"1"' });
    await fleet.damage("k");
    const refused = await fleet.another().load("k").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PollCheckpointError);
    expect((refused as Error).message).toContain('"k"');
    expect((refused as Error).message).not.toContain("not a time");
  });
});
