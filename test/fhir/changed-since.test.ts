/**
 * "What changed since my checkpoint" on the FHIR simulator: `_lastUpdated` with its prefixes
 * and partial dates, `_sort=_lastUpdated`, and a conditional read (If-None-Match) that
 * answers 304 while the client holds the current version.
 */
import { describe, expect, it } from "@jest/globals";
import { dateRange } from "../../src/testing/fhir/last-updated.js";
import { simulatorPool } from "../helpers/simulator.js";

const sims = simulatorPool();
const T0 = Date.parse("2026-11-30T10:00:00.000Z");

async function fhirGet(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  const text = await response.text();
  return { status: response.status, etag: response.headers.get("etag"), body: text ? (JSON.parse(text) as { total?: number; entry?: Array<{ resource: { id: string } }>; issue?: unknown[] }) : undefined };
}

async function simulatorWithThreePatients() {
  let now = T0;
  const sim = await sims.fhir({ clock: () => now });
  const ids: string[] = [];
  for (const [i, at] of [T0, T0 + 1_500, T0 + 86_400_000].entries()) {
    now = at;
    ids.push(sim.store.put({ resourceType: "Patient", id: `p${i}`, gender: "unknown" }).id);
  }
  return { sim, ids, setNow: (ms: number) => void (now = ms) };
}

const idsOf = (body: { entry?: Array<{ resource: { id: string } }> } | undefined) => (body?.entry ?? []).map((e) => e.resource.id);

describe("_lastUpdated on the FHIR simulator", () => {
  it("filters by instant with gt, ge, lt and le, to the millisecond", async () => {
    const { sim } = await simulatorWithThreePatients();
    const search = async (q: string) => idsOf((await fhirGet(`${sim.url}/Patient?${q}`)).body);
    expect(await search("_lastUpdated=gt2026-11-30T10:00:00.000Z")).toEqual(["p1", "p2"]);
    expect(await search("_lastUpdated=ge2026-11-30T10:00:00.000Z")).toEqual(["p0", "p1", "p2"]);
    expect(await search("_lastUpdated=lt2026-11-30T10:00:01.500Z")).toEqual(["p0"]);
    expect(await search("_lastUpdated=le2026-11-30T10:00:01.500Z")).toEqual(["p0", "p1"]);
    expect(await search("_lastUpdated=gt2026-11-30T10:00:00.000Z&_lastUpdated=lt2026-12-01")).toEqual(["p1"]);
  });

  it("reads a partial date as the whole period it names", async () => {
    const { sim } = await simulatorWithThreePatients();
    const search = async (q: string) => idsOf((await fhirGet(`${sim.url}/Patient?${q}`)).body);
    expect(await search("_lastUpdated=2026-11-30")).toEqual(["p0", "p1"]);
    expect(await search("_lastUpdated=gt2026-11-30")).toEqual(["p2"]);
    expect(await search("_lastUpdated=ge2026-12")).toEqual(["p2"]);
    expect(await search("_lastUpdated=eq2026")).toEqual(["p0", "p1", "p2"]);
    expect(dateRange("2026-11-30T10:00Z")).toEqual({ start: T0, end: T0 + 60_000 });
  });

  it("sorts by _lastUpdated either way, and pages in that order", async () => {
    const { sim, setNow } = await simulatorWithThreePatients();
    setNow(T0 + 2 * 86_400_000);
    sim.store.put({ resourceType: "Patient", id: "p0", gender: "female" }); // p0 is now the newest
    expect(idsOf((await fhirGet(`${sim.url}/Patient?_sort=_lastUpdated`)).body)).toEqual(["p1", "p2", "p0"]);
    expect(idsOf((await fhirGet(`${sim.url}/Patient?_sort=-_lastUpdated&_count=2`)).body)).toEqual(["p0", "p2"]);
  });

  it("answers a value that is not a date with a 400 OperationOutcome", async () => {
    const { sim } = await simulatorWithThreePatients();
    for (const bad of ["yesterday", "gt2026-13", "2026-11-30T10:00", "gt"]) {
      const reply = await fhirGet(`${sim.url}/Patient?_lastUpdated=${encodeURIComponent(bad)}`);
      expect({ bad, status: reply.status }).toEqual({ bad, status: 400 });
      expect(reply.body?.issue).toHaveLength(1);
    }
  });
});

describe("conditional read on the FHIR simulator", () => {
  it("answers 304 with no body while the version is current, and 200 once it changes", async () => {
    const { sim, setNow } = await simulatorWithThreePatients();
    const first = await fhirGet(`${sim.url}/Patient/p1`);
    expect(first).toMatchObject({ status: 200, etag: 'W/"1"' });
    expect(await fhirGet(`${sim.url}/Patient/p1`, { "if-none-match": 'W/"1"' })).toEqual({ status: 304, etag: 'W/"1"', body: undefined });
    expect((await fhirGet(`${sim.url}/Patient/p1`, { "if-none-match": '"1"' })).status).toBe(304); // weak comparison
    expect((await fhirGet(`${sim.url}/Patient/p1`, { "if-none-match": "*" })).status).toBe(304);

    setNow(T0 + 90_000);
    sim.store.put({ resourceType: "Patient", id: "p1", gender: "male" });
    const changed = await fhirGet(`${sim.url}/Patient/p1`, { "if-none-match": 'W/"1"' });
    expect(changed).toMatchObject({ status: 200, etag: 'W/"2"' });
  });
});
