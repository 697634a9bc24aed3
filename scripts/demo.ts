/**
 * `npm run demo`: a patient and appointment sync against the clinic simulator, through
 * the generated client, with the provider's quota compressed in time (20 requests per
 * 2 s per client_id) and seeded faults (503s, 502s, truncated JSON, connections reset
 * after the server committed the write). The summary shows what the provider did and
 * what carewire's runtime did about it: retries, waits, duplicates, goodput.
 *
 * Then the synced patients go to a FHIR R4 server (carewire's FHIR simulator, with its own
 * quota and faults) through the generated FHIR client: conditional create keyed on the MRN,
 * then a Provenance for each write that took effect (none for a patient found). The FHIR
 * sync runs twice, as a re-run after a crash would: the second run must add nothing.
 *
 * Last, the same app as three processes on one client_id: each pacing alone, then sharing
 * the quota through Redis (scripts/demo-fleet.ts).
 *
 * The clients' events are recorded (`recordEvents`) and turned into the operator report, an
 * HTML page written under demo-output/ (or $DEMO_OUTPUT_DIR); the summary prints its path.
 */
import cliProgress from "cli-progress";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Patient } from "fhir/r4.js";
import { clinicScenario, startFhirSimulator, startSimulator, type FaultPlan } from "../src/testing/index.js";
import { MemoryQuotaStore, recordEvents, type TelemetryEvent } from "../src/index.js";
import { createOutbox, memoryOutboxStore, operationsOf } from "../src/outbox/index.js";
import { writeReport } from "../src/report/index.js";
import { createClinicClient, type ClinicClient } from "../generated/clinic/index.js";
import { createFhirR4Client } from "../generated/fhir-r4/index.js";
import { changesDemo } from "./demo-changes.js";
import { fleetDemo } from "./demo-fleet.js";

const PATIENTS = Number(process.env.DEMO_PATIENTS ?? 200);
const APPOINTMENTS = Number(process.env.DEMO_APPOINTMENTS ?? 100);
const CONCURRENCY = 8;
const QUOTA = { limit: 20, windowSeconds: 2 };
const CLIENT = { id: "carewire-demo", secret: "carewire-demo-secret" };
/** Two clinics on one client_id: they share its quota, the north one weighing twice the south one. */
const TENANTS = ["clinic-north", "clinic-south"] as const;
const OUTPUT_DIR = path.resolve(process.env.DEMO_OUTPUT_DIR ?? "demo-output");
const EVENTS_FILE = path.join(OUTPUT_DIR, "events.jsonl");
const REPORT_FILE = path.join(OUTPUT_DIR, "report.html");
mkdirSync(OUTPUT_DIR, { recursive: true });
const recorder = recordEvents(EVENTS_FILE);

const faults: FaultPlan = {
  random: {
    rate: 0.06,
    faults: [
      { kind: "status", status: 503, retryAfter: 1 },
      { kind: "status", status: 502 },
      { kind: "reset-after-commit" },
      { kind: "truncated-json" },
      { kind: "latency", ms: 150 },
    ],
  },
};

interface Tally {
  calls: number;
  ok: number;
  failures: Map<string, number>;
}

function outcomeOf(result: { error?: { kind: string; status?: number } | undefined }): string | undefined {
  const error = result.error;
  if (!error) return undefined;
  if (error.kind === "http") return `HTTP ${String((error as { status: number }).status)}`;
  return error.kind;
}

