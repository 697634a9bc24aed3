/**
 * Exactly one Provenance per effective FHIR write, on a real FHIR engine (Medplum's
 * FhirRouter, in both of its transaction modes) and on carewire's FHIR simulator (in both
 * of its): a found resource gets none, repeats and replays add none, several instances
 * writing the same records add none, a stale update is a typed conflict with none, and a
 * transaction whose entry failed is a typed error naming the entry.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import type { Bundle, OperationOutcome, Patient, Provenance, Resource } from "fhir/r4.js";
import { BundleEntryError, entryOutcomes, type FhirClientOptions } from "carewire/fhir";
import type { ResourceType } from "@medplum/fhirtypes";
import { createFhirR4Client } from "../../generated/fhir-r4/index.js";
import { losingAnswers, startFhirEngine, TRANSACTION_MODES } from "../helpers/fhir-engine.js";
import { simulatorPool } from "../helpers/simulator.js";

interface Server {
  readonly url: string;
  /** Every current resource of a type, read from the server's own store (no HTTP in between). */
  stored(type: "Patient" | "Provenance"): Promise<Resource[]>;
  /** Whether a transaction refused as a whole also undoes the entries it ran before the failed one. */
  readonly rollsBack: boolean;
}

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});
const sims = simulatorPool();

const SERVERS: ReadonlyArray<readonly [string, () => Promise<Server>]> = [
  ...TRANSACTION_MODES.map(
    (mode) =>
      [
        `the FHIR engine (transactions ${mode})`,
        async (): Promise<Server> => {
          const engine = await startFhirEngine({ transactions: mode });
          open.push(() => engine.close());
          // FhirRouter refuses the whole Bundle in its atomic mode, but MemoryRepository has no
          // rollback: what ran before the failed entry stays (a database-backed server undoes it).
          return { url: engine.url, rollsBack: false, stored: (type) => engine.repo.searchResources({ resourceType: type as ResourceType, count: 10_000 }) as Promise<Resource[]> };
        },
      ] as const,
  ),
  ...(["atomic", "entry-by-entry"] as const).map(
    (mode) =>
      [
        `the carewire FHIR simulator (transactions ${mode})`,
        async (): Promise<Server> => {
          const s = await sims.fhir({ transactions: mode });
          return { url: s.url, rollsBack: true, stored: async (type) => [...s.store.all(type)] as unknown as Resource[] };
        },
      ] as const,
  ),
];

const MRN = "urn:carewire:test:mrn";
const SOURCE = "urn:carewire:clinic";
const patient = (mrn: string, family = "Lovelace"): Patient => ({ resourceType: "Patient", identifier: [{ system: MRN, value: mrn }], name: [{ family }] });
const client = (server: Server, options: Partial<FhirClientOptions> = {}) =>
  createFhirR4Client({ baseUrl: server.url, pacing: { limit: Infinity }, provenance: { agent: { display: "clinic sync" }, source: SOURCE }, ...options });
/** A client that writes without carewire's Provenance, as another system would. */
const plainClient = (server: Server) => createFhirR4Client({ baseUrl: server.url, pacing: { limit: Infinity } });
const targets = (records: readonly Resource[]) => records.map((r) => (r as Provenance).target[0]!.reference);

/** A client that does not retry, whose first POST to `path` reaches the server and is applied, but whose answer never arrives. */
function losingFirstAnswerTo(server: Server, path: string) {
  let lostOne = false;
  const fetch = losingAnswers((method, url) => method === "POST" && new URL(url).pathname === path && !lostOne && (lostOne = true));
  return client(server, { fetch, retry: { maxAttempts: 1 } });
}

