/**
 * The simulator's subscription engine seen from the wire: a Subscription it cannot run is
 * refused with an OperationOutcome, `$events` answers a query-event Bundle for a range,
 * a server without `$events` says so (and does not advertise it), and the seeded faults
 * replay the same way for the same seed.
 */
import { describe, expect, it } from "@jest/globals";
import { readNotification, subscriptionResource } from "carewire/fhir";
import { SECRET_HEADER, TOPIC, world } from "./harness.js";

const json = async (response: Response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> });

async function postSubscription(url: string, resource: unknown) {
  return json(await fetch(`${url}/Subscription`, { method: "POST", headers: { "content-type": "application/fhir+json" }, body: JSON.stringify(resource) }));
}

describe("the simulator's subscriptions", () => {
  it.each([
    ["an unknown topic", { topic: "http://example.org/other" }, "topic"],
    ["an endpoint that is not http(s)", { endpoint: "ftp://x/hook" }, "endpoint"],
    ["a filter on another type", { filters: ["Patient?gender=female"] }, "filter"],
  ])("refuses a Subscription with %s (422, an OperationOutcome)", async (_why, change, word) => {
    const w = await world({});
    const resource = subscriptionResource({ topic: TOPIC, filters: [], endpoint: w.receiver.url, header: SECRET_HEADER, heartbeatSeconds: 10, payload: "id-only", ...change });
    const answer = await postSubscription(w.sim.url, resource);
    expect(answer.status).toBe(422);
    expect(answer.body.resourceType).toBe("OperationOutcome");
    expect(JSON.stringify(answer.body)).toContain(word);
  });

  it("answers $events with the logged events of a range, each with its focus", async () => {
    const w = await world({});
    const sub = w.subscriber();
    const { id } = await sub.start();
    for (const n of [1, 2, 3, 4, 5]) w.sim.store.put({ resourceType: "Encounter", id: `e${n % 2}`, status: "planned", class: { code: "AMB" } });
    await w.settle(sub);
    const answer = await json(await fetch(`${w.sim.url}/Subscription/${id}/$events?eventsSinceNumber=2&eventsUntilNumber=4`));
    const read = readNotification(answer.body, "events");
    expect(read).toMatchObject({ subscriptionId: id, type: "query-event", eventsSinceStart: 5 });
    expect(read.events.map((e) => [e.eventNumber, e.focus, e.resource?.meta?.versionId])).toEqual([
      [2, "Encounter/e0", "1"],
      [3, "Encounter/e1", "2"],
      [4, "Encounter/e0", "2"],
    ]);
  });

  it("without $events: answers 501 not-supported and leaves it out of the CapabilityStatement", async () => {
    const w = await world({ eventsOperation: false });
    const { id } = await w.subscriber().start();
    const answer = await json(await fetch(`${w.sim.url}/Subscription/${id}/$events`));
    expect(answer.status).toBe(501);
    const capability = (await json(await fetch(`${w.sim.url}/metadata`))).body as { rest: Array<{ resource: Array<{ type: string; operation?: Array<{ name: string }> }> }> };
    expect(capability.rest[0]!.resource.find((r) => r.type === "Subscription")?.operation?.map((o) => o.name)).toEqual(["status"]);
  });

  it("drops and duplicates the same notifications for the same seed", async () => {
    const run = async () => {
      const w = await world({ faults: { seed: 42, drop: 0.2, duplicate: 0.2 } });
      const sub = w.subscriber();
      await sub.start();
      for (let n = 0; n < 50; n++) w.sim.store.put({ resourceType: "Encounter", id: `e${n}`, status: "planned", class: { code: "AMB" } });
      await w.settle(sub);
      const { dropped, sent } = w.sim.subscriptions!.counters;
      // Sent: the handshake, each notification not dropped, and the second copies.
      return { dropped, duplicated: sent - 1 - (50 - dropped) };
    };
    const first = await run();
    expect(first.dropped).toBeGreaterThan(0);
    expect(first.duplicated).toBeGreaterThan(0);
    expect(await run()).toEqual(first);
  });
});
