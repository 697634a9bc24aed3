/**
 * The failover around a shared quota store, over a shared store that can be switched off
 * (its methods throw, as a stopped Redis's commands do). Times are explicit epoch ms.
 */
import { describe, expect, it } from "@jest/globals";
import { FailoverQuotaStore, MemoryQuotaStore, type AcquireRequest, type QuotaDemand, type QuotaStore } from "carewire";

const T0 = 1_800_000_000_000;
const requests: QuotaDemand = { name: "requests", limit: 10, windowMs: 1_000, cost: 1 };

/** A memory store standing in for Redis, and a switch that makes every command fail. */
function switchable(): { store: QuotaStore; down: (isDown: boolean) => void } {
  const inner = new MemoryQuotaStore();
  let isDown = false;
  const guard =
    <A extends unknown[], R>(f: (...args: A) => R) =>
    (...args: A): R => {
      if (isDown) throw new Error("connection is closed");
      return f(...args);
    };
  return {
    store: {
      acquire: guard((r: AcquireRequest) => inner.acquire(r)),
      settle: guard((...a: Parameters<MemoryQuotaStore["settle"]>) => inner.settle(...a)),
      cancel: guard((...a: Parameters<MemoryQuotaStore["cancel"]>) => inner.cancel(...a)),
      pause: guard((...a: Parameters<MemoryQuotaStore["pause"]>) => inner.pause(...a)),
      pausedUntil: guard((key: string) => inner.pausedUntil(key)),
      observe: guard((...a: Parameters<MemoryQuotaStore["observe"]>) => inner.observe(...a)),
      usage: guard((...a: Parameters<MemoryQuotaStore["usage"]>) => inner.usage(...a)),
    },
    down: (d) => (isDown = d),
  };
}

let n = 0;
const send = (store: QuotaStore, now: number) => store.acquire({ key: "k", id: `s${++n}`, now, demands: [requests] });

describe("FailoverQuotaStore", () => {
  it("shares while the shared store answers", async () => {
    const shared = switchable();
    const store = new FailoverQuotaStore(shared.store, { localShare: 0.5 });
    for (let i = 0; i < 10; i++) expect(await send(store, T0)).toEqual({ granted: true, at: T0 });
    expect(await send(store, T0)).toEqual({ granted: false, retryAt: T0 + 1_000 });
  });

  it("when it fails, paces alone on its share, counting its own sends of the last window, and says so", async () => {
    const shared = switchable();
    const store = new FailoverQuotaStore(shared.store, { localShare: 0.5, retryAfterMs: 500 });
    for (let i = 0; i < 4; i++) await send(store, T0);
    shared.down(true);
    // Share 5, own sends 4 in the window: one more now.
    expect(await send(store, T0 + 10)).toEqual({ granted: true, at: T0 + 10, local: true });
    expect(await send(store, T0 + 20)).toEqual({ granted: false, retryAt: T0 + 1_000, local: true });
    // Its own sends leave the window: five more.
    let granted = 0;
    for (let i = 0; i < 8; i++) if ((await send(store, T0 + 1_100)).granted) granted++;
    expect(granted).toBe(5);
  });

  it("back to shared, it also keeps to its share for one window (the shared store lost the outage's sends)", async () => {
    const shared = switchable();
    const states: string[] = [];
    const store = new FailoverQuotaStore(shared.store, { localShare: 0.5, retryAfterMs: 100, onStateChange: (s) => states.push(s) });
    shared.down(true);
    for (let i = 0; i < 5; i++) expect((await send(store, T0)).granted).toBe(true);
    shared.down(false);
    // Shared again at T0 + 200 (the shared window is empty), but this instance's 5 are still in its window.
    expect(await send(store, T0 + 200)).toEqual({ granted: false, retryAt: T0 + 1_000 });
    // A window later, the shared store alone decides.
    let granted = 0;
    for (let i = 0; i < 12; i++) if ((await send(store, T0 + 1_300)).granted) granted++;
    // The operator's listener heard each change once: shared again from the first shared answer.
    expect(states).toEqual(["local", "shared"]);
    expect(granted).toBeGreaterThanOrEqual(5);
    expect(granted).toBeLessThanOrEqual(10);
  });
});
