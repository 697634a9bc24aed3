/**
 * What a `$events` answer means: only 405 and 501 (or a 400 from a server whose
 * CapabilityStatement lists no `$events`) say the server has no `$events`; a 404
 * says the Subscription is gone (an alarm); any other failure is a `catch-up-failed` alarm,
 * and the next catch-up asks `$events` again.
 */
import { describe, expect, it } from "@jest/globals";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fhirSubscriptionServer, SubscriptionGoneError } from "carewire/fhir";
import { FakeClock } from "carewire/testing";
import { HEARTBEAT_SECONDS, world } from "./harness.js";

/** A server answering `status` to everything but `/metadata`, where it serves a CapabilityStatement whose Subscription has `operations`. */
async function answering(status: number, operations: readonly string[] = ["status", "events"]): Promise<{ url: string; close: () => Promise<void> }> {
  const capability = { resourceType: "CapabilityStatement", rest: [{ mode: "server", resource: [{ type: "Subscription", operation: operations.map((name) => ({ name })) }] }] };
  const server = http.createServer((req, res) => {
    const metadata = req.url === "/metadata";
    res.writeHead(metadata ? 200 : status, { "content-type": "application/fhir+json" }).end(JSON.stringify(metadata ? capability : { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "processing" }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("$events answers", () => {
  it.each([
    ["405", 405, ["status", "events"]],
    ["501", 501, ["status", "events"]],
    ["a 400 where the CapabilityStatement lists no $events", 400, ["status"]],
  ] as const)("reads %s as a server without $events", async (_what, status, operations) => {
    const server = await answering(status, operations);
    try {
      const subscriptions = fhirSubscriptionServer({ baseUrl: server.url, clock: new FakeClock(), retry: false }, "Encounter");
      await expect(subscriptions.events("1", 1, 5, "id-only")).resolves.toBe("unsupported");
    } finally {
      await server.close();
    }
  });

  it("reads a 404 as the Subscription gone, and a 400 as a failure to try again, never as a server without $events", async () => {
    for (const [status, kind] of [
      [404, "subscription-gone"],
      [400, undefined],
    ] as const) {
      const server = await answering(status);
      try {
        const subscriptions = fhirSubscriptionServer({ baseUrl: server.url, clock: new FakeClock(), retry: false }, "Encounter");
        const failure = await subscriptions.events("1", 1, 5, "id-only").then(
          (answer) => answer,
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(Error);
        if (kind) expect(failure).toBeInstanceOf(SubscriptionGoneError);
        else expect(failure).not.toBeInstanceOf(SubscriptionGoneError);
      } finally {
        await server.close();
      }
    }
  });

  it("alarms subscription-gone when $events answers 404 during a catch-up", async () => {
    const w = await world({ faults: { drop: 1 } });
    const real = fhirSubscriptionServer({ baseUrl: w.sim.url, clock: w.clock }, "Encounter");
    const sub = w.subscriber({ server: { ...real, events: async () => Promise.reject(new SubscriptionGoneError("the server no longer knows the Subscription")) } });
    const { id } = await sub.start();
    w.sim.store.put({ resourceType: "Encounter", id: "e1", status: "planned", class: { code: "AMB" } });
    await w.advance(sub, HEARTBEAT_SECONDS * 1000 + 2_000, 1_000);
    expect(w.alarms).toContainEqual({ kind: "subscription-gone", subscriptionId: id });
    expect(w.handled).toEqual([]);
  });

  it("after a failed $events (400) asks $events again at the next catch-up and fills the gap from it", async () => {
    const w = await world({ faults: { drop: 1 } });
    const real = fhirSubscriptionServer({ baseUrl: w.sim.url, clock: w.clock }, "Encounter");
    let failures = 1;
    const sub = w.subscriber({
      server: {
        ...real,
        events: async (...args) => {
          if (failures-- > 0) throw Object.assign(new Error("bad request"), { kind: "permanent" });
          return real.events(...args);
        },
      },
    });
    const { id } = await sub.start();
    w.sim.store.put({ resourceType: "Encounter", id: "e1", status: "planned", class: { code: "AMB" } });
    await w.advance(sub, 2 * (HEARTBEAT_SECONDS * 1000 + 2_000), 1_000);
    expect(w.alarms).toContainEqual({ kind: "catch-up-failed", subscriptionId: id, errorKind: "permanent" });
    expect(w.handled.map((e) => [e.eventNumber, e.via])).toEqual([[1, "events"]]);
  });
});
