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
