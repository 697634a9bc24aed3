/**
 * Several quotas at once against the FHIR simulator: it counts requests and, beside them,
 * points priced per interaction (read 1, history 10, search 20, write 100), and names both
 * in the RateLimit fields. The generated client paces each quota, priced by interaction,
 * so a mixed workload gets no 429 and never spends more points than a window allows.
 */
import { describe, expect, it } from "@jest/globals";
import type { Bundle, Patient } from "fhir/r4.js";
import { FakeClock } from "carewire/testing";
import { createFhirR4Client } from "../../generated/fhir-r4/index.js";
import { SteppedClock } from "../helpers/fake-time.js";
import { simulatorPool } from "../helpers/simulator.js";

const sims = simulatorPool();
const patient = (n: number): Patient => ({ resourceType: "Patient", identifier: [{ system: "urn:carewire:mrn", value: `M-${n}` }], name: [{ family: `Family${n % 3}` }] });

describe("FHIR simulator: a points quota", () => {
  it("names both quotas in RateLimit and RateLimit-Policy, and refuses a search the points cannot pay, spending nothing", async () => {
    const clock = new FakeClock({ start: Date.UTC(2030, 0, 1) });
    const s = await sims.fhir({ clock: () => clock.now(), rateLimit: { limit: 100, windowSeconds: 60 }, points: { limit: 50, windowSeconds: 60 } });
    const search = () => fetch(`${s.url}/Patient?family=x`);

    const first = await search();
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit")).toBe('"requests";r=99;t=60, "fhirInteractions";r=30;t=60');
    expect(first.headers.get("ratelimit-policy")).toBe('"requests";q=100;w=60, "fhirInteractions";q=50;w=60');
    expect((await search()).status).toBe(200);

    const refused = await search();
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(refused.headers.get("ratelimit")).toBe('"requests";r=97;t=60, "fhirInteractions";r=10;t=60');
    // A read still fits in the 10 points left; the refused search spent none of them.
    expect((await fetch(`${s.url}/Patient/none`)).headers.get("ratelimit")).toBe('"requests";r=96;t=60, "fhirInteractions";r=9;t=60');
    expect(s.counters).toMatchObject({ throttled: 1, points: 41 });
  });

  it("prices a transaction as its entries, and takes prices and a policy name from its options", async () => {
    const clock = new FakeClock({ start: Date.UTC(2030, 0, 1) });
    const s = await sims.fhir({ clock: () => clock.now(), points: { limit: 1_000, windowSeconds: 60, name: "points", prices: { create: 50 } } });
    const bundle: Bundle = { resourceType: "Bundle", type: "transaction", entry: [{ resource: patient(1), request: { method: "POST", url: "Patient" } }, { request: { method: "GET", url: "Patient?family=x" } }] };
    const answer = await fetch(s.url, { method: "POST", headers: { "content-type": "application/fhir+json" }, body: JSON.stringify(bundle) });
    expect(answer.headers.get("ratelimit")).toBe('"points";r=930;t=60');
    expect(s.counters.points).toBe(70);
  });
});

describe("the generated FHIR client under requests and points at once", () => {
  /** A mixed day's work: writes, searches, reads, histories and a transaction. Returns its price in points. */
  async function workload(fhir: ReturnType<typeof createFhirR4Client>): Promise<{ points: number; errors: string[] }> {
    const errors: string[] = [];
    const note = (r: { error?: { kind: string } | undefined }) => void (r.error && errors.push(r.error.kind));
    // One call first: a client that knows no quota learns both from its answer (calls made
    // before it come back would carry no price in a quota nobody had named yet).
    const created = [await fhir.Patient.create(patient(0)), ...(await Promise.all(Array.from({ length: 7 }, (_, n) => fhir.Patient.create(patient(n + 1)))))];
    created.forEach(note);
    const ids = created.map((r) => r.data?.id ?? "missing");
    const calls = [
      ...Array.from({ length: 15 }, (_, n) => fhir.Patient.search({ family: `Family${n % 3}` })),
      ...Array.from({ length: 40 }, (_, n) => fhir.Patient.read(ids[n % ids.length]!)),
      ...Array.from({ length: 6 }, (_, n) => fhir.Patient.history(ids[n % ids.length]!)),
      fhir.transaction({ resourceType: "Bundle", type: "transaction", entry: [{ resource: patient(99), request: { method: "POST", url: "Patient" } }, { request: { method: "GET", url: `Patient/${ids[0]}` } }] }),
    ];
    (await Promise.all(calls)).forEach(note);
    return { points: 8 * 100 + 15 * 20 + 40 * 1 + 6 * 10 + (100 + 1), errors };
  }

  it.each([
    ["configured", { limit: 40, windowMs: 10_000, quotas: { fhirInteractions: { limit: 300, windowMs: 10_000 } } }],
    ["learned from RateLimit-Policy", {}],
  ])("paces both quotas (%s): no 429, and at most the points a window allows", async (_how, pacing) => {
    // Client and server on one stepped clock: windows play out the same on a loaded machine.
    const clock = new SteppedClock();
    const s = await sims.fhir({ clock, rateLimit: { limit: 40, windowSeconds: 10 }, points: { limit: 300, windowSeconds: 10 } });
    const fhir = createFhirR4Client({ baseUrl: s.url, clock, fetch: clock.fetch, pacing });
    const startedAt = clock.now();

    const { points, errors } = await clock.run(workload(fhir));

    expect(errors).toEqual([]);
    // The simulator refuses any request its window's points cannot pay: none was refused.
    expect(s.counters.throttled).toBe(0);
    expect(s.counters.points).toBe(points);
    // 1,301 points at 300 per 10 s window: the work took at least four windows more.
    expect(clock.now() - startedAt).toBeGreaterThanOrEqual(Math.floor(points / 300) * 10_000 - 10_000);
  });
});
