/**
 * One contract, every breaker store: memory and Redis (a real redis-server, and a real
 * three-node Redis Cluster) count outcomes into one window per group, open, let exactly one
 * probe through, and close or re-open as the probe says. Times are explicit epoch ms.
 */
import { describe, expect, it } from "@jest/globals";
import { MemoryBreakerStore, type BreakerRules, type BreakerStore } from "carewire";
import { RedisBreakerStore } from "../../src/runtime/stores/redis/redis-breaker-store.js";
import { redisClusterForFile, redisForFile } from "../helpers/redis-for-file.js";
import { memoryAndRedis } from "../helpers/store-fleets.js";

const redis = redisForFile();
const cluster = redisClusterForFile();
const T0 = 1_800_000_000_000;
const rules: BreakerRules = { failureRatio: 0.5, minimumThroughput: 4, windowMs: 10_000, openMs: 5_000, probeLeaseMs: 30_000 };

describe.each(memoryAndRedis<BreakerStore>(redis, cluster, () => new MemoryBreakerStore(), (connection, prefix) => new RedisBreakerStore(connection, prefix)))("%s breaker store", (_name, make) => {
  /** A group opened at T0 by four failures. */
  async function opened(store: BreakerStore, group = "g") {
    for (let i = 0; i < 3; i++) expect(await store.record(group, "failure", T0, rules)).toEqual({ from: "closed", state: "closed", openedAt: 0 });
    expect(await store.record(group, "failure", T0, rules)).toEqual({ from: "closed", state: "open", openedAt: T0 });
  }

  /** Group "g" opened at T0, then half-open at T0 + openMs with probe "p" let through. */
  async function probing(store: BreakerStore) {
    await opened(store);
    await store.tryProbe("g", "p", T0 + 5_000, rules);
  }

  it("starts closed, and stays closed below the minimum throughput or the ratio", async () => {
    const { store } = make();
    expect(await store.state("g", T0)).toEqual({ state: "closed", openedAt: 0 });
    for (const outcome of ["failure", "success", "success", "success", "failure"] as const) await store.record("g", outcome, T0, rules);
    expect(await store.state("g", T0)).toEqual({ state: "closed", openedAt: 0 });
  });

  it("opens when the ratio is reached with enough outcomes, counted by every instance", async () => {
    const { store, another } = make();
    const b = another();
    await store.record("g", "failure", T0, rules);
    await b.record("g", "success", T0 + 1, rules);
    await store.record("g", "failure", T0 + 2, rules);
    expect(await b.record("g", "success", T0 + 3, rules)).toEqual({ from: "closed", state: "open", openedAt: T0 + 3 });
    expect(await store.state("g", T0 + 3)).toEqual({ state: "open", openedAt: T0 + 3 });
  });

  it("counts nothing for an outcome that says nothing", async () => {
    const { store } = make();
    for (let i = 0; i < 10; i++) await store.record("g", "unknown", T0, rules);
    for (let i = 0; i < 3; i++) await store.record("g", "failure", T0, rules);
    expect(await store.state("g", T0)).toEqual({ state: "closed", openedAt: 0 });
  });

  it("forgets outcomes that have left the window", async () => {
    const { store } = make();
    for (let i = 0; i < 3; i++) await store.record("g", "failure", T0, rules);
    for (let i = 0; i < 3; i++) await store.record("g", "success", T0 + 11_000, rules);
    expect(await store.record("g", "failure", T0 + 11_000, rules)).toMatchObject({ state: "closed" });
  });

  it("keeps groups apart", async () => {
    const { store } = make();
    await opened(store, "a");
    expect(await store.state("b", T0)).toEqual({ state: "closed", openedAt: 0 });
  });

  it("lets no probe through before openMs, then exactly one", async () => {
    const { store, another } = make();
    await opened(store);
    expect(await store.tryProbe("g", "p0", T0 + 4_999, rules)).toEqual({ granted: false, from: "open", state: "open", openedAt: T0 });
    const racers = [store, another(), another()];
    const answers = await Promise.all(Array.from({ length: 9 }, (_, i) => racers[i % 3]!.tryProbe("g", `p${i + 1}`, T0 + 5_000, rules)));
    expect(answers.filter((a) => a.granted)).toEqual([{ granted: true, from: "open", state: "half-open", openedAt: T0 }]);
    expect(answers.filter((a) => !a.granted).every((a) => a.state === "half-open")).toBe(true);
  });

  it("closes on the probe's success and forgets the failures before it", async () => {
    const { store } = make();
    await probing(store);
    expect(await store.record("g", "success", T0 + 5_100, rules, "p")).toEqual({ from: "half-open", state: "closed", openedAt: T0 });
    for (let i = 0; i < 3; i++) await store.record("g", "failure", T0 + 5_200, rules);
    expect(await store.state("g", T0 + 5_200)).toMatchObject({ state: "closed" });
  });

  it("re-opens for another openMs on the probe's failure", async () => {
    const { store } = make();
    await probing(store);
    expect(await store.record("g", "failure", T0 + 5_100, rules, "p")).toEqual({ from: "half-open", state: "open", openedAt: T0 + 5_100 });
    expect((await store.tryProbe("g", "q", T0 + 10_099, rules)).granted).toBe(false);
    expect((await store.tryProbe("g", "q", T0 + 10_100, rules)).granted).toBe(true);
  });

  it("lets the next call probe at once when the probe said nothing", async () => {
    const { store } = make();
    await probing(store);
    expect(await store.record("g", "unknown", T0 + 5_100, rules, "p")).toEqual({ from: "half-open", state: "open", openedAt: T0 + 100 });
    expect((await store.tryProbe("g", "q", T0 + 5_100, rules)).granted).toBe(true);
  });

  it("lets another probe through when the first one's lease runs out; the late report moves nothing", async () => {
    const { store, another } = make();
    await opened(store);
    await store.tryProbe("g", "lost", T0 + 5_000, rules);
    expect((await another().tryProbe("g", "next", T0 + 34_999, rules)).granted).toBe(false);
    expect(await another().tryProbe("g", "next", T0 + 35_000, rules)).toMatchObject({ granted: true, from: "half-open", state: "half-open" });
    expect(await store.record("g", "success", T0 + 35_001, rules, "lost")).toMatchObject({ from: "half-open", state: "half-open" });
    expect(await store.record("g", "success", T0 + 35_002, rules, "next")).toMatchObject({ from: "half-open", state: "closed" });
  });

  it("lets no probe through a closed circuit", async () => {
    const { store } = make();
    expect(await store.tryProbe("g", "p", T0, rules)).toEqual({ granted: false, from: "closed", state: "closed", openedAt: 0 });
  });
});
