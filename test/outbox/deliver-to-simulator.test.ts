/**
 * The outbox end to end over real HTTP: intents drained by workers through the generated
 * clinic client into the simulator while 15 % of its answers are faults, resets after the
 * server committed among them. Every intent ends committed exactly once: no patient is
 * stored twice and none is lost. Waits are real but short (backoffs of tens of ms).
 */
import { describe, expect, it } from "@jest/globals";
import { DEFAULT_CLIENTS } from "carewire/testing";
import { createOutbox, memoryOutboxStore, operationsOf } from "carewire/outbox";
import { createClinicClient } from "../../generated/clinic/index.js";
import { NEW_PATIENT, simulatorPool } from "../helpers/simulator.js";

const CLIENT_ID = "carewire-demo";
const sims = simulatorPool();

async function storedPatients(sim: { url: string; issueToken(): Promise<string> }): Promise<Map<string, number>> {
  const count = new Map<string, number>();
  const headers = { authorization: `Bearer ${await sim.issueToken()}` };
  for (let page = 1; ; page++) {
    const body = (await (await fetch(`${sim.url}/patients?pageSize=100&page=${page}`, { headers })).json()) as { data: Array<{ identifier: string }>; nextPage: number | null };
    for (const p of body.data) count.set(p.identifier, (count.get(p.identifier) ?? 0) + 1);
    if (body.nextPage === null) return count;
  }
}

describe("outbox delivery into the simulator", () => {
  it("drains 300 writes under 15 % faults (resets after commit included): each committed once, none lost, none twice", async () => {
    const sim = await sims.clinic({
      rateLimit: false,
      seed: 7,
      faults: {
        random: {
          rate: 0.15,
          operations: ["createPatient"],
          faults: [{ kind: "reset-after-commit", weight: 2 }, { kind: "reset-before" }, { kind: "status", status: 503 }, { kind: "status", status: 500 }, { kind: "latency", ms: 30 }],
        },
      },
    });
    const client = createClinicClient({
      baseUrl: sim.url,
      auth: { tokenUrl: sim.tokenPath, clientId: CLIENT_ID, clientSecret: DEFAULT_CLIENTS[CLIENT_ID]! },
      pacing: { limit: Infinity },
      retry: { maxAttempts: 2, backoff: { baseMs: 5, capMs: 20 } },
    });
    const outbox = createOutbox({ store: memoryOutboxStore(), provider: client.provider, operations: operationsOf(client), rules: { baseDelayMs: 10, maxDelayMs: 50, maxDeliveries: 20 } });
    const mrns = Array.from({ length: 300 }, (_, i) => `MRN-${9000 + i}`);
    await outbox.enqueueMany(mrns.map((mrn) => ({ operation: "createPatient" as const, input: { body: { ...NEW_PATIENT, identifier: mrn } }, options: { businessKey: { mrn } } })));

    const worker = outbox.worker({ concurrency: 8, pollMs: 10, deliveryDeadlineMs: 5_000, leaseMs: 30_000 });
    worker.start();
    // Bounded: the test fails (rather than hangs) if delivery ever stalls.
    for (let polls = 0; (await outbox.status()).pending > 0; polls++) {
      if (polls > 6_000) throw new Error(`outbox not drained: ${JSON.stringify(await outbox.status())}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await worker.stop();

    expect(await outbox.status()).toMatchObject({ pending: 0, committed: 300, dead: 0 });
    const stored = await storedPatients(sim);
    expect([...stored.values()].filter((n) => n > 1)).toEqual([]);
    expect(mrns.filter((mrn) => !stored.has(mrn))).toEqual([]);
    expect(sim.counters.duplicates).toBe(0);
    // The faults did strike, after commits too: the replays were answered from the server's key records.
    const resets = sim.log.filter((e) => e.fault === "reset-after-commit").length;
    expect(resets).toBeGreaterThan(0);
    expect(sim.counters.idempotentReplays).toBeGreaterThan(0);
  });
});
