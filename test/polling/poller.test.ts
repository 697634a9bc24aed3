/**
 * The poller on a fake clock, against an in-memory feed: cadence within its bounds, pollSoon,
 * schedules that do not line up, pauses for a 429 and an open circuit.
 */
import { describe, expect, it } from "@jest/globals";
import type { Patient } from "fhir/r4.js";
import { FakeClock } from "../../src/testing/fake-clock.js";
import { CircuitOpenError, RateLimitedError } from "../../src/runtime/core/errors.js";
import { seededRandom } from "../../src/testing/simulator/random.js";
import { fhirChangesTarget, poller, type PollEvent, type PolledChanges, type PollTarget } from "../../src/polling/index.js";
import { Feed, run, versions } from "./feed.js";

const T0 = Date.UTC(2030, 0, 1);

function setup(options: { tenants?: number; perTenant?: number; jitter?: number; minIntervalMs?: number; maxIntervalMs?: number; concurrency?: number } = {}) {
  const clock = new FakeClock({ start: T0 });
  const feeds = new Map<string, Feed>();
  const targets: Array<PollTarget<Patient>> = [];
  for (let t = 0; t < (options.tenants ?? 1); t++) {
    for (let k = 0; k < (options.perTenant ?? 1); k++) {
      const feed = new Feed();
      const key = `clinic-${t}/feed-${k}`;
      feeds.set(key, feed);
      targets.push(fhirChangesTarget(feed, { key, tenant: `clinic-${t}`, startAt: new Date(T0).toISOString() }));
    }
  }
  const events: PollEvent[] = [];
  const handed: Array<PolledChanges<Patient>> = [];
  const p = poller<Patient>({
    targets,
    clock,
    random: seededRandom(7),
    jitter: options.jitter ?? 0,
    minIntervalMs: options.minIntervalMs ?? 10_000,
    maxIntervalMs: options.maxIntervalMs ?? 80_000,
    initialIntervalMs: options.minIntervalMs ?? 10_000,
    concurrency: options.concurrency ?? 4,
    onChange: (c) => void handed.push(c),
    observer: (e) => void events.push(e),
  });
  return { clock, feeds, p, events, handed, feed: feeds.get("clinic-0/feed-0")! };
}

const pollTimes = (events: readonly PollEvent[], key?: string) => events.filter((e) => e.type === "poll" && (key === undefined || e.key === key)).map((e) => e.at - T0);

describe("cadence", () => {
  it("polls at the fastest after a change and twice as slowly after each quiet poll, up to the maximum", async () => {
    const { clock, feed, p, events } = setup();
    p.start();
    await run(clock, 1_000);
    feed.write("a", T0 + 500);
    await run(clock, 400_000);
    await p.stop();
    const times = pollTimes(events);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // The first poll (at its phase) finds the change: back to 10 s, then 20, 40, 80, 80…
    expect(gaps.slice(0, 6)).toEqual([10_000, 20_000, 40_000, 80_000, 80_000, 80_000]);
    expect(events.filter((e) => e.type === "cadence").map((e) => e.type === "cadence" && e.toMs)).toEqual([20_000, 40_000, 80_000]);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(10_000);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(80_000);
  });

  it("speeds up again when a quiet target changes", async () => {
    const { clock, feed, p, events } = setup();
    p.start();
    await run(clock, 300_000);
    expect(p.intervalOf("clinic-0/feed-0")).toBe(80_000);
    feed.write("a", clock.now());
    await run(clock, 80_000);
    await p.stop();
    expect(events.some((e) => e.type === "changed")).toBe(true);
    const after = events.filter((e) => e.type === "cadence" && e.fromMs === 80_000);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ toMs: 10_000 });
  });
});