describe.each(SERVERS)("one Provenance per effective write, on %s", (_name, startServer) => {
  it("ensure() twice: one Patient, one Provenance; the first call created it, the second found it", async () => {
    const server = await startServer();
    const fhir = client(server);

    const first = await fhir.Patient.ensure(patient("twice-1"));
    const second = await fhir.Patient.ensure(patient("twice-1"));

    expect(first).toMatchObject({ created: true });
    expect(second).toMatchObject({ created: false });
    expect(second.data?.id).toBe(first.data?.id);
    // The same record names the same write: one key, derived from the type and identifier.
    expect(second.meta.idempotencyKey).toBe(first.meta.idempotencyKey);
    expect(await server.stored("Patient")).toHaveLength(1);
    const provenance = await server.stored("Provenance");
    expect(targets(provenance)).toEqual([`Patient/${first.data!.id}`]);
    expect(provenance[0]!.meta?.source).toBe(`${SOURCE}#${first.meta.idempotencyKey}`);
  });

  it("a record deleted and ensured again is a new write: it gets its own Provenance", async () => {
    const server = await startServer();
    const fhir = client(server);
    const first = await fhir.Patient.ensure(patient("again-1"));
    await fhir.Patient.delete(first.data!.id!);

    const second = await fhir.Patient.ensure(patient("again-1"));

    expect(second).toMatchObject({ created: true });
    expect(second.data?.id).not.toBe(first.data?.id);
    expect(new Set(targets(await server.stored("Provenance")))).toEqual(new Set([`Patient/${first.data!.id}`, `Patient/${second.data!.id}`]));
  });

  it("ensure() without provenance also says created or found", async () => {
    const server = await startServer();
    const fhir = plainClient(server);
    expect(await fhir.Patient.ensure(patient("plain-1"))).toMatchObject({ created: true });
    expect(await fhir.Patient.ensure(patient("plain-1"))).toMatchObject({ created: false });
    expect(await server.stored("Patient")).toHaveLength(1);
    expect(await server.stored("Provenance")).toHaveLength(0);
  });

  it("three instances, 50 patients each over 35 shared identifiers, at once: one Patient and one Provenance per identifier", async () => {
    const server = await startServer();
    const instances = [client(server), client(server), client(server)];
    const results = await Promise.all(
      instances.flatMap((fhir, i) => Array.from({ length: 50 }, (_, n) => fhir.Patient.ensure(patient(`shared-${(i * 13 + n) % 35}`)))),
    );

    expect(results.filter((r) => r.error !== undefined).map((r) => r.error?.kind)).toEqual([]);
    const patients = await server.stored("Patient");
    expect(patients).toHaveLength(35);
    expect(new Set(patients.map((p) => (p as Patient).identifier![0]!.value)).size).toBe(35);
    const provenance = await server.stored("Provenance");
    expect(provenance).toHaveLength(35);
    expect(new Set(targets(provenance))).toEqual(new Set(patients.map((p) => `Patient/${p.id}`)));
    // Each identifier was created by exactly one call; every other call found it.
    expect(results.filter((r) => r.error === undefined && r.created).length).toBe(35);
  });

  it("a write whose answer was lost, repeated with the error's idempotencyKey: one Patient, one Provenance", async () => {
    const server = await startServer();
    // The first create reaches the server and is applied; its answer never arrives.
    const fhir = losingFirstAnswerTo(server, "/Patient");

    const lost = await fhir.Patient.create(patient("lost-1"));
    expect(lost.error?.kind).toBe("unknown-outcome");
    if (lost.error?.kind !== "unknown-outcome") throw new Error("expected an unknown outcome");
    const key = lost.error.idempotencyKey!;
    expect(key).toMatch(/^cw1-/);
    expect(lost.meta.idempotencyKey).toBe(key);
    expect(await server.stored("Patient")).toHaveLength(1);
    expect(await server.stored("Provenance")).toHaveLength(0);

    // The replay finds the Patient its first attempt made (our own source) and completes its record.
    const replay = await fhir.Patient.create(patient("lost-1"), { idempotencyKey: key });
    expect(replay.error).toBeUndefined();
    expect(replay.meta.idempotencyKey).toBe(key);
    const again = await fhir.Patient.create(patient("lost-1"), { idempotencyKey: key });
    expect(again.data?.id).toBe(replay.data?.id);

    expect(await server.stored("Patient")).toHaveLength(1);
    expect(targets(await server.stored("Provenance"))).toEqual([`Patient/${replay.data!.id}`]);
  });

  it("a Provenance whose answer was lost, the call repeated with its key: still one Provenance", async () => {
    const server = await startServer();
    const fhir = losingFirstAnswerTo(server, "/Provenance");

    const lost = await fhir.Patient.ensure(patient("lost-2"));
    if (lost.error?.kind !== "unknown-outcome") throw new Error(`expected an unknown outcome, got ${lost.error?.kind ?? "success"}`);
    expect(await server.stored("Provenance")).toHaveLength(1);

    const replay = await fhir.Patient.ensure(patient("lost-2"), { idempotencyKey: lost.error.idempotencyKey! });
    expect(replay.error).toBeUndefined();
    expect(await server.stored("Patient")).toHaveLength(1);
    expect(await server.stored("Provenance")).toHaveLength(1);
  });

  it("lost answers retried by the client itself: one Patient, one Provenance per write, the update's included", async () => {
    const server = await startServer();
    // Every first answer to a write is lost once; the retries find what the first attempt did.
    const seen = new Set<string>();
    const fetch = losingAnswers((method, url, body) => method !== "GET" && !seen.has(`${method} ${url} ${body}`) && Boolean(seen.add(`${method} ${url} ${body}`)));
    const fhir = client(server, { fetch });

    const created = await fhir.Patient.ensure(patient("retried-1"));
    expect(created.error).toBeUndefined();
    // The update's retry meets 412 (its own first attempt moved the version on) and sees its own source.
    const updated = await fhir.Patient.update({ ...created.data!, id: created.data!.id!, gender: "other" });
    expect(updated.error).toBeUndefined();
    expect(updated.data?.gender).toBe("other");
    expect(fetch.lost).toBeGreaterThanOrEqual(4);

    expect(await server.stored("Patient")).toHaveLength(1);
    const provenance = (await server.stored("Provenance")) as Provenance[];
    expect(provenance.map((p) => p.activity?.coding?.[0]?.code).sort()).toEqual(["CREATE", "UPDATE"]);
  });

  it("a stale If-Match update: a typed 412 conflict, and no Provenance for it", async () => {
    const server = await startServer();
    const fhir = client(server);
    const created = (await fhir.Patient.ensure(patient("stale-1"))).data!;
    // Someone else's change moves the version on.
    await plainClient(server).Patient.update({ ...created, id: created.id!, gender: "male" }, { ifMatch: false });

    const stale = await fhir.Patient.update({ ...created, id: created.id!, gender: "unknown" });

    expect(stale.error).toMatchObject({ kind: "fhir", status: 412, outcomeClass: "conflict" });
    expect(await server.stored("Provenance")).toHaveLength(1); // the create's, and no other
  });

  it("a resource that exists already (written without carewire): found, and no Provenance", async () => {
    const server = await startServer();
    const existing = (await plainClient(server).Patient.create(patient("found-1"))).data!;

    const found = await client(server).Patient.ensure(patient("found-1"));

    expect(found).toMatchObject({ created: false, data: { id: existing.id } });
    expect(await server.stored("Patient")).toHaveLength(1);
    expect(await server.stored("Provenance")).toHaveLength(0);
  });

  it("a transaction with a failed entry is a typed error naming the entry, never data", async () => {
    const server = await startServer();
    const fhir = plainClient(server);
    const existing = (await fhir.Patient.create(patient("tx-1"))).data!;
    await fhir.Patient.update({ ...existing, id: existing.id!, gender: "other" }); // now a later version

    const result = await fhir.transaction({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { fullUrl: "urn:uuid:3f1c2a8e-0000-4000-8000-000000000001", resource: patient("tx-2"), request: { method: "POST", url: "Patient" } },
        { resource: { ...existing, gender: "male" } as Patient, request: { method: "PUT", url: `Patient/${existing.id}`, ifMatch: `W/"${existing.meta!.versionId}"` } },
      ],
    });

    expect(result.data).toBeUndefined();
    expect(result.error).toMatchObject({ kind: "fhir", status: 412, outcomeClass: "conflict" });
    if (result.error instanceof BundleEntryError) {
      // The server ran the entries one by one and answered 200: the entry says what failed, and what went through.
      expect(result.error.entryIndex).toBe(1);
      expect(result.error.outcome.resourceType).toBe("OperationOutcome");
      expect(result.error.entries.map((e) => e.ok)).toEqual([true, false]);
      expect(await server.stored("Patient")).toHaveLength(2);
    } else {
      // All or nothing: the server refused the whole Bundle with the entry's status.
      expect(result.response?.status).toBe(412);
      if (server.rollsBack) expect(await server.stored("Patient")).toHaveLength(1);
    }
  });

  it("a batch's entries are read and typed: status, location, OperationOutcome", async () => {
    const server = await startServer();
    const result = await plainClient(server).batch({
      resourceType: "Bundle",
      type: "batch",
      entry: [
        { resource: patient("batch-1"), request: { method: "POST", url: "Patient" } },
        { resource: { ...patient("batch-2"), id: "missing" }, request: { method: "PUT", url: "Patient/missing", ifMatch: 'W/"1"' } },
      ],
    });

    expect(result.error).toBeUndefined();
    const [created, failed] = entryOutcomes(result.data!);
    expect(created).toMatchObject({ index: 0, status: 201, ok: true });
    expect(created!.location).toMatch(/Patient\//);
    expect(failed).toMatchObject({ index: 1, ok: false });
    expect(failed!.status).toBeGreaterThanOrEqual(400);
  });
});

