/**
 * The events the operator report needs: pacing says how much of the quota each admitted
 * attempt found used (and, with tenants, the tenant's part and weight); an outbox worker
 * says the queue's depth and its dead letters after each delivery. Nothing is read or built
 * for a call nobody observes.
 */
import { describe, expect, it } from "@jest/globals";
import { HttpError, MemoryQuotaStore, pacingPolicy, type OutboxEvent, type QuotaStore } from "carewire";
import { FakeClock, answered, planFor, scriptedNext } from "carewire/testing";
import { createOutbox, memoryOutboxStore, type DeliveryResult } from "carewire/outbox";
import { read, settle, telemetry, thing } from "../policies/support.js";

/** A memory quota store that counts its usage reads. */
function countingStore(): { store: QuotaStore; usageReads: () => number } {
  const store = new MemoryQuotaStore();
  let reads = 0;
  const usage = store.usage.bind(store);
  store.usage = (key, name, from) => {
    reads++;
    return usage(key, name, from);
  };
  return { store, usageReads: () => reads };
}

describe("the quota event", () => {
  it("reports, for each admitted attempt, the units used in the window before it, the limit and the scope", async () => {
    const clock = new FakeClock({ start: 0 });
    const seen = telemetry();
    const policy = pacingPolicy("acme", { limit: 5, windowMs: 1_000, safetyMarginMs: 0, clientId: "app-1" }, clock);
    const next = scriptedNext((plan) => answered(plan, 200));
    for (const id of ["a", "b", "c"]) await policy(next)(planFor({ operation: read(), clock, input: thing(id), onEvent: seen.onEvent }));
    await settle();
    expect(seen.of("quota").map((e) => [e.scope, e.limit, e.windowMs, e.used])).toEqual([
      ["acme:app-1", 5, 1_000, 0],
      ["acme:app-1", 5, 1_000, 1],
      ["acme:app-1", 5, 1_000, 2],
    ]);
  });

  it("adds the tenant's own units and its weight when tenants share the quota", async () => {
    const clock = new FakeClock({ start: 0 });
    const seen = telemetry();
    const policy = pacingPolicy("acme", { limit: 10, windowMs: 1_000, safetyMarginMs: 0, tenantWeights: { north: 2 } }, clock);
    const next = scriptedNext((plan) => answered(plan, 200));
    for (const tenant of ["north", "south", "north"]) await policy(next)(planFor({ operation: read(), clock, input: thing(tenant), tenant, onEvent: seen.onEvent }));
    await settle();
    expect(seen.of("quota").map((e) => ({ tenant: e.tenant, used: e.used, tenantUsed: e.tenantUsed, tenantWeight: e.tenantWeight }))).toEqual([
      { tenant: "north", used: 0, tenantUsed: 0, tenantWeight: 2 },
      { tenant: "south", used: 1, tenantUsed: 0, tenantWeight: 1 },
      { tenant: "north", used: 2, tenantUsed: 1, tenantWeight: 2 },
    ]);
  });

  it("reads nothing from the store for a call nobody observes, and sends no event while the quota is unknown", async () => {
    const clock = new FakeClock({ start: 0 });
    const { store, usageReads } = countingStore();
    const next = scriptedNext((plan) => answered(plan, 200));
    const known = pacingPolicy("acme", { limit: 5, windowMs: 1_000, store }, clock);
    await known(next)(planFor({ operation: read(), clock, input: thing("a") }));
    await settle();
    expect(usageReads()).toBe(0);

    const seen = telemetry();
    const unknown = pacingPolicy("acme", {}, clock);
    await unknown(next)(planFor({ operation: read(), clock, input: thing("b"), onEvent: seen.onEvent }));
    await settle();
    expect(seen.of("quota")).toEqual([]);
  });
});

describe("the outbox event", () => {
  it("gives the depth and the dead letters after each delivery, with what happened to it", async () => {
    const clock = new FakeClock({ start: Date.UTC(2030, 0, 1) });
    const answers: Array<() => DeliveryResult> = [
      () => ({ response: new Response(null, { status: 201 }) }),
      () => {
        const response = new Response(JSON.stringify({ message: "no" }), { status: 422 });
        return { error: HttpError.from(422, { message: "no" }, response), response };
      },
      () => ({ response: new Response(null, { status: 201 }) }),
    ];
    const operation = async (_input: { body: { name: string } }): Promise<DeliveryResult> => answers.shift()!();
    const outbox = createOutbox({ store: memoryOutboxStore(), provider: "clinic", operations: { createPatient: operation }, clock, random: () => 0.5 });
    for (const name of ["a", "b", "c"]) await outbox.enqueue("createPatient", { body: { name } });
    const events: OutboxEvent[] = [];
    await outbox.worker({ concurrency: 1, id: "w1", onEvent: (e) => events.push(e) }).drainDue();
    await settle();
    expect(events.map(({ disposition, pending, dead, worker, type }) => ({ type, worker, disposition, pending, dead }))).toEqual([
      { type: "outbox", worker: "w1", disposition: "committed", pending: 2, dead: 0 },
      { type: "outbox", worker: "w1", disposition: "dead", pending: 1, dead: 1 },
      { type: "outbox", worker: "w1", disposition: "committed", pending: 0, dead: 1 },
    ]);
    // Names and counts only: never an intent's payload.
    expect(JSON.stringify(events)).not.toContain('"name"');
  });
});
