/**
 * The generated FHIR R4 client against a real FHIR engine (Medplum's FhirRouter over a
 * MemoryRepository, on 127.0.0.1): CRUD, typed search, conditional create, If-Match,
 * transactions with urn:uuid references, and Provenance per write.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { Bundle, Patient, Provenance } from "fhir/r4.js";
import { BundleBuilder } from "carewire/fhir";
import { createFhirR4Client } from "../../generated/fhir-r4/index.js";
import { startFhirEngine, type FhirEngine } from "../helpers/fhir-engine.js";

let engine: FhirEngine;
beforeAll(async () => {
  engine = await startFhirEngine();
});
afterAll(async () => {
  await engine.close();
});

const MRN = "urn:oid:1.2.36.146.595.217.0.1";
const patient = (mrn: string, family = "Lovelace"): Patient => ({
  resourceType: "Patient",
  identifier: [{ system: MRN, value: mrn }],
  name: [{ family, given: ["Ada"] }],
  gender: "female",
  birthDate: "1990-04-01",
});

describe("FHIR client against the FHIR engine", () => {
  it("creates, reads, updates (with If-Match), reads a version, lists history and deletes", async () => {
    const fhir = createFhirR4Client({ baseUrl: engine.url });
    const created = await fhir.Patient.create(patient("crud-1"));
    expect(created.error).toBeUndefined();
    const id = created.data!.id!;
    expect(created.meta.operationId).toBe("Patient.create");
    expect(created.response?.status).toBe(201);

    const read = await fhir.Patient.read(id);
    expect(read.data?.name?.[0]?.family).toBe("Lovelace");

    const updated = await fhir.Patient.update({ ...read.data!, id, gender: "other" });
    expect(updated.error).toBeUndefined();
    expect(updated.data?.gender).toBe("other");
    expect(engine.requests.at(-1)!.headers["if-match"]).toBe(`W/"${read.data!.meta!.versionId}"`);

    const first = await fhir.Patient.vread(id, read.data!.meta!.versionId!);
    expect(first.data?.gender).toBe("female");
    const history = await fhir.Patient.history(id);
    expect(history.data?.entry).toHaveLength(2);

    expect((await fhir.Patient.delete(id)).error).toBeUndefined();
    const gone = await fhir.Patient.read(id);
    // R4 allows 404 or 410 for a deleted resource; the engine answers 404 with an OperationOutcome.
    expect(gone.error).toMatchObject({ kind: "fhir", status: 404 });
    if (gone.error?.kind === "fhir") expect(gone.error.codes).toEqual(["not-found"]);
  });

  it("patches with JSON Patch, sending If-Match for the version it is based on", async () => {
    const fhir = createFhirR4Client({ baseUrl: engine.url });
    const created = (await fhir.Patient.create(patient("patch-1"))).data!;
    const patched = await fhir.Patient.patch(created.id!, [{ op: "replace", path: "/gender", value: "other" }], { ifMatch: created.meta!.versionId! });
    expect(patched.error).toBeUndefined();
    expect(patched.data?.gender).toBe("other");
    const sent = engine.requests.at(-1)!;
    expect(sent.headers["content-type"]).toBe("application/json-patch+json");
    expect(sent.headers["if-match"]).toBe(`W/"${created.meta!.versionId}"`);
    // (This engine does not check If-Match on PATCH; the 412 path is tested on update.)
  });

  it("searches with typed parameters (token object, string modifier, date prefix, AND)", async () => {
    const fhir = createFhirR4Client({ baseUrl: engine.url });
    await fhir.Patient.create(patient("search-1", "Hopper"));
    await fhir.Patient.create({ ...patient("search-2", "Hopper"), birthDate: "1950-01-01" });

    const byToken = await fhir.Patient.search({ identifier: { system: MRN, code: "search-1" } });
    expect(byToken.data?.entry?.map((e) => e.resource?.identifier?.[0]?.value)).toEqual(["search-1"]);

    const byDate = await fhir.Patient.search({ "family:exact": "Hopper", birthdate: { and: ["ge1940-01-01", "lt1960-01-01"] } });
    expect(byDate.data?.entry?.map((e) => e.resource?.identifier?.[0]?.value)).toEqual(["search-2"]);
    expect(engine.requests.at(-1)!.url).toBe("/Patient?family%3Aexact=Hopper&birthdate=ge1940-01-01&birthdate=lt1960-01-01");

    const all: string[] = [];
    for await (const p of fhir.Patient.searchAll({ family: "Hopper", _count: 10 })) all.push(p.identifier![0]!.value!);
    expect(all.sort()).toEqual(["search-1", "search-2"]);
  });

  it("conditional create (If-None-Exist): the second create of the same identifier returns the first resource", async () => {
    const fhir = createFhirR4Client({ baseUrl: engine.url });
    const first = await fhir.Patient.ensure(patient("dedupe-1"));
    const second = await fhir.Patient.ensure(patient("dedupe-1"));

    expect(first.response?.status).toBe(201);
    expect(second.response?.status).toBe(200);
    expect(second.data?.id).toBe(first.data?.id);
    expect(engine.requests.at(-1)!.headers["if-none-exist"]).toBe(`identifier=${encodeURIComponent(MRN)}%7Cdedupe-1`);
    const found = await fhir.Patient.search({ identifier: { system: MRN, code: "dedupe-1" } });
    expect(found.data?.entry).toHaveLength(1);
  });

  it("refuses ensure() for a resource without a system+value identifier, without sending", async () => {
    const fhir = createFhirR4Client({ baseUrl: engine.url });
    const before = engine.requests.length;
    const result = await fhir.Patient.ensure({ resourceType: "Patient", identifier: [{ value: "no-system" }] });
    expect(result.error).toMatchObject({ kind: "invalid-request" });
    expect(engine.requests.length).toBe(before);
  });

  it("a stale If-Match gets 412 as a typed FhirError conflict, sent once (never retried blindly)", async () => {
    const fhir = createFhirR4Client({ baseUrl: engine.url });
    const created = (await fhir.Patient.create(patient("stale-1"))).data!;
    await fhir.Patient.update({ ...created, id: created.id!, gender: "male" }); // someone else's change

    const before = engine.requests.length;
    const stale = await fhir.Patient.update({ ...created, id: created.id!, gender: "unknown" }); // still based on version 1

    expect(stale.error).toMatchObject({ kind: "fhir", status: 412 });
    if (stale.error?.kind !== "fhir") throw new Error("expected a FhirError");
    expect(stale.error.outcome.resourceType).toBe("OperationOutcome");
    expect(stale.meta.attempts).toHaveLength(1);
    expect(engine.requests.length - before).toBe(1);
  });

  it("sends a transaction whose entries reference each other through urn:uuid, with a Provenance", async () => {
    const fhir = createFhirR4Client({ baseUrl: engine.url });
    const tx = new BundleBuilder("transaction");
    const subject = tx.create(patient("tx-1"), { ifNoneExist: "identifier" });
    tx.create({ resourceType: "Encounter", status: "finished", class: { code: "AMB" }, subject });
    tx.provenance([subject], { agent: { display: "clinic sync" }, source: "urn:carewire:clinic" }, "req-tx-1");

    const result = await fhir.transaction(tx.build());

    expect(result.error).toBeUndefined();
    const entries = result.data!.entry!;
    expect(entries).toHaveLength(3);
    const patientId = (entries[0]!.resource as Patient).id!;
    const encounter = entries[1]!.resource as { subject?: { reference?: string } };
    expect(encounter.subject?.reference).toBe(`Patient/${patientId}`);
    const provenance = entries[2]!.resource as Provenance;
    expect(provenance.target[0]!.reference).toBe(`Patient/${patientId}`);
  });

  it("sends a batch: entries succeed or fail on their own", async () => {
    const fhir = createFhirR4Client({ baseUrl: engine.url });
    const batch = new BundleBuilder("batch");
    batch.create(patient("batch-1"));
    batch.delete("Patient", "does-not-exist");
    batch.create(patient("batch-2"));
    const result = await fhir.batch(batch.build());
    expect(result.error).toBeUndefined();
    expect(result.data?.type).toBe("batch-response");
    expect(result.data?.entry).toHaveLength(3);
    const found = await fhir.Patient.search({ identifier: [{ system: MRN, code: "batch-1" }, { system: MRN, code: "batch-2" }] });
    expect(found.data?.entry).toHaveLength(2);
  });

  it("with provenance on, a write lands with one Provenance (target, agent, source + write key) and meta.source", async () => {
    const fhir = createFhirR4Client({ baseUrl: engine.url, provenance: { agent: { display: "clinic sync" }, source: "urn:carewire:clinic" } });
    const written = await fhir.Patient.ensure(patient("prov-1"), { requestId: "req-prov-1" });

    expect(written.error).toBeUndefined();
    const id = written.data!.id!;
    // One key names the logical write: in meta, in meta.source and in the Provenance.
    const key = written.meta.idempotencyKey!;
    expect(key).toMatch(/^cw1-[0-9a-f]{40}$/);
    expect(written.data!.meta?.source).toBe(`urn:carewire:clinic#${key}`);
    const provenances = await fhir.Provenance.search({ target: `Patient/${id}` });
    const records = provenances.data!.entry!.map((e) => e.resource!);
    expect(records).toHaveLength(1);
    expect(records[0]!.agent[0]!.who).toEqual({ display: "clinic sync" });
    expect(records[0]!.entity?.[0]?.what).toEqual({ identifier: { system: "urn:carewire:clinic", value: key } });

    // The same write again: no second Patient (conditional create inside the transaction).
    const again = await fhir.Patient.ensure(patient("prov-1"));
    expect(again.data?.id).toBe(id);
    const patients = await fhir.Patient.search({ identifier: { system: MRN, code: "prov-1" } });
    expect((patients.data as Bundle).entry).toHaveLength(1);
  });
});