describe("a server that answers a write with a Location only", () => {
  it("reads the written resource back, then records its Provenance; an answer naming nothing is malformed", async () => {
    const sent: string[] = [];
    let stored: Patient | undefined;
    const fetch = async (input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit): Promise<Response> => {
      const request = new Request(input, init);
      const path = new URL(request.url).pathname;
      sent.push(`${request.method} ${path}`);
      const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/fhir+json" } });
      if (request.method === "POST" && path === "/Patient") {
        stored = { ...((await request.json()) as Patient), id: "p1", meta: { versionId: "1" } };
        return new Response(null, { status: 201, headers: stored.identifier![0]!.value === "nameless" ? {} : { location: "http://fhir.test/Patient/p1/_history/1" } });
      }
      if (request.method === "GET" && path === "/Patient/p1") return json(200, stored);
      if (request.method === "POST" && path === "/Provenance") return new Response(null, { status: 201, headers: { location: "http://fhir.test/Provenance/v1/_history/1" } });
      return json(404, { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "not-found" }] });
    };
    const fhir = createFhirR4Client({ baseUrl: "http://fhir.test", fetch, pacing: { limit: Infinity }, provenance: { agent: { display: "clinic sync" }, source: SOURCE } });

    const written = await fhir.Patient.ensure(patient("located"));
    expect(written).toMatchObject({ created: true, data: { id: "p1" } });
    expect(sent).toEqual(["POST /Patient", "GET /Patient/p1", "POST /Provenance"]);

    const nameless = await fhir.Patient.ensure(patient("nameless"));
    expect(nameless.error?.kind).toBe("malformed-response");
    expect(nameless.meta.idempotencyKey).toMatch(/^cw1-/);
  });
});