describe("pollSoon", () => {
  it("polls a quiet target at once when told something changed, then keeps its cadence", async () => {
    const { clock, feed, p, events } = setup();
    p.start();
    await run(clock, 300_000);
    const before = pollTimes(events).length;
    feed.write("a", clock.now());
    expect(p.pollSoon("clinic-0/feed-0")).toBe(true);
    expect(p.pollSoon("no-such-target")).toBe(false);
    await run(clock, 500);
    await p.stop();
    expect(pollTimes(events).length).toBe(before + 1);
    expect(events.at(-2)).toMatchObject({ type: "changed", changes: 1 });
  });

  it("polls again right after the current poll when told something changed while it ran", async () => {
    const clock = new FakeClock({ start: T0 });
    const feed = new Feed();
    const polls: number[] = [];
    let gate: Promise<void> | undefined;
    const slowSearch: typeof feed = Object.assign(Object.create(feed) as Feed, {
      async *searchPages(params: Parameters<Feed["searchPages"]>[0]) {
        polls.push(clock.now() - T0);
        if (gate !== undefined) await gate;
        yield* feed.searchPages(params);
      },
    });
    const handed: string[] = [];
    const p = poller<Patient>({ targets: [fhirChangesTarget(slowSearch, { key: "k", tenant: "t", startAt: new Date(T0).toISOString() })], clock, jitter: 0, minIntervalMs: 60_000, maxIntervalMs: 60_000, initialIntervalMs: 60_000, onChange: (c) => void handed.push(...versions(c.changes)) });
    p.start();
    await run(clock, 60_000);
    const before = polls.length;
    gate = clock.sleep(2_000);
    p.pollSoon("k");
    await run(clock, 500);
    // The poll is under way (its search waits); the change lands after it read, and the webhook says so.
    expect(polls.length).toBe(before + 1);
    feed.write("a", clock.now());
    expect(p.pollSoon("k")).toBe(true);
    gate = undefined;
    await run(clock, 3_000);
    const stopping = p.stop();
    await run(clock, 1_000);
    await stopping;
    expect(polls.length).toBe(before + 2);
    expect(handed).toEqual(["a@1"]);
  });
});

describe("spread", () => {
  it("keeps 200 targets of 100 tenants on one cadence from polling in the same second", async () => {
    const { clock, p, events } = setup({ tenants: 100, perTenant: 2, jitter: 0.1, minIntervalMs: 30_000, maxIntervalMs: 30_000, concurrency: 200 });
    p.start();
    await run(clock, 600_000, 1_000);
    await p.stop();
    const perSecond = new Map<number, number>();
    for (const t of pollTimes(events)) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    const busiest = Math.max(...perSecond.values());
    // 200 polls per 30 s is 6.7 a second on average; lined up, all 200 would fall in one second.
    expect(pollTimes(events).length).toBeGreaterThan(3_800);
    expect(busiest).toBeLessThanOrEqual(20);
  });

  it("gives a target the same phase on every start (a hash of tenant and key)", async () => {
    const first = setup({ tenants: 3 });
    const second = setup({ tenants: 3 });
    for (const s of [first, second]) {
      s.p.start();
      await run(s.clock, 10_000);
      await s.p.stop();
    }
    expect(pollTimes(first.events)).toEqual(pollTimes(second.events));
    expect(new Set(pollTimes(first.events)).size).toBe(3);
  });
});

describe("pauses", () => {
  it("holds every target of a tenant until the 429's Retry-After, and only that tenant", async () => {
    const { clock, feeds, p, events } = setup({ tenants: 2, perTenant: 2, minIntervalMs: 10_000, maxIntervalMs: 10_000 });
    const retryAt = T0 + 95_000;
    feeds.get("clinic-0/feed-0")!.failures.push(new RateLimitedError(retryAt, "HTTP 429; Retry-After beyond the deadline"));
    p.start();
    await run(clock, 150_000);
    await p.stop();
    const paused = events.find((e) => e.type === "paused");
    expect(paused).toMatchObject({ tenant: "clinic-0", reason: "rate-limited", until: retryAt });
    const pausedAt = paused!.at - T0;
    for (const key of ["clinic-0/feed-0", "clinic-0/feed-1"]) {
      const times = pollTimes(events, key);
      expect(times.filter((t) => t > pausedAt && t < retryAt - T0)).toEqual([]);
      expect(times.some((t) => t >= retryAt - T0)).toBe(true);
    }
    // The other tenant kept its 10 s cadence through the pause.
    expect(pollTimes(events, "clinic-1/feed-0").filter((t) => t > pausedAt && t < retryAt - T0).length).toBeGreaterThanOrEqual(7);
  });

  it("reads a 429's pause from meta.rateLimit when the error names no time", async () => {
    const { clock, feed, p, events } = setup();
    const throttled = Object.assign(new Error("HTTP 429"), { kind: "http", status: 429, meta: { rateLimit: { pausedUntil: T0 + 61_000 } } });
    feed.failures.push(throttled);
    p.start();
    await run(clock, 120_000);
    await p.stop();
    expect(events.find((e) => e.type === "paused")).toMatchObject({ reason: "rate-limited", until: T0 + 61_000 });
    const times = pollTimes(events);
    expect(times[1]).toBeGreaterThanOrEqual(61_000);
  });

  it("waits out an open circuit until the breaker lets a probe through", async () => {
    const { clock, feed, p, events } = setup();
    feed.failures.push(new CircuitOpenError("fhir Patient", T0 + 42_000));
    p.start();
    await run(clock, 60_000);
    await p.stop();
    expect(events.find((e) => e.type === "paused")).toMatchObject({ reason: "circuit-open", until: T0 + 42_000 });
    expect(pollTimes(events)[1]).toBe(42_000);
  });
});
