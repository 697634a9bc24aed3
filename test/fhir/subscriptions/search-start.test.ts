/**
 * Event timestamps are read as instants (a malformed one refuses the notification), and a
 * search catch-up starts at the latest `meta.lastUpdated` handed over, not at an event's
 * timestamp, which may be later than the change it reports.
 */
import { describe, expect, it } from "@jest/globals";
import { MalformedNotificationError, parseNotification } from "carewire/fhir";
import { crafted, HEADERS, HEARTBEAT_SECONDS, world } from "./harness.js";

describe("event timestamps", () => {
  it.each(["yesterday", "2026-11-30", "2026-13-45T99:00:00Z"])("refuses a notification whose event timestamp is %s", (timestamp) => {
    expect(() => parseNotification(crafted("http://fhir.example", "s1", 1, 1, "Encounter/x", timestamp))).toThrow(MalformedNotificationError);
  });

  it("reads an instant with an offset", () => {
    expect(parseNotification(crafted("http://fhir.example", "s1", 1, 1, "Encounter/x", "2026-11-30T09:00:00.5+01:00")).events[0]?.timestamp).toBe("2026-11-30T09:00:00.5+01:00");
  });

  it("starts a search catch-up at the resource's lastUpdated, so a change between it and a later event timestamp is not skipped", async () => {
    const w = await world({ faults: { drop: 1 }, eventsOperation: false });
    const sub = w.subscriber({ payload: "id-only" });
    const { id } = await sub.start();
    w.sim.store.put({ resourceType: "Encounter", id: "x", status: "planned", class: { code: "AMB" } });
    // The server stamps the event far later than the change it reports.
    await sub.receive(crafted(w.sim.url, id, 1, 1, "Encounter/x", "2030-01-01T00:00:00Z"), HEADERS);
    await w.settle(sub);
    await w.clock.advance(1_000);
    w.sim.store.put({ resourceType: "Encounter", id: "y", status: "planned", class: { code: "AMB" } });
    await w.advance(sub, HEARTBEAT_SECONDS * 1000 + 2_000, 1_000);
    expect(w.handled.map((e) => [e.focus, e.via])).toEqual([
      ["Encounter/x", "notification"],
      ["Encounter/y", "search"],
    ]);
    expect(sub.lastHandled).toBe(2);
  });
});
