/**
 * The FHIR client against carewire's FHIR simulator serving specs/fhir-r4: paging across
 * pages, Bulk Data export (polling, progress, errors, streaming), and a 500-patient sync
 * with Provenance under the simulator's 429s and faults.
 */
import { describe, expect, it } from "@jest/globals";
import type { Patient, Resource } from "fhir/r4.js";
import { FakeClock } from "carewire/testing";
import { createFhirR4Client } from "../../generated/fhir-r4/index.js";
import { SteppedClock } from "../helpers/fake-time.js";
import { simulatorPool } from "../helpers/simulator.js";
import { seededRandom } from "../../src/testing/simulator/random.js";

const sims = simulatorPool();
const start = sims.fhir;

const MRN = "urn:carewire:mrn";
const patient = (n: number): Patient => ({ resourceType: "Patient", identifier: [{ system: MRN, value: `M-${n}` }], name: [{ family: `Family${n % 7}`, given: ["Pat"] }], gender: "unknown" });

describe("FHIR client against the FHIR simulator", () => {
  it("pages through 45 matches 10 at a time, following link[next]", async () => {
    const s = await start();
    const fhir = createFhirR4Client({ baseUrl: s.url, pacing: { limit: Infinity } });
    for (let i = 0; i < 45; i++) await fhir.Patient.create(patient(i));

    const pages: number[] = [];
    for await (const bundle of fhir.Patient.searchPages({ _count: 10 })) pages.push(bundle.entry?.length ?? 0);
    expect(pages).toEqual([10, 10, 10, 10, 5]);
    const ids = new Set<string>();
    for await (const p of fhir.Patient.searchAll({ family: "Family3", _count: 2 })) ids.add(p.id!);
    expect(ids.size).toBe(s.store.search("Patient", [["family", "Family3"]]).length);
  });

  it("answers a parameter the CapabilityStatement does not declare with 400, as a typed FhirError", async () => {
    const s = await start();
    const fhir = createFhirR4Client({ baseUrl: s.url });
    // A client compiled from another statement could send it; this server never heard of it.
    const result = await fhir.Patient.search({ "shoe-size": "42" } as never);
    expect(result.error).toMatchObject({ kind: "fhir", status: 400 });
  });

  it("exports in bulk: polls no faster than Retry-After, reports X-Progress, streams every resource and surfaces the error file", async () => {
    const s = await start({ bulk: { pollsBeforeReady: 3, retryAfterSeconds: 2, synthetic: { Patient: 250 }, errors: 2 } });
    const clock = new FakeClock({ autoAdvance: true });
    const fhir = createFhirR4Client({ baseUrl: s.url, clock, pacing: { limit: Infinity } });
    for (let i = 0; i < 5; i++) await fhir.Patient.create(patient(i));
    const progress: Array<{ text: string | undefined; nextPollMs: number }> = [];
    const startedAt = clock.now();

    const job = await fhir.bulkExport({ types: ["Patient"], onProgress: (p) => void progress.push({ text: p.text, nextPollMs: p.nextPollMs }) });

    expect(job.error).toBeUndefined();
    expect(job.data!.polls).toBe(4);
    expect(progress.map((p) => p.text)).toEqual(["0%", "33%", "67%"]);
    expect(progress.every((p) => p.nextPollMs >= 2_000)).toBe(true);
    expect(clock.now() - startedAt).toBeGreaterThanOrEqual(6_000);
    let count = 0;
    const types = new Set<string>();
    for await (const r of job.data!.resources()) {
      count++;
      types.add((r as Resource).resourceType);
    }
    expect(count).toBe(255);
    expect(job.data!.progress.resources).toBe(255);
    expect(job.data!.progress.bytes).toBeGreaterThan(255 * 200);
    expect([...types]).toEqual(["Patient"]);
    const errors = await job.data!.errors();
    expect(errors).toHaveLength(2);
    expect(errors[0]!.issue[0]!.code).toBe("processing");
  });

  it("keeps polling through a 429 and a 503 on the status URL", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    // The server's quota runs on the same (fake) clock: two requests per 10 s.
    const s = await start({ clock: () => clock.now(), rateLimit: { limit: 2, windowSeconds: 10 }, bulk: { pollsBeforeReady: 2, retryAfterSeconds: 0, errors: 0 }, faults: { script: { "export-status": [{ kind: "status", status: 503, retryAfter: 1 }] } } });
    const fhir = createFhirR4Client({ baseUrl: s.url, clock, pacing: false });
    const job = await fhir.bulkExport({ types: ["Patient"] });
    expect(job.error).toBeUndefined();
    expect(s.counters.faults).toBe(1);
    expect(s.counters.throttled).toBeGreaterThan(0);
    expect(await job.data!.errors()).toEqual([]);
  });

  it("backs off exponentially while the server gives no Retry-After", async () => {
    const s = await start({ bulk: { pollsBeforeReady: 5, retryAfterSeconds: null, errors: 0 } });
    const clock = new FakeClock({ autoAdvance: true });
    const fhir = createFhirR4Client({ baseUrl: s.url, clock, random: () => 1, pacing: { limit: Infinity } });
    const waits: number[] = [];
    const job = await fhir.bulkExport({ pollBaseMs: 1_000, pollCapMs: 10_000, onProgress: (p) => void waits.push(p.nextPollMs) });
    expect(job.error).toBeUndefined();
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 10_000]); // doubling from the base, up to the cap
  });

  it("syncs 500 patients with Provenance under 429s, 503s and resets after commit: exactly 500 Patients and 500 Provenance", async () => {
    // Client and server on one stepped clock: time jumps to the next timer once every request
    // is answered, so quota windows, Retry-After waits and backoff play out the same on a
    // loaded machine as on an idle one, and the seeded faults fall on the same requests.
    const clock = new SteppedClock();
    const s = await start({
      clock,
      rateLimit: { limit: 100, windowSeconds: 1 },
      seed: 5,
      faults: { random: { rate: 0.15, faults: [{ kind: "reset-after-commit", weight: 2 }, { kind: "status", status: 503, weight: 1 }] } },
    });
    const fhir = createFhirR4Client({
      baseUrl: s.url,
      clock,
      fetch: clock.fetch,
      random: seededRandom(11),
      pacing: { limit: 130, windowMs: 1_000, maxConcurrent: 8 }, // the client's idea of the quota is too generous: the server's 429s teach it
      provenance: { agent: { display: "clinic sync" }, source: "urn:carewire:clinic" },
      // A background sync can afford more attempts than an interactive call: 15 % faults
      // make four failures in a row likely somewhere in 500 writes.
      retry: { maxAttempts: 8 },
    });
    const outcomes = await clock.run(
      Promise.all(
        Array.from({ length: 500 }, async (_, n) => {
          const result = await fhir.Patient.ensure(patient(n), { businessKey: { mrn: `M-${n}` } });
          return result.error ? result.error.kind : "ok";
        }),
      ),
    );
    const failed = outcomes.filter((o) => o !== "ok");
    expect(failed).toEqual([]);
    expect(s.store.count("Patient")).toBe(500);
    expect(s.store.count("Provenance")).toBe(500);
    expect(s.counters.faults).toBeGreaterThan(0);
    expect(s.counters.throttled).toBeGreaterThan(0);
    // Every Patient has exactly one Provenance pointing at it.
    const targets = new Set([...s.store.all("Provenance")].map((p) => ((p.target as Array<{ reference: string }>)[0]!.reference)));
    expect(targets.size).toBe(500);
  }, 120_000);

  it("does not send a plain create again after a lost answer (FHIR servers ignore Idempotency-Key), but does a conditional one", async () => {
    const s = await start({ faults: { script: { "Patient.create": [{ kind: "reset-after-commit" }, { kind: "reset-after-commit" }] } } });
    const fhir = createFhirR4Client({ baseUrl: s.url, pacing: { limit: Infinity } });

    const plain = await fhir.Patient.create(patient(800));
    expect(plain.error).toMatchObject({ kind: "unknown-outcome" });
    expect(plain.meta.attempts).toHaveLength(1);
    expect(s.store.count("Patient")).toBe(1); // applied once, and not repeated

    const conditional = await fhir.Patient.ensure(patient(801));
    expect(conditional.error).toBeUndefined();
    expect(conditional.meta.attempts).toHaveLength(2); // the retry found it by its identifier
    expect(s.store.count("Patient")).toBe(2);
  });

  it("an update whose answer was lost and whose retry meets 412 ends unknown-outcome, not a conflict: the version it moved may be its own", async () => {
    const s = await start({ faults: { script: { "Patient.update": [{ kind: "reset-after-commit" }] } } });
    const fhir = createFhirR4Client({ baseUrl: s.url, pacing: { limit: Infinity } });
    const created = (await fhir.Patient.create(patient(960))).data!;
    const updated = await fhir.Patient.update({ ...created, id: created.id!, gender: "female" });
    expect(updated.error).toMatchObject({ kind: "unknown-outcome", lastStatus: 412, replaySafe: false });
    // It did land.
    expect((await fhir.Patient.read(created.id!)).data).toMatchObject({ gender: "female", meta: { versionId: "2" } });
  });

  it("answers an invalid resource 422 with an issue per violation, in a transaction too (nothing written); validateResources: false accepts it", async () => {
    const s = await start();
    const fhir = createFhirR4Client({ baseUrl: s.url, pacing: { limit: Infinity } });
    const invalid = { resourceType: "Patient", gender: "robot", birthDate: "not-a-date", bogusField: 1 } as unknown as Patient;
    const refused = await fhir.Patient.create(invalid);
    expect(refused.error).toMatchObject({ kind: "fhir", status: 422 });
    const issues = (refused.error as unknown as { body: { issue: Array<{ code: string; expression: string[] }> } }).body.issue;
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: "structure", expression: ["bogusField"] }),
        expect.objectContaining({ code: "value", expression: ["gender"] }),
        expect.objectContaining({ code: "value", expression: ["birthDate"] }),
      ]),
    );
    const transaction = await fhir.transaction({ resourceType: "Bundle", type: "transaction", entry: [
      { resource: patient(950), request: { method: "POST", url: "Patient" } },
      { resource: invalid, request: { method: "POST", url: "Patient" } },
    ] });
    expect(transaction.error).toMatchObject({ kind: "fhir", status: 422 });
    expect(s.store.count("Patient")).toBe(0);

    const lenient = await start({ validateResources: false });
    const accepting = createFhirR4Client({ baseUrl: lenient.url, pacing: { limit: Infinity } });
    expect((await accepting.Patient.create(invalid)).error).toBeUndefined();
  });

  it("answers a read of a deleted resource 410 Gone, and of one never made 404, each with an OperationOutcome", async () => {
    const s = await start();
    const fhir = createFhirR4Client({ baseUrl: s.url, pacing: { limit: Infinity } });
    const created = await fhir.Patient.create(patient(900));
    const id = created.data!.id!;
    expect((await fhir.Patient.delete(id)).error).toBeUndefined();
    const gone = await fhir.Patient.read(id);
    expect(gone.error).toMatchObject({ kind: "fhir", status: 410, codes: ["deleted"] });
    const never = await fhir.Patient.read("never-made");
    expect(never.error).toMatchObject({ kind: "fhir", status: 404, codes: ["not-found"] });
  });

  it("answers bad requests with OperationOutcomes, and applies a transaction all or nothing", async () => {
    const s = await start();
    const post = (path: string, body: string, headers: Record<string, string> = {}) => fetch(`${s.url}${path}`, { method: "POST", headers: { "content-type": "application/fhir+json", ...headers }, body });
    expect((await post("/Patient", "{ not json")).status).toBe(400);
    expect((await post("/", JSON.stringify({ resourceType: "Patient" }))).status).toBe(400);
    expect((await fetch(`${s.url}/Medication/1`)).status).toBe(404);
    expect((await fetch(`${s.url}/Provenance/1`, { method: "PUT", headers: { "content-type": "application/fhir+json" }, body: JSON.stringify({ resourceType: "Provenance", id: "1" }) })).status).toBe(405);

    const fhir = createFhirR4Client({ baseUrl: s.url });
    const existing = (await fhir.Patient.create(patient(900))).data!;
    await fhir.Patient.update({ ...existing, id: existing.id!, gender: "other" }); // now version 2
    const before = { patients: s.store.count("Patient"), writes: s.store.writes };
    const result = await fhir.transaction({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { fullUrl: "urn:uuid:new-1", resource: patient(901), request: { method: "POST", url: "Patient" } },
        { resource: { ...existing, gender: "male" } as Patient, request: { method: "PUT", url: `Patient/${existing.id}`, ifMatch: 'W/"1"' } },
      ],
    });
    expect(result.error).toMatchObject({ kind: "fhir", status: 412 });
    expect({ patients: s.store.count("Patient"), writes: s.store.writes }).toEqual(before);
  });
});
