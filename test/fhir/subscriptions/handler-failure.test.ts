/**
 * The app's handler failing: the event stays next in line (nothing after it is handed
 * over), an alarm says which, and the next notification offers it again, once.
 */
import { describe, expect, it } from "@jest/globals";
import { world } from "./harness.js";

describe("a failing handler", () => {
  it("keeps the event next in line and hands it over again later, once, in order", async () => {
    const w = await world({});
    let failures = 1;
    const order: number[] = [];
    const sub = w.subscriber({
      onEvent: (event) => {
        if (event.eventNumber === 3 && failures-- > 0) throw new Error("the app's database is away");
        order.push(event.eventNumber);
      },
    });
    const { id } = await sub.start();
    // One change at a time: each notification is in before the next change is made.
    const change = async (n: number) => {
      w.sim.store.put({ resourceType: "Encounter", id: `e${n}`, status: "planned", class: { code: "AMB" } });
      await w.settle(sub);
    };
    for (const n of [1, 2, 3]) await change(n);
    expect(order).toEqual([1, 2]);
    expect(sub.lastHandled).toBe(2);
    expect(w.alarms).toEqual([{ kind: "handler-failed", subscriptionId: id, eventNumber: 3 }]);
    await change(4);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(sub.lastHandled).toBe(4);
  });
});
