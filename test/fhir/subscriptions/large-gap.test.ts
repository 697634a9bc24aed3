/**
 * A gap larger than the hold buffer (12,000 events, every notification lost) is filled
 * entirely from `$events`, page by page, each page handed over before the next is asked;
 * and a 429 on `$events` is retried through the pipeline with the gap still filled.
 */
import { describe, expect, it } from "@jest/globals";
import { HEARTBEAT_SECONDS, world } from "./harness.js";

describe("a gap larger than the hold buffer", () => {
  it("is filled entirely from $events, in order, and the caught-up note counts every event", async () => {
    const w = await world({ faults: { drop: 1 }, maxLoggedEvents: 20_000 });
    const sub = w.subscriber();
    const { id } = await sub.start();
    for (let n = 0; n < 12_000; n++) w.sim.store.put({ resourceType: "Encounter", id: `e${n % 50}`, status: "planned", class: { code: "AMB" } });
    await w.advance(sub, HEARTBEAT_SECONDS * 1000 + 2_000, 2_000);
    expect(w.sim.subscriptions!.eventCount(id)).toBe(12_000);
    expect(sub.lastHandled).toBe(12_000);
    expect(w.handled.map((e) => e.eventNumber)).toEqual(Array.from({ length: 12_000 }, (_, i) => i + 1));
    expect(w.handled.every((e) => e.via === "events")).toBe(true);
    expect(w.notes.filter((n) => n.kind === "caught-up")).toEqual([expect.objectContaining({ from: 1, to: 12_000, events: 12_000, via: "events" })]);
  }, 60_000);

  it("retries a 429 on $events through the pipeline and still fills the gap from the log", async () => {
    const w = await world({ faults: { drop: 1 } }, { faults: { script: { "Subscription.$events": [{ kind: "status", status: 429, retryAfter: 1 }] } } });
    const sub = w.subscriber();
    await sub.start();
    for (let n = 0; n < 5; n++) w.sim.store.put({ resourceType: "Encounter", id: `e${n}`, status: "planned", class: { code: "AMB" } });
    // Time moves on without waiting for the subscription to go idle: its retry sleeps on this clock.
    for (let round = 0; round < 400 && w.handled.length < 5; round++) {
      await w.clock.advance(250);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await w.settle(sub);
    expect(w.sim.counters.faults).toBe(1);
    expect(w.handled.map((e) => [e.eventNumber, e.via])).toEqual([1, 2, 3, 4, 5].map((n) => [n, "events"]));
    expect(w.alarms.filter((a) => a.kind !== "heartbeat-missed")).toEqual([]);
  });
});
