/**
 * An event whose focus is of another type than the subscription's (`Patient/5` on an
 * Encounter subscription) is refused with an alarm and never handed over: with an id-only
 * payload it must not be read as `Encounter/5`.
 */
import { describe, expect, it } from "@jest/globals";
import { crafted, HEADERS, world } from "./harness.js";

describe("an event's focus type", () => {
  it("refuses a focus of another type with an alarm, hands nothing over for it, and moves past it", async () => {
    const w = await world({});
    const sub = w.subscriber({ payload: "id-only" });
    const { id } = await sub.start();
    w.sim.store.put({ resourceType: "Encounter", id: "5", status: "planned", class: { code: "AMB" } });
    await w.settle(sub);
    await sub.receive(crafted(w.sim.url, id, 2, 2, "Patient/5"), HEADERS);
    await w.settle(sub);
    expect(w.handled.map((e) => [e.eventNumber, e.focus])).toEqual([[1, "Encounter/5"]]);
    expect(w.alarms).toEqual([{ kind: "focus-refused", subscriptionId: id, eventNumber: 2 }]);
    expect(sub.lastHandled).toBe(2);
  });
});
