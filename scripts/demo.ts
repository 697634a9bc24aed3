/**
 * `npm run demo`: a patient and appointment sync against the clinic simulator, through
 * the generated client, with the provider's quota compressed in time (20 requests per
 * 2 s per client_id) and a few faults. The summary shows what the provider did to the
 * sync: how many calls were throttled or failed, whether the server ended up with
 * duplicates, and the goodput as a share of the quota.
 *
 * This is the baseline: the pipeline has no resilience policies yet (no retries, no
 * client-side rate limiting), so throttled and failed writes are reported, not
 * recovered. It always finishes.
 */
import { createHash } from "node:crypto";
import cliProgress from "cli-progress";
import { clinicScenario, startSimulator, type FaultPlan } from "../src/testing/index.js";
import { createClinicClient, type ClinicClient } from "../generated/clinic/index.js";

const PATIENTS = Number(process.env.DEMO_PATIENTS ?? 200);
const APPOINTMENTS = Number(process.env.DEMO_APPOINTMENTS ?? 100);
const CONCURRENCY = 4;
const QUOTA = { limit: 20, windowSeconds: 2 };
const CLIENT = { id: "carewire-demo", secret: "carewire-demo-secret" };

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

/** Idempotency keys from the business identifier, hashed: stable across retries, no PHI in clear. */
function keyFor(kind: string, businessId: string): string {
  return createHash("sha256").update(`${kind}:${businessId}`).digest("hex").slice(0, 32);
}

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

  const anonymous = createClinicClient({ baseUrl: sim.url, timeoutMs: 5_000 });
  let tokenResult = await anonymous.issueToken({ body: { grant_type: "client_credentials", client_id: CLIENT.id, client_secret: CLIENT.secret } });
  record(tokenResult);
  // Without the retry policy a faulted token call would end the demo; ask a few times.
  for (let i = 0; i < 5 && tokenResult.error; i++) {
    await new Promise((r) => setTimeout(r, 500));
    tokenResult = await anonymous.issueToken({ body: { grant_type: "client_credentials", client_id: CLIENT.id, client_secret: CLIENT.secret } });
    record(tokenResult);
  }
  if (!tokenResult.data) {
    process.stderr.write(`could not get a token: ${tokenResult.error?.message ?? "unknown"}\n`);
    await sim.close();
    process.exitCode = 1;
    return;
  }
  const clinic: ClinicClient = createClinicClient({
    baseUrl: sim.url,
    timeoutMs: 5_000,
    headers: { Authorization: `Bearer ${tokenResult.data.access_token}` },
  });

  const interactive = process.stderr.isTTY === true;
  const bar = new cliProgress.SingleBar(
    { format: "  syncing {bar} {value}/{total} calls · ok {ok} · failed {failed}", hideCursor: true, noTTYOutput: !interactive, notTTYSchedule: 1_000 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(PATIENTS + APPOINTMENTS, 0, { ok: 0, failed: 0 });
  const tick = () => bar.increment(1, { ok: tally.ok, failed: tally.calls - tally.ok });

  const createdPatients: string[] = [];
  const patients = Array.from({ length: PATIENTS }, (_, i) => ({
    identifier: `MRN-${String(100000 + i)}`,
    givenName: `Given${i}`,
    familyName: `Family${i % 37}`,
    birthDate: `19${String(50 + (i % 50)).padStart(2, "0")}-0${1 + (i % 9)}-1${i % 9}`,
  }));
  await pool(patients, CONCURRENCY, async (patient) => {
    const result = await clinic.createPatient({ params: { header: { "Idempotency-Key": keyFor("patient", patient.identifier) } }, body: patient });
    record(result);
    if (result.data) createdPatients.push(result.data.id);
    tick();
  });

  const appointments = Array.from({ length: APPOINTMENTS }, (_, i) => {
    const start = new Date(Date.UTC(2030, 0, 2 + Math.floor(i / 16), 8 + (i % 8), 0));
    return {
      patientId: createdPatients[i % Math.max(1, createdPatients.length)] ?? "pat-unknown",
      practitionerId: `pr-${100 + (i % 3)}`,
      start: start.toISOString(),
      end: new Date(start.getTime() + 30 * 60_000).toISOString(),
      reason: "Routine check-up",
    };
  });
  await pool(appointments, CONCURRENCY, async (appointment) => {
    const result = await clinic.createAppointment({
      params: { header: { "Idempotency-Key": keyFor("appointment", `${appointment.patientId}@${appointment.start}`) } },
      body: appointment,
    });
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
    ["throttled (429)", String(tally.failures.get("HTTP 429") ?? 0)],
    ["failed otherwise", [...tally.failures].filter(([k]) => k !== "HTTP 429").map(([k, v]) => `${v} ${k}`).join(", ") || "0"],
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
    "\nNo retries and no client-side pacing yet: every throttled or faulted write above is lost.\n" +
      "The runtime policies (retry with Retry-After, rate limiting, idempotent retries) are the next issue.\n",
  );
  await sim.close();
}

await main();
