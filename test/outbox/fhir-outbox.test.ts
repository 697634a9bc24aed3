/**
 * FHIR writes through the outbox: `Patient.ensure` intents from three "instances" of an app
 * whose identifiers overlap, drained into the FHIR simulator while writes are reset after the
 * server committed them. The outbox replays each with its stored key, and the FHIR client
 * keys each write's Provenance on it: one Patient per identifier, one Provenance per Patient.
 */
import { describe, expect, it } from "@jest/globals";
import type { Patient, Provenance } from "fhir/r4.js";
import { createOutbox, fhirOperations, memoryOutboxStore } from "carewire/outbox";
import { createFhirR4Client } from "../../generated/fhir-r4/index.js";
import { FakeClock } from "carewire/testing";
import { simulatorPool } from "../helpers/simulator.js";

const sims = simulatorPool();
const SYSTEM = "urn:example:mrn";

describe("FHIR writes through the outbox", () => {
  it("overlapping ensures under resets after commit: one Patient per identifier and one Provenance per Patient", async () => {
    const sim = await sims.fhir({
      seed: 11,
      faults: { random: { rate: 0.2, operations: ["Patient.create", "Provenance.create", "transaction"], faults: [{ kind: "reset-after-commit", weight: 3 }, { kind: "status", status: 503 }] } },
    });
    const fhir = createFhirR4Client({
      baseUrl: sim.url,
      provenance: { agent: { display: "clinic sync" }, source: "urn:example:clinic" },
      retry: { maxAttempts: 2, backoff: { baseMs: 5, capMs: 20 } },
      pacing: false,
    });
    const outbox = createOutbox({ store: memoryOutboxStore(), provider: fhir.provider, operations: fhirOperations(fhir), rules: { baseDelayMs: 10, maxDelayMs: 50, maxDeliveries: 30 } });
    // Three instances, each with 30 patients; identifiers 0–44 in all, so most are ensured two or three times.
    for (const instance of [0, 1, 2]) {
      for (let i = 0; i < 30; i++) {
        const n = (instance * 15 + i) % 45;
        const patient: Patient = { resourceType: "Patient", identifier: [{ system: SYSTEM, value: `mrn-${n}` }], name: [{ family: `Family${n}` }] };
        await outbox.enqueue("Patient.ensure", patient, { tenant: `instance-${instance}` });
      }
    }
    const worker = outbox.worker({ concurrency: 6, pollMs: 10, deliveryDeadlineMs: 5_000 });
    worker.start();
    for (let polls = 0; (await outbox.status()).pending > 0; polls++) {
      if (polls > 6_000) throw new Error(`outbox not drained: ${JSON.stringify(await outbox.status())}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await worker.stop();

    expect(await outbox.status()).toMatchObject({ committed: 90, dead: 0 });
    const patients = [...sim.store.all("Patient")].map((p) => p as unknown as Patient);
    const byIdentifier = new Map<string, number>();
    for (const p of patients) byIdentifier.set(p.identifier![0]!.value!, (byIdentifier.get(p.identifier![0]!.value!) ?? 0) + 1);
    expect(byIdentifier.size).toBe(45);
    expect([...byIdentifier.values()].every((n) => n === 1)).toBe(true);
    const provenance = [...sim.store.all("Provenance")].map((p) => p as unknown as Provenance);
    const targets = provenance.map((p) => p.target[0]!.reference);
    expect(new Set(targets).size).toBe(provenance.length);
    expect(targets.sort()).toEqual(patients.map((p) => `Patient/${p.id}`).sort());
    expect(sim.counters.faults).toBeGreaterThan(0);
  });
});

describe("plain FHIR creates, whose server ignores idempotency keys", () => {
  const patient = (mrn: string): Patient => ({ resourceType: "Patient", identifier: [{ system: SYSTEM, value: mrn }], name: [{ family: "Quill" }] });
  const stored = (sim: { store: { all(type: string): Iterable<unknown> } }, mrn: string) => [...sim.store.all("Patient")].filter((p) => (p as Patient).identifier?.[0]?.value === mrn).length;

  it("a create whose answer is lost is not repeated, even with a key: typed unknown-outcome, one Patient", async () => {
    const sim = await sims.fhir({ seed: 3 });
    const fhir = createFhirR4Client({ baseUrl: sim.url, pacing: false, retry: { maxAttempts: 3, backoff: { baseMs: 1, capMs: 2 } } });
    sim.faults.enqueue("Patient.create", [{ kind: "reset-after-commit" }]);
    const result = await fhir.Patient.create(patient("lost-1"), { idempotencyKey: "k-123" });
    expect(result.error).toMatchObject({ kind: "unknown-outcome", replaySafe: false, idempotencyKey: "k-123" });
    expect(result.error?.message).toMatch(/does not say it honours idempotency keys, so it was not repeated/);
    expect(stored(sim, "lost-1")).toBe(1);

    // A gateway's 504 may come after the server committed: not repeated either.
    sim.faults.enqueue("Patient.create", [{ kind: "status", status: 504 }]);
    const before = sim.counters.requests;
    const gateway = await fhir.Patient.create(patient("gateway-1"));
    expect(gateway.error).toMatchObject({ kind: "unknown-outcome", replaySafe: false });
    expect(sim.counters.requests - before).toBe(1);
  });

  it("through the outbox: a lost answer is a dead letter for a person, and a delivery after a crash is not sent again; ensure is", async () => {
    const sim = await sims.fhir({ seed: 4 });
    const fhir = createFhirR4Client({ baseUrl: sim.url, pacing: false, retry: { maxAttempts: 3, backoff: { baseMs: 1, capMs: 2 } } });
    const clock = new FakeClock();
    const store = memoryOutboxStore();
    const outbox = createOutbox({ store, provider: fhir.provider, operations: fhirOperations(fhir), clock, rules: { baseDelayMs: 10, maxDelayMs: 50, maxDeliveries: 5 } });
    const worker = outbox.worker({ concurrency: 1, pollMs: 10, deliveryDeadlineMs: 5_000 });

    // The server commits, the answer is lost: a redelivery would make a second Patient.
    sim.faults.enqueue("Patient.create", [{ kind: "reset-after-commit" }]);
    await outbox.enqueue("Patient.create", patient("lost-2"), { businessKey: { mrn: "lost-2" } });
    await worker.drainDue();
    const [lost] = await store.list({ status: "dead", withBodies: false });
    expect(lost?.dead).toMatchObject({ reason: "unknown-outcome", errorKind: "unknown-outcome" });
    expect(stored(sim, "lost-2")).toBe(1);

    // A worker claimed these and died mid-call (its lease runs out, nothing recorded).
    await outbox.enqueue("Patient.create", patient("crash-1"), { businessKey: { mrn: "crash-1" } });
    await outbox.enqueue("Patient.ensure", patient("crash-2"), { businessKey: { mrn: "crash-2" } });
    expect(await store.claim("died", 10, 1_000, clock.now())).toHaveLength(2);
    await clock.advance(2_000);
    const requestsBefore = sim.counters.requests;
    await worker.drainDue();

    const dead = await store.list({ status: "dead" });
    expect(dead.map((intent) => [intent.operation, intent.dead?.reason])).toEqual(
      expect.arrayContaining([
        ["Patient.create", "unknown-outcome"],
        ["Patient.create", "unknown-outcome"],
      ]),
    );
    // The create was not sent again; the conditional create was, and made its Patient once.
    expect(stored(sim, "crash-1")).toBe(0);
    expect(stored(sim, "crash-2")).toBe(1);
    expect(sim.counters.requests - requestsBefore).toBe(1);
    expect(await outbox.status()).toMatchObject({ committed: 1, dead: 2, pending: 0 });
  });
});
