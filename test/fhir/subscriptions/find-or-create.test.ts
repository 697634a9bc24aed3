/**
 * Finding one's own Subscription or making it, against the simulator: the first start
 * creates (handshake, then active), a second instance with the same request reuses it, a
 * different request makes its own, a Subscription the server turned off is made requested
 * again, and a request the server cannot run is a typed setup error.
 */
import { describe, expect, it } from "@jest/globals";
import type { Subscription } from "fhir/r4.js";
import { SubscriptionSetupError } from "carewire/fhir";
import { HEARTBEAT_SECONDS, TOPIC, world } from "./harness.js";

describe("find or create", () => {
  it("creates once, handshakes to active, and reuses the same Subscription from a second instance", async () => {
    const w = await world({});
    const first = await w.subscriber().start();
    expect(first.reused).toBe(false);
    expect(w.sim.store.read("Subscription", first.id)?.status).toBe("active");
    const second = await w.subscriber().start();
    expect(second).toEqual({ id: first.id, reused: true });
    expect(w.sim.store.count("Subscription")).toBe(1);
  });

  it("reuses its Subscription on a server that masks the channel header on read, found by carewire's tag", async () => {
    const w = await world({ maskHeaders: true });
    const first = await w.subscriber().start();
    const stored = w.sim.store.read("Subscription", first.id) as unknown as Subscription;
    expect(stored.channel.header).toEqual(["Authorization: ***"]);
    expect(stored.meta?.tag?.[0]?.system).toBe("https://carewire.dev/fhir/subscription-key");
    const sub = w.subscriber();
    expect(await sub.start()).toEqual({ id: first.id, reused: true });
    expect(w.sim.store.count("Subscription")).toBe(1);
    w.sim.store.put({ resourceType: "Encounter", id: "a", status: "planned", class: { code: "AMB" } });
    await w.settle(sub);
    expect(w.handled.map((e) => e.eventNumber)).toEqual([1]);
  });

  it("makes its own Subscription when filters or payload differ", async () => {
    const w = await world({});
    const plain = await w.subscriber().start();
    const filtered = await w.subscriber({ filters: ["Encounter?status=finished"] }).start();
    const idOnly = await w.subscriber({ payload: "id-only" }).start();
    expect(new Set([plain.id, filtered.id, idOnly.id]).size).toBe(3);
    expect(w.sim.store.count("Subscription")).toBe(3);
  });

  it("only sends events that match the filters, and reads the focus of an id-only payload through the client", async () => {
    const w = await world({});
    const sub = w.subscriber({ filters: ["Encounter?status=finished"], payload: "id-only" });
    const { id } = await sub.start();
    w.sim.store.put({ resourceType: "Encounter", id: "a", status: "in-progress", class: { code: "AMB" } });
    w.sim.store.put({ resourceType: "Encounter", id: "b", status: "finished", class: { code: "AMB" } });
    await w.settle(sub);
    expect(w.sim.subscriptions!.eventCount(id)).toBe(1);
    expect(w.handled.map((e) => [e.eventNumber, e.focus, e.resource?.status])).toEqual([[1, "Encounter/b", "finished"]]);
  });

  it("makes a Subscription the server turned off requested again, with an alarm", async () => {
    const w = await world({});
    const { id } = await w.subscriber().start();
    const current = w.sim.store.read("Subscription", id)!;
    // The server's own state change, as an operator would make it.
    await fetch(`${w.sim.url}/Subscription/${id}`, { method: "PUT", headers: { "content-type": "application/fhir+json" }, body: JSON.stringify({ ...current, status: "off" }) });
    const again = w.subscriber();
    await again.start();
    await w.settle(again);
    expect(w.alarms).toContainEqual({ kind: "subscription-inactive", subscriptionId: id, status: "off", reactivating: true });
    expect(w.sim.store.read("Subscription", id)?.status).toBe("active");
    expect(w.notes).toContainEqual({ kind: "reactivated" });
  });

  it("is a typed setup error when the server refuses the Subscription", async () => {
    const w = await world({});
    const sub = w.subscriber({ topic: "http://example.org/no-such-topic" });
    await expect(sub.start()).rejects.toBeInstanceOf(SubscriptionSetupError);
  });

  it("advertises the topic, serves $status, and sends heartbeats on the simulator's clock", async () => {
    const w = await world({});
    const capability = (await (await fetch(`${w.sim.url}/metadata`)).json()) as { rest: Array<{ resource: Array<{ type: string; extension?: Array<{ valueCanonical?: string }> }> }> };
    expect(capability.rest[0]!.resource.find((r) => r.type === "Subscription")?.extension?.[0]?.valueCanonical).toBe(TOPIC);
    const sub = w.subscriber();
    const { id } = await sub.start();
    const sentBefore = w.sim.subscriptions!.counters.sent;
    await w.advance(sub, 3 * HEARTBEAT_SECONDS * 1000, 1_000);
    expect(w.sim.subscriptions!.counters.sent - sentBefore).toBe(3);
    expect(w.alarms).toEqual([]);
    const status = (await (await fetch(`${w.sim.url}/Subscription/${id}/$status`)).json()) as { entry: Array<{ resource: { parameter: Array<{ name: string; valueString?: string; valueCode?: string }> } }> };
    const parameters = status.entry[0]!.resource.parameter;
    expect(parameters.find((p) => p.name === "status")?.valueCode).toBe("active");
    expect(parameters.find((p) => p.name === "events-since-subscription-start")?.valueString).toBe("0");
    const stored = w.sim.store.read("Subscription", id) as unknown as Subscription;
    expect(stored.channel.header).toEqual(["Authorization: Bearer hook-secret"]);
  });
});
