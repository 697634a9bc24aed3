/**
 * The outbox with SQLite: record writes durably first (they survive a crash of the app),
 * deliver them later through the generated client, each with one idempotency key across all
 * its retries and redeliveries. Delivery here meets a lost answer and a 503; the server still
 * sees every appointment exactly once.
 *
 * Needs better-sqlite3 (an optional peer dependency: `npm install better-sqlite3`).
 *
 *   npx tsx --conditions=carewire-source examples/outbox-sqlite.ts
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createOutbox, operationsOf, sqliteOutboxStore } from "carewire/outbox";
import { clinicScenario, DEFAULT_CLIENTS, startSimulator } from "carewire/testing";
import { createClinicClient } from "../generated/clinic/index.js";

const spec = fileURLToPath(new URL("../specs/clinic/openapi.yaml", import.meta.url));
const sim = await startSimulator({ spec, handlers: clinicScenario });
const dir = await mkdtemp(path.join(os.tmpdir(), "carewire-outbox-example-"));
const [clientId = "", clientSecret = ""] = Object.entries(DEFAULT_CLIENTS)[0] ?? [];

try {
  const clinic = createClinicClient({ baseUrl: sim.url, auth: { tokenUrl: "/oauth/token", clientId, clientSecret } });
  const store = sqliteOutboxStore({ path: path.join(dir, "outbox.db") });
  const outbox = createOutbox({ store, provider: "clinic", operations: operationsOf(clinic) });

  // In a request handler: record the write and answer at once; delivery happens in a worker.
  const slots = [["2030-03-01T09:00:00Z", "2030-03-01T09:20:00Z"], ["2030-03-01T09:30:00Z", "2030-03-01T09:50:00Z"], ["2030-03-01T10:00:00Z", "2030-03-01T10:20:00Z"]] as const;
  for (const [start, end] of slots) {
    const booking = { patientId: "pat_01J8ZK4W7Q", practitionerId: "prc_01J8ZM0A1B", start, end, reason: "check-up" };
    // The business key names the write: enqueueing it again (a retried request) adds nothing.
    const enqueued = await outbox.enqueue("createAppointment", { body: booking }, { businessKey: { slot: start } });
    const again = await outbox.enqueue("createAppointment", { body: booking }, { businessKey: { slot: start } });
    console.log(`enqueued ${enqueued.id} (added ${String(enqueued.added)}; again: added ${String(again.added)})`);
  }

  sim.faults.enqueue("createAppointment", [{ kind: "reset-after-commit" }, { kind: "status", status: 503, retryAfter: 1 }]);
  const stats = await outbox.worker({ concurrency: 1 }).drainDue();
  const counts = await outbox.status();
  console.log(`worker: ${stats.committed} committed, ${stats.deferred} deferred, ${stats.dead} dead`);
  console.log(`outbox: ${counts.committed} committed, ${counts.pending} pending, ${counts.dead} dead`);
  console.log(`server: ${sim.counters.writesCommitted} appointments written, ${sim.counters.duplicates} duplicates`);
  await store.close();
} finally {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
}
