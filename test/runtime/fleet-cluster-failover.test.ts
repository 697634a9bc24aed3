/**
 * A Redis Cluster master dies and its replica takes over (a real cluster of three masters with
 * a replica each). While the slot has no master, every command on it fails fast and each
 * instance paces alone on its share; once the replica serves the slot, the instances follow
 * the new topology and share the quota again, with what was counted before the failure kept
 * (replicated) rather than lost.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { redisStore, type SharedStore } from "carewire";
import { startRedisCluster, type RedisCluster } from "../helpers/redis-cluster.js";
import { waitFor } from "../helpers/windows.js";

let cluster: RedisCluster | undefined;
const stores: SharedStore[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster({ replicas: 1 });
}, 300_000);

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await cluster?.stop();
});

/** The quota key every send below is counted under; its hash tag picks the slot (and so the master) that fails. */
const KEY = "clinic";

function instance(onStateChange?: (part: string, state: string) => void): SharedStore {
  const store = redisStore({ cluster: cluster!.nodes, prefix: `failover-${process.pid}:`, expectedInstances: 2, retryAfterMs: 0, ...(onStateChange ? { onStateChange } : {}) });
  stores.push(store);
  return store;
}

let sends = 0;
let now = 1_000;
/** One send asked for, at a time of its own in one long window. */
async function send(store: SharedStore, name: string, limit: number): Promise<{ granted: boolean; local: boolean }> {
  const answer = await store.quota.acquire({ key: KEY, id: `send-${sends++}`, now: now++, demands: [{ name, limit, windowMs: 3_600_000, cost: 1 }] });
  return { granted: answer.granted, local: (answer as { local?: true }).local === true };
}

/** Sends on `name` until one is answered by the shared store (a send answered locally counts only here). */
async function untilShared(store: SharedStore, name: string): Promise<void> {
  await waitFor(async () => !(await send(store, name, 1_000)).local, "the instance to share the quota again", 60_000);
}

describe("when a cluster master fails over to its replica", () => {
  it("each instance paces alone while the slot has no master, then shares again, with the counts kept", async () => {
    const states: string[] = [];
    const a = instance((part, state) => states.push(`${part} ${state}`));
    const b = instance();

    // Shared: three sends of a limit of four, from both instances.
    expect(await send(a, "before", 4)).toEqual({ granted: true, local: false });
    expect(await send(b, "before", 4)).toEqual({ granted: true, local: false });
    expect(await send(a, "before", 4)).toEqual({ granted: true, local: false });

    const master = await cluster!.masterOf(`{${KEY}}`);
    // Replication is asynchronous: the sends are on the replica before its master dies.
    await cluster!.replicated(master);
    await cluster!.kill(master);

    // The dead master's slot fails at once: the send is answered here, within this instance's share.
    expect(await send(a, "during", 4)).toEqual({ granted: true, local: true });
    expect(states).toEqual(["quota local"]);

    await cluster!.failedOver(`{${KEY}}`, master);
    await untilShared(a, "reconnect");
    await untilShared(b, "reconnect");
    expect(states).toEqual(["quota local", "quota shared"]);

    // An instance started after the failover has only the shared count to go by (the two that
    // paced alone also hold themselves to their share for a while): the replica kept the three
    // sends made before the failure, so one is left.
    const c = instance();
    expect(await send(c, "before", 4)).toEqual({ granted: true, local: false });
    expect(await send(c, "before", 4)).toEqual({ granted: false, local: false });
  });
});
