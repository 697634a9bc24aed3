/**
 * Event numbers checked against `$status` before they are trusted: an absurd event number
 * is refused (alarmed, never held, never saved), a large jump the server confirms is taken,
 * and a server whose count falls below the last event handled raises a counter-reset alarm
 * instead of every later event silently passing as a duplicate.
 */
import { describe, expect, it } from "@jest/globals";
import { fhirSubscriptionServer, memorySubscriptionCheckpoint } from "carewire/fhir";
import { crafted, HEADERS, world } from "./harness.js";

const change = (n: number) => ({ resourceType: "Encounter", id: `e${n}`, status: "planned", class: { code: "AMB" } });

describe("event numbers checked against $status", () => {
  it("refuses an absurd event number: alarmed, not held, not saved, and later events still flow", async () => {
    const w = await world({});
    const checkpoint = memorySubscriptionCheckpoint();
    const sub = w.subscriber({ checkpoint });
    const { id } = await sub.start();
    await sub.receive(crafted(w.sim.url, id, 1e15), HEADERS);
    await w.settle(sub);
    expect(w.alarms).toEqual([{ kind: "event-number-refused", subscriptionId: id, eventNumber: 1e15, serverCount: 0 }]);
    for (const n of [1, 2]) w.sim.store.put(change(n));
    await w.settle(sub);
    expect(w.handled.map((e) => e.eventNumber)).toEqual([1, 2]);
    expect((await checkpoint.load(`${w.sim.url}/Subscription/${id}`))?.eventNumber).toBe(2);
    expect(w.notes.filter((n) => n.kind === "gap-detected")).toEqual([]);
  });

  it("takes a jump far ahead once $status confirms the server raised that many events", async () => {
    const w = await world({ faults: { drop: 1 } });
    const sub = w.subscriber();
    const { id } = await sub.start();
    for (let n = 1; n <= 1_500; n++) w.sim.store.put(change(n % 20));
    // Every notification was lost; only the last event's arrives.
    await sub.receive(crafted(w.sim.url, id, 1_500), HEADERS);
    await w.settle(sub);
    expect(w.alarms).toEqual([]);
    expect(sub.lastHandled).toBe(1_500);
  });

  it("raises counter-reset when the server's count falls below the last event handled", async () => {
    const w = await world({});
    const real = fhirSubscriptionServer({ baseUrl: w.sim.url, clock: w.clock }, "Encounter");
    let rebuilt = false;
    const sub = w.subscriber({ server: { ...real, status: async (sid) => (rebuilt ? { ...(await real.status(sid)), eventsSinceStart: 1 } : real.status(sid)) } });
    const { id } = await sub.start();
    for (const n of [1, 2, 3, 4]) w.sim.store.put(change(n));
    await w.settle(sub);
    expect(sub.lastHandled).toBe(4);
    rebuilt = true;
    // The rebuilt server's first event: number 1 again.
    await sub.receive(crafted(w.sim.url, id, 1), HEADERS);
    await w.settle(sub);
    expect(w.alarms).toEqual([{ kind: "counter-reset", subscriptionId: id, lastHandled: 4, serverCount: 1 }]);
    expect(sub.lastHandled).toBe(4);
  });
});