describe("reading a transaction's answer", () => {
  const answering = (body: unknown) => async () => new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/fhir+json" } });
  const sent: Bundle = { resourceType: "Bundle", type: "transaction", entry: [{ resource: patient("r-1"), request: { method: "POST", url: "Patient" } }] };

  it("an entry without a readable status is a MalformedResponseError, not data and not a throw", async () => {
    const fhir = createFhirR4Client({ baseUrl: "http://fhir.test", fetch: answering({ resourceType: "Bundle", type: "transaction-response", entry: [{ response: { status: "created" } }] }) });
    const result = await fhir.transaction(sent);
    expect(result.error?.kind).toBe("malformed-response");
  });

  it("fewer entries than were sent is a MalformedResponseError", async () => {
    const fhir = createFhirR4Client({ baseUrl: "http://fhir.test", fetch: answering({ resourceType: "Bundle", type: "transaction-response", entry: [] }) });
    expect((await fhir.transaction(sent)).error?.kind).toBe("malformed-response");
  });

  it("reads '201 Created', '201' and an HTTP status line alike, and keeps location, etag and outcome", () => {
    const outcomes = entryOutcomes({
      resourceType: "Bundle",
      type: "batch-response",
      entry: [
        { response: { status: "201 Created", location: "Patient/1/_history/1", etag: 'W/"1"', lastModified: "2030-01-01T00:00:00Z" } },
        { response: { status: "201" } },
        { response: { status: "HTTP/1.1 412 Precondition Failed", outcome: { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "conflict" }] } as OperationOutcome as Resource } },
      ],
    });
    expect(outcomes.map((o) => [o.status, o.ok])).toEqual([[201, true], [201, true], [412, false]]);
    expect(outcomes[0]).toMatchObject({ location: "Patient/1/_history/1", etag: 'W/"1"', lastModified: "2030-01-01T00:00:00Z" });
    expect(outcomes[2]!.outcome?.issue[0]!.code).toBe("conflict");
  });
});
