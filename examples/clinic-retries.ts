/**
 * Call the clinic API through carewire's simulator and watch the retries in `meta`.
 *
 * The simulator serves the clinic spec on 127.0.0.1 with its real behaviour (OAuth client
 * credentials, a per-client quota, 429 with Retry-After). Two faults are scripted: the first
 * read answers 503 with `Retry-After: 1`, and the first create loses its answer after the
 * server committed it. The client waits what the server asks, and the create's retry carries
 * the same Idempotency-Key, so the server replays the stored answer instead of writing twice.
 *
 *   npx tsx --conditions=carewire-source examples/clinic-retries.ts
 */
import { fileURLToPath } from "node:url";
import { clinicScenario, DEFAULT_CLIENTS, startSimulator } from "carewire/testing";
import { createClinicClient } from "../generated/clinic/index.js";

const spec = fileURLToPath(new URL("../specs/clinic/openapi.yaml", import.meta.url));
const sim = await startSimulator({ spec, handlers: clinicScenario, rateLimit: { limit: 20, windowSeconds: 2 } });
const [clientId = "", clientSecret = ""] = Object.entries(DEFAULT_CLIENTS)[0] ?? [];

try {
  const clinic = createClinicClient({
    baseUrl: sim.url,
    auth: { tokenUrl: "/oauth/token", clientId, clientSecret },
    deadlineMs: 20_000,
  });

  sim.faults.enqueue("createPatient", [{ kind: "reset-after-commit" }]);
  const created = await clinic.createPatient(
    { body: { identifier: "MRN-EXAMPLE-1", givenName: "Juniper", familyName: "Quillfeather", birthDate: "1987-04-12" } },
    { businessKey: { mrn: "MRN-EXAMPLE-1" } }, // the idempotency key is derived from it: the same on every attempt
  );
  if (created.error) throw created.error;
  console.log(`createPatient: ${created.data.id}, idempotency key ${created.meta.idempotencyKey ?? "none"}`);
  for (const a of created.meta.attempts) console.log(`  attempt ${a.attempt}: ${a.status ?? a.errorKind ?? "?"} after ${Math.round(a.delayMs)} ms${a.reason ? ` (${a.reason})` : ""}`);

  sim.faults.enqueue("getPatient", [{ kind: "status", status: 503, retryAfter: 1 }]);
  const read = await clinic.getPatient({ params: { path: { patientId: created.data.id } } });
  if (read.error) throw read.error;
  console.log(`getPatient: ${read.data.givenName} ${read.data.familyName}`);
  for (const a of read.meta.attempts) console.log(`  attempt ${a.attempt}: ${a.status ?? a.errorKind ?? "?"} after ${Math.round(a.delayMs)} ms${a.reason ? ` (${a.reason})` : ""}`);

  console.log(`server: ${sim.counters.writesCommitted} write committed, ${sim.counters.duplicates} duplicates, ${sim.counters.idempotentReplays} replayed`);
} finally {
  await sim.close();
}
