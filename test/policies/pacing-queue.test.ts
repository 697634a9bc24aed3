/**
 * Pacing's waiting room on its own, on a fake clock: a call that finds nobody waiting, a
 * free concurrency slot and a store that answers at once is admitted on the spot (no
 * Promise, no turn of the event loop); every other call queues and is let through in turn.
 */
import { describe, expect, it } from "@jest/globals";
import { FakeClock } from "carewire/testing";
import { MemoryQuotaStore } from "../../src/runtime/stores/memory-quota-store.js";
import type { QuotaDemand, QuotaStore } from "../../src/runtime/stores/quota-store.js";
import { slotQueue, type Admission } from "../../src/runtime/policies/pacing-queue.js";

const requests = (limit: number): QuotaDemand[] => [{ name: "requests", limit, windowMs: 1_000, cost: 1 }];

function queueOver(store: QuotaStore, maxConcurrent = 4) {
  const clock = new FakeClock({ start: 0 });
  return { clock, store, ...slotQueue({ store, key: "acme:default", clock, maxConcurrent, maxWaitMs: 60_000 }) };
}

/** The memory store's methods, each answering through a Promise: a store on the network. */
function answeringLater(inner: MemoryQuotaStore): QuotaStore {
  return {
    acquire: async (request) => inner.acquire(request),
    settle: async (...args) => inner.settle(...args),
    cancel: async (...args) => inner.cancel(...args),
    pause: async (...args) => inner.pause(...args),
    pausedUntil: async (key) => inner.pausedUntil(key),
    observe: async (...args) => inner.observe(...args),
    usage: async (...args) => inner.usage(...args),
  };
}

describe("pacing queue: admission on the spot", () => {
  it("admits a call that finds room at once, without a Promise, and records its send in the window", () => {
    const { acquire, release } = queueOver(new MemoryQuotaStore());
    const admission = acquire("interactive", requests(2), undefined, undefined);
    expect(admission).not.toBeInstanceOf(Promise);
    expect((admission as Admission).local).toBe(false);
    expect(acquire("interactive", requests(2), undefined, undefined)).not.toBeInstanceOf(Promise);
    release();
    release();
    // Both sends are in the window: a third has to wait for one to leave it.
    expect(acquire("interactive", requests(2), undefined, undefined)).toBeInstanceOf(Promise);
  });

  it("queues a call the window has no room for, and lets it through once a slot leaves the window", async () => {
    const { clock, acquire, release } = queueOver(new MemoryQuotaStore());
    expect(acquire("interactive", requests(1), undefined, undefined)).not.toBeInstanceOf(Promise);
    release();
    const second = acquire("interactive", requests(1), undefined, undefined);
    expect(second).toBeInstanceOf(Promise);
    let admitted = false;
    void (second as Promise<Admission>).then(() => (admitted = true));
    await clock.advance(999);
    expect(admitted).toBe(false);
    await clock.advance(1);
    await second;
    expect(admitted).toBe(true);
  });

  it("queues behind the concurrency cap and behind a call already waiting", async () => {
    const { acquire, release } = queueOver(new MemoryQuotaStore(), 1);
    expect(acquire("interactive", [], undefined, undefined)).not.toBeInstanceOf(Promise);
    const second = acquire("batch", [], undefined, undefined);
    const third = acquire("critical", [], undefined, undefined);
    expect(second).toBeInstanceOf(Promise);
    expect(third).toBeInstanceOf(Promise);
    const order: string[] = [];
    void (second as Promise<Admission>).then(() => order.push("batch"));
    void (third as Promise<Admission>).then(() => order.push("critical"));
    release();
    await third;
    expect(order).toEqual(["critical"]);
    release();
    await second;
    expect(order).toEqual(["critical", "batch"]);
  });

  it("honours a pause the server asked for: no call goes on the spot while it lasts", async () => {
    const inner = new MemoryQuotaStore();
    const { clock, acquire } = queueOver(inner);
    inner.pause("acme:default", 500);
    const held = acquire("interactive", [], undefined, undefined);
    expect(held).toBeInstanceOf(Promise);
    await clock.advance(500);
    await expect(held).resolves.toEqual(expect.objectContaining({ local: false }));
  });

  it("takes the answer of a store that says it answers at once and answers through a Promise: one send recorded, admitted", async () => {
    const inner = new MemoryQuotaStore();
    const late: QuotaStore = { ...answeringLater(inner), answersAtOnce: true };
    const { acquire } = queueOver(late);
    await expect(acquire("interactive", requests(1), undefined, undefined)).resolves.toEqual(expect.objectContaining({ local: false }));
    // The window holds that one send: the next waits.
    expect(inner.acquire({ key: "acme:default", id: "probe", now: 0, demands: requests(1), bookUntil: 0 }).granted).toBe(false);
  });

  it("queues every call when the store answers through a Promise", async () => {
    const { acquire } = queueOver(answeringLater(new MemoryQuotaStore()));
    const admission = acquire("interactive", requests(2), undefined, undefined);
    expect(admission).toBeInstanceOf(Promise);
    await expect(admission).resolves.toEqual(expect.objectContaining({ local: false }));
  });
});
