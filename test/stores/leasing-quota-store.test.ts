/**
 * Local leases over a shared quota store: one trip to the shared store serves the calls
 * waiting behind it (and a few spare sends while the window has room); what is not taken
 * in time, or falls in a pause, goes back. The shared store here is the memory store with
 * its trips counted; times are explicit epoch ms.
 */
import { describe, expect, it } from "@jest/globals";
import { LeasingQuotaStore } from "../../src/runtime/stores/leasing-quota-store.js";
import { MemoryQuotaStore } from "../../src/runtime/stores/memory-quota-store.js";
import { extraId, type AcquireRequest, type QuotaDemand, type QuotaStore } from "../../src/runtime/stores/quota-store.js";
import { waitFor } from "../helpers/windows.js";

const T0 = 1_800_000_000_000;
const requests = (limit: number, reserve?: number): QuotaDemand => ({ name: "requests", limit, windowMs: 1_000, cost: 1, ...(reserve !== undefined ? { reserve } : {}) });

/** The memory store, with every acquire it answers and every send it gets back written down. */
function counted() {
  const inner = new MemoryQuotaStore();
  const trips: AcquireRequest[] = [];
  const cancelled: string[] = [];
  /** Sends recorded in the shared window (granted, not given back). */
  const recorded = new Set<string>();
  const store: QuotaStore = {
    acquire: (request) => {
      trips.push(request);
      const answer = inner.acquire(request);
      if (answer.granted) [request.id, ...(answer.more ?? []).map((_, k) => extraId(request.id, k + 1))].forEach((id) => recorded.add(id));
      return answer;
    },
    settle: (...args) => inner.settle(...args),
    cancel: (key, id, demands) => (cancelled.push(id), recorded.delete(id), inner.cancel(key, id, demands)),
    pause: (...args) => inner.pause(...args),
    pausedUntil: (key) => inner.pausedUntil(key),
    observe: (...args) => inner.observe(...args),
    usage: (...args) => inner.usage(...args),
  };
  return { store, trips, cancelled, used: (_at: number) => recorded.size };
}

describe("leasing quota store", () => {
  it("takes a send for every call waiting behind this one in one trip, and hands them out with no other", async () => {
    const shared = counted();
    const leases = new LeasingQuotaStore(shared.store, { size: 1 });
    expect(await leases.acquire({ key: "k", id: "a", now: T0, demands: [requests(10)], waiting: 3 })).toEqual({ granted: true, at: T0 });
    expect(shared.trips).toHaveLength(1);
    expect(shared.trips[0]).toMatchObject({ count: 4 });
    // The next three calls take the leased sends: no trip, and each learns the id its send is recorded under.
    const next = await Promise.all(["b", "c", "d"].map((id) => leases.acquire({ key: "k", id, now: T0 + 1, demands: [requests(10)] })));
    expect(next).toEqual([1, 2, 3].map((k) => ({ granted: true, at: T0, id: extraId("a", k) })));
    expect(shared.trips).toHaveLength(1);
    expect(shared.used(T0)).toBe(4);
    // Settling and cancelling by those ids reach the shared window.
    await leases.cancel("k", extraId("a", 3), [requests(10)]);
    expect(shared.used(T0)).toBe(3);
  });

  it("takes spare sends only from a window with room to spare", async () => {
    const shared = counted();
    const leases = new LeasingQuotaStore(shared.store, { size: 4 });
    await leases.acquire({ key: "k", id: "a", now: T0, demands: [requests(6)] });
    expect(shared.trips[0]).toMatchObject({ count: 1, spare: 3 });
    // Half of 6 is 3: the send and two spares, no more.
    expect(shared.used(T0)).toBe(3);
    for (const id of ["b", "c"]) expect(await leases.acquire({ key: "k", id, now: T0, demands: [requests(6)] })).toMatchObject({ granted: true });
    expect(shared.trips).toHaveLength(1);
    // Past half used: the next trip takes the send alone.
    await leases.acquire({ key: "k", id: "d", now: T0 + 1, demands: [requests(6)] });
    expect(shared.trips).toHaveLength(2);
    expect(shared.used(T0 + 1)).toBe(4);
  });

  it("hands a leased send only to a call that asks the same of the same quotas", async () => {
    const shared = counted();
    const leases = new LeasingQuotaStore(shared.store, { size: 1 });
    await leases.acquire({ key: "k", id: "a", now: T0, demands: [requests(10)], waiting: 1 });
    // A batch send (it keeps a reserve) is not the same send: it goes to the shared store.
    expect(await leases.acquire({ key: "k", id: "batch", now: T0, demands: [requests(10, 2)] })).toEqual({ granted: true, at: T0 });
    expect(shared.trips).toHaveLength(2);
    expect(await leases.acquire({ key: "k", id: "b", now: T0, demands: [requests(10)] })).toEqual({ granted: true, at: T0, id: extraId("a", 1) });
  });

  it("gives back what no call took within the hold time", async () => {
    const shared = counted();
    const leases = new LeasingQuotaStore(shared.store, { size: 1, holdMs: 50 });
    await leases.acquire({ key: "k", id: "a", now: T0, demands: [requests(10)], waiting: 2 });
    expect(shared.used(T0)).toBe(3);
    // 60 ms later the two leased sends are stale: they go back, and this call makes its own trip.
    expect(await leases.acquire({ key: "k", id: "b", now: T0 + 60, demands: [requests(10)] })).toEqual({ granted: true, at: T0 + 60 });
    await Promise.resolve();
    expect(shared.cancelled.sort()).toEqual([extraId("a", 1), extraId("a", 2)]);
    expect(shared.used(T0 + 60)).toBe(2);
  });

  it("gives back the leased sends a pause covers", async () => {
    const shared = counted();
    const leases = new LeasingQuotaStore(shared.store, { size: 1 });
    await leases.acquire({ key: "k", id: "a", now: T0, demands: [requests(10)], waiting: 2 });
    await leases.pause("k", T0 + 30_000);
    await Promise.resolve();
    expect(shared.cancelled).toHaveLength(2);
    // The next call goes to the shared store, which holds it for the pause.
    expect(await leases.acquire({ key: "k", id: "b", now: T0 + 1, demands: [requests(10)] })).toEqual({ granted: false, retryAt: T0 + 30_000 });
  });

  it("gives back the last calls' leases once the calls stop, and on close", async () => {
    const shared = counted();
    const leases = new LeasingQuotaStore(shared.store, { size: 4, holdMs: 5 });
    await leases.acquire({ key: "k", id: "a", now: T0, demands: [requests(10)] });
    expect(shared.used(T0)).toBe(4);
    // No call comes: the sweep gives the three spares back on its own.
    await waitFor(() => shared.cancelled.length === 3, "the spares to go back");
    expect(shared.used(T0)).toBe(1);

    const closing = new LeasingQuotaStore(shared.store, { size: 3, holdMs: 60_000 });
    await closing.acquire({ key: "k", id: "z", now: T0, demands: [requests(10)] });
    await closing.close();
    expect(shared.cancelled).toEqual(expect.arrayContaining([extraId("z", 1), extraId("z", 2)]));
  });

  it("passes a single send straight through when leases are off", async () => {
    const shared = counted();
    const leases = new LeasingQuotaStore(shared.store, { size: 1 });
    await leases.acquire({ key: "k", id: "a", now: T0, demands: [requests(10)] });
    expect(shared.trips[0]).not.toHaveProperty("count");
  });
});
