/**
 * A search catch-up saves its progress as it hands over: after a crash part way (here the
 * app's handler stops the first receiver), the restarted receiver searches on from the last
 * resource handed over instead of handing the whole gap over again.
 */
import { describe, expect, it } from "@jest/globals";
import { memorySubscriptionCheckpoint } from "carewire/fhir";
import { HEARTBEAT_SECONDS, world } from "./harness.js";

describe("a search catch-up's progress", () => {
  it("is saved as it hands over, so a restart does not hand the gap's earlier resources over again", async () => {
    const w = await world({ faults: { drop: 1 }, eventsOperation: false });
    const checkpoint = memorySubscriptionCheckpoint();
    const first = w.subscriber({
      checkpoint,
      onEvent: (event) => {
        if (event.focus === "Encounter/c") throw new Error("the app went down");
        w.handled.push(event);
      },
    });
    await first.start();
    for (const id of ["a", "b", "c"]) {
      w.sim.store.put({ resourceType: "Encounter", id, status: "planned", class: { code: "AMB" } });
      await w.clock.advance(100);
    }
    await w.advance(first, HEARTBEAT_SECONDS * 1000 + 2_000, 1_000);
    expect(w.handled.map((e) => e.focus)).toEqual(["Encounter/a", "Encounter/b"]);
    await first.close();

    const second = w.subscriber({ checkpoint });
    await second.start();
    await w.settle(second);
    const focuses = w.handled.map((e) => e.focus);
    // `ge` on the saved instant: only what was stamped at that very instant may come again.
    expect(focuses.filter((f) => f === "Encounter/a")).toHaveLength(1);
    expect(focuses.at(-1)).toBe("Encounter/c");
    expect(second.lastHandled).toBe(3);
  });
});