async function pool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function main(): Promise<void> {
  const sim = await startSimulator({ spec: "specs/clinic/openapi.yaml", rateLimit: QUOTA, faults, seed: 7, handlers: clinicScenario });
  const started = performance.now();
  const tally: Tally = { calls: 0, ok: 0, failures: new Map() };
  const record = (result: { error?: { kind: string } | undefined }) => {
    tally.calls++;
    const failure = outcomeOf(result);
    if (failure === undefined) tally.ok++;
    else tally.failures.set(failure, (tally.failures.get(failure) ?? 0) + 1);
  };

  let attempts = 0;
  let retried = 0;
  let waitedMs = 0;
  const onEvent = (event: TelemetryEvent) => {
    recorder(event);
    if (event.type === "attempt") attempts++;
    if (event.type === "retry") {
      retried++;
      waitedMs += event.delayMs;
    }
    if (event.type === "rate-limit-wait") waitedMs += event.waitMs;
  };
  // One quota window for both clinics' clients: the client_id's.
  const quotaStore = new MemoryQuotaStore();
  const clinicFor = (tenant: string): ClinicClient =>
    createClinicClient({
      baseUrl: sim.url,
      timeoutMs: 5_000,
      tenant,
      // The quota this client_id has (the simulator compresses the real 120 / 60 s in time).
      pacing: { limit: QUOTA.limit, windowMs: QUOTA.windowSeconds * 1000, maxConcurrent: CONCURRENCY, store: quotaStore, tenantWeights: { [TENANTS[0]]: 2, [TENANTS[1]]: 1 } },
      auth: { tokenUrl: "/oauth/token", clientId: CLIENT.id, clientSecret: CLIENT.secret },
      onEvent,
    });
  const clinics = TENANTS.map(clinicFor);
  /** Every third record is the south clinic's. */
  const clinicOf = (i: number): ClinicClient => clinics[i % 3 === 2 ? 1 : 0]!;
  const interactive = process.stderr.isTTY === true;
  const bar = new cliProgress.SingleBar(
    { format: "  syncing {bar} {value}/{total} calls · ok {ok} · failed {failed}", hideCursor: true, noTTYOutput: !interactive, notTTYSchedule: 1_000 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(PATIENTS + APPOINTMENTS, 0, { ok: 0, failed: 0 });
  const tick = () => bar.increment(1, { ok: tally.ok, failed: tally.calls - tally.ok });

  const createdPatients: string[] = [];
  const syncedMrns: string[] = [];
  const patients = Array.from({ length: PATIENTS }, (_, i) => ({
    index: i,
    identifier: `MRN-${String(100000 + i)}`,
    givenName: `Given${i}`,
    familyName: `Family${i % 37}`,
    birthDate: `19${String(50 + (i % 50)).padStart(2, "0")}-0${1 + (i % 9)}-1${i % 9}`,
  }));
  await pool(patients, CONCURRENCY, async ({ index, ...patient }) => {
    // The business key (the medical record number) makes the idempotency key; it is hashed, never sent.
    const result = await clinicOf(index).createPatient({ body: patient }, { businessKey: { mrn: patient.identifier }, priority: "batch" });
    record(result);
    if (result.data) {
      createdPatients.push(result.data.id);
      syncedMrns.push(patient.identifier);
    }
    tick();
  });

  const appointments = Array.from({ length: APPOINTMENTS }, (_, i) => {
    const start = new Date(Date.UTC(2030, 0, 2 + Math.floor(i / 16), 8 + (i % 8), 0));
    return {
      index: i,
      patientId: createdPatients[i % Math.max(1, createdPatients.length)] ?? "pat-unknown",
      practitionerId: `pr-${100 + (i % 3)}`,
      start: start.toISOString(),
      end: new Date(start.getTime() + 30 * 60_000).toISOString(),
      reason: "Routine check-up",
    };
  });
  await pool(appointments, CONCURRENCY, async ({ index, ...appointment }) => {
    const result = await clinicOf(index).createAppointment({ body: appointment }, { businessKey: { patient: appointment.patientId, start: appointment.start }, priority: "batch" });
    record(result);
    tick();
  });
  bar.stop();

  const elapsedSeconds = (performance.now() - started) / 1000;
  const server = sim.counters;
  // A sliding window admits at most `limit` calls in any window-long span.
  const quotaCalls = QUOTA.limit * Math.max(1, Math.ceil(elapsedSeconds / QUOTA.windowSeconds));
  const writes = PATIENTS + APPOINTMENTS;
  const rows: Array<[string, string]> = [
    ["calls made by the client", String(tally.calls)],
    ["succeeded", String(tally.ok)],
    ["failed", [...tally.failures].map(([k, v]) => `${v} ${k}`).join(", ") || "0"],
    ["HTTP requests sent", `${attempts} (${retried} retries, ${server.byStatus["429"] ?? 0} answered 429)`],
    ["waiting per call (quota, Retry-After)", `${(waitedMs / 1000 / Math.max(1, tally.calls)).toFixed(2)} s on average`],
    ["faults the server injected", String(server.faults)],
    ["writes committed on the server", String(server.writesCommitted)],
    ["duplicates on the server", String(server.duplicates)],
    ["records synced", `${server.writesCommitted - server.duplicates} of ${writes} (${Math.round((100 * (server.writesCommitted - server.duplicates)) / writes)}%)`],
    ["elapsed", `${elapsedSeconds.toFixed(1)} s`],
    ["quota", `${QUOTA.limit} requests / ${QUOTA.windowSeconds} s per client_id`],
    ["goodput", `${tally.ok} successful calls = ${Math.round((100 * tally.ok) / quotaCalls)}% of the ${quotaCalls} the quota allowed in that time`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\ncarewire demo: clinic sync against the simulator (${PATIENTS} patients, ${APPOINTMENTS} appointments)\n\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
  process.stdout.write(
    "\nEvery write carried one Idempotency-Key (a hash of its business key) across its retries, so the\n" +
      "writes the server committed before a connection reset were replayed, not applied twice.\n",
  );
  await outboxRound(clinics[0]!, sim);
  await outageRound(sim, { quotaStore, onEvent });
  await sim.close();
  await fhirSync(patients.filter((p) => syncedMrns.includes(p.identifier)));
  await fleetDemo();
  await changesDemo(recorder);
  await recorder.close();
  const report = await writeReport(EVENTS_FILE, REPORT_FILE, { title: "carewire demo: operator report" });
  const fired = report.alerts.filter((a) => a.fired.length > 0).map((a) => a.id);
  process.stdout.write(`\ncarewire demo: operator report (${report.events} events; alerts fired: ${fired.join(", ") || "none"})\n\n  ${report.out}\n`);
}

/**
 * A short outage of the practitioner list, for the report's breaker and cache plots: the
 * list is cached, then answers 503 long enough for the breaker to open; meanwhile the cached
 * list is served stale in place of the failures; after the outage the breaker closes again.
 */
async function outageRound(sim: Awaited<ReturnType<typeof startSimulator>>, shared: { quotaStore: MemoryQuotaStore; onEvent: (event: TelemetryEvent) => void }): Promise<void> {
  const clinic = createClinicClient({
    baseUrl: sim.url,
    timeoutMs: 5_000,
    pacing: { limit: QUOTA.limit, windowMs: QUOTA.windowSeconds * 1000, store: shared.quotaStore },
    auth: { tokenUrl: "/oauth/token", clientId: CLIENT.id, clientSecret: CLIENT.secret },
    // Quick to open and to try again, so the outage fits in a few seconds of the demo.
    breaker: { minimumThroughput: 4, openMs: 1_000 },
    retry: { maxAttempts: 2 },
    onEvent: shared.onEvent,
  });
  // The sync's random faults end here: the outage below is the only one.
  sim.faults.clear();
  await clinic.listPractitioners({});
  sim.faults.enqueue("listPractitioners", Array.from({ length: 6 }, () => ({ kind: "status" as const, status: 503 as const })));
  for (let i = 0; i < 6; i++) await clinic.listPractitioners({}, { cache: "no-cache" });
  // The outage ends (the 503s the open breaker kept from being sent are dropped); its open
  // time passes, and the probe finds the list answering again.
  sim.faults.clear();
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  for (let i = 0; i < 2; i++) await clinic.listPractitioners({}, { cache: "no-cache" });
}

/**
 * Follow-up appointments through the outbox, paced by the quota the sync just used, for the
 * report's outbox plot: one is refused for good (a dead letter), one meets a 503 first.
 */
async function outboxRound(clinic: ClinicClient, sim: Awaited<ReturnType<typeof startSimulator>>): Promise<void> {
  const outbox = createOutbox({ store: memoryOutboxStore(), provider: "clinic", operations: operationsOf(clinic) });
  for (let i = 0; i < 24; i++) {
    const start = new Date(Date.UTC(2031, 0, 2 + Math.floor(i / 8), 8 + (i % 8), 0));
    // One start is not a date: the server refuses that booking for good.
    const booking = { patientId: "pat-follow-up", practitionerId: "pr-100", start: i === 5 ? "next Tuesday" : start.toISOString(), end: new Date(start.getTime() + 20 * 60_000).toISOString(), reason: "Follow-up" };
    await outbox.enqueue("createAppointment", { body: booking }, { businessKey: { followUp: i } });
  }
  sim.faults.enqueue("createAppointment", [{ kind: "status", status: 503 }]);
  await outbox.worker({ concurrency: 1, onEvent: recorder }).drainDue();
}

/** The synced patients, written to a FHIR server twice over; the second pass must add nothing. */
async function fhirSync(patients: ReadonlyArray<{ identifier: string; givenName: string; familyName: string; birthDate: string }>): Promise<void> {
  const FHIR_QUOTA = { limit: 40, windowSeconds: 1 };
  const fhirSim = await startFhirSimulator({
    capability: "specs/fhir-r4/capability.json",
    rateLimit: FHIR_QUOTA,
    seed: 3,
    faults: { random: { rate: 0.08, faults: [{ kind: "reset-after-commit", weight: 2 }, { kind: "status", status: 503, weight: 1 }] } },
  });
  const fhir = createFhirR4Client({
    baseUrl: fhirSim.url,
    pacing: { limit: FHIR_QUOTA.limit, windowMs: FHIR_QUOTA.windowSeconds * 1000, maxConcurrent: CONCURRENCY },
    retry: { maxAttempts: 8 }, // background sync: patient rather than fast
    provenance: { agent: { display: "carewire demo sync" }, source: "urn:carewire:demo:clinic" },
    onEvent: recorder,
  });
  const toFhir = (p: (typeof patients)[number]): Patient => ({
    resourceType: "Patient",
    identifier: [{ system: "urn:carewire:demo:mrn", value: p.identifier }],
    name: [{ family: p.familyName, given: [p.givenName] }],
    birthDate: p.birthDate,
  });
  const started = performance.now();
  const runs: Array<{ ok: number; failed: number; patients: number; provenance: number }> = [];
  for (let run = 0; run < 2; run++) {
    let ok = 0;
    let failed = 0;
    await pool(patients, CONCURRENCY, async (p) => {
      const result = await fhir.Patient.ensure(toFhir(p), { businessKey: { mrn: p.identifier }, priority: "batch" });
      if (result.error) failed++;
      else ok++;
    });
    runs.push({ ok, failed, patients: fhirSim.store.count("Patient"), provenance: fhirSim.store.count("Provenance") });
  }
  const rows: Array<[string, string]> = [
    ["patients written (first run)", `${runs[0]!.ok} ok, ${runs[0]!.failed} failed`],
    ["patients written (second run)", `${runs[1]!.ok} ok, ${runs[1]!.failed} failed`],
    ["Patient resources on the server", `${runs[0]!.patients} after the first run, ${runs[1]!.patients} after the second`],
    ["Provenance resources on the server", `${runs[0]!.provenance} after the first run, ${runs[1]!.provenance} after the second`],
    ["requests answered 429 / faults injected", `${fhirSim.counters.throttled} / ${fhirSim.counters.faults}`],
    ["elapsed", `${((performance.now() - started) / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\ncarewire demo: the same patients into a FHIR R4 server, twice (conditional create + Provenance)\n\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
  process.stdout.write("\nThe second run found every patient by its MRN (If-None-Exist) and every Provenance by its write key: nothing twice.\n");
  await fhirSim.close();
}

await main();
