/**
 * The failover around the shared token and breaker stores, over a memory store standing
 * in for Redis that can be switched off (its methods throw, as a stopped Redis's commands
 * do). Nothing throws to the caller; the local store answers; the shared one is asked again
 * after `retryAfterMs`. Times are explicit epoch ms.
 */
import { describe, expect, it } from "@jest/globals";
import { FailoverBreakerStore, FailoverTokenStore, MemoryBreakerStore, MemoryTokenStore, type BreakerRules } from "carewire";

const T0 = 1_800_000_000_000;
const rules: BreakerRules = { failureRatio: 0.5, minimumThroughput: 2, windowMs: 10_000, openMs: 5_000, probeLeaseMs: 30_000 };

/** `inner` behind a switch: while down, every method throws. */
function switchable<T extends object>(inner: T): { store: T; down: (isDown: boolean) => void; calls: () => number } {
  let isDown = false;
  let calls = 0;
  const store = new Proxy(inner, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls++;
        if (isDown) throw new Error("Connection is closed.");
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, down: (d) => (isDown = d), calls: () => calls };
}

describe("FailoverBreakerStore", () => {
  it("shares while the shared store answers, judges alone while it is out, and shares again after retryAfterMs", async () => {
    const shared = switchable(new MemoryBreakerStore());
    const store = new FailoverBreakerStore(shared.store, { retryAfterMs: 1_000 });
    await store.record("g", "failure", T0, rules);
    await store.record("g", "failure", T0, rules);
    expect(await store.state("g", T0)).toMatchObject({ state: "open" });

    shared.down(true);
    // Out: this instance knows nothing of the shared circuit and judges alone.
    expect(await store.state("g", T0 + 1)).toEqual({ state: "closed", openedAt: 0 });
    const asked = shared.calls();
    for (let i = 0; i < 2; i++) await store.record("g", "failure", T0 + 2, rules);
    expect(shared.calls()).toBe(asked); // not asked again within retryAfterMs
    expect(await store.state("g", T0 + 2)).toEqual({ state: "open", openedAt: T0 + 2 });

    shared.down(false);
    expect(await store.state("g", T0 + 1_001)).toEqual({ state: "open", openedAt: T0 });
  });

  it("takes a probe's report back to the store that let it through", async () => {
    const shared = switchable(new MemoryBreakerStore());
    const store = new FailoverBreakerStore(shared.store, { retryAfterMs: 0 });
    shared.down(true);
    for (let i = 0; i < 2; i++) await store.record("g", "failure", T0, rules);
    expect(await store.tryProbe("g", "p", T0 + 5_000, rules)).toMatchObject({ granted: true, state: "half-open" });
    shared.down(false);
    expect(await store.record("g", "success", T0 + 5_001, rules, "p")).toEqual({ from: "half-open", state: "closed", openedAt: T0 });
  });
});

describe("FailoverTokenStore", () => {
  const token = { value: "tok-1", refreshAt: T0 + 50_000, expiresAt: T0 + 60_000 };

  it("serves the token it stored while the shared store was up, and locks locally while it is out", async () => {
    const shared = switchable(new MemoryTokenStore());
    const store = new FailoverTokenStore(shared.store, { retryAfterMs: 1_000 });
    await store.set("k", token, T0);
    await shared.store.tryLock("k", "another-instance", T0, 60_000);

    shared.down(true);
    expect(await store.get("k", T0 + 1)).toEqual(token);
    expect(await store.tryLock("k", "me", T0 + 1, 60_000)).toBe(true);
    await store.unlock("k", "me");
    expect(await store.invalidate("k", "tok-1")).toBe(true);
    expect(await store.get("k", T0 + 2)).toBeUndefined();

    shared.down(false);
    // Back after retryAfterMs: the shared lock (held by another instance) counts again.
    expect(await store.tryLock("k", "me", T0 + 1_002, 60_000)).toBe(false);
    expect(await store.get("k", T0 + 1_002)).toEqual(token);
  });
});
