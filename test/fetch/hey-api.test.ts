/**
 * A client carewire did not generate: @hey-api/openapi-ts's fetch client for the clinic
 * spec, its `fetch` set to carewireFetch, against the carewire simulator over real HTTP on
 * 127.0.0.1. Client and simulator share one stepped clock, so Retry-After waits and quota
 * windows play out in fake time, the same on every run.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { CarewireFetchOptions } from "carewire";
import type { SimulatorOptions } from "carewire/testing";
import { operations } from "../../generated/clinic/index.js";
import { byOperation, fetchOnSimulator } from "../helpers/fetch-on-simulator.js";
import { CLINIC_SPEC, NEW_PATIENT, simulatorPool } from "../helpers/simulator.js";
import { generateHeyApiClient, type GeneratedHeyApi } from "./hey-api-client.js";

let generated: GeneratedHeyApi;
beforeAll(async () => {
  generated = await generateHeyApiClient(CLINIC_SPEC);
});
afterAll(async () => {
  await generated.dispose();
});
const sims = simulatorPool();

/** A simulator (no credentials needed) and a hey-api client on carewireFetch, on one stepped clock. */
async function setup(simulator: Partial<SimulatorOptions>, adapter: Partial<CarewireFetchOptions> = {}) {
  const onSim = await fetchOnSimulator((now) => sims.clinic({ auth: false, clock: now, seedExamples: false, rateLimit: false, ...simulator }), adapter);
  const sdk = await generated.load();
  sdk.client.setConfig({ baseUrl: onSim.sim.url, fetch: onSim.fetch });
  return { ...onSim, sdk };
}

describe("a hey-api client on carewireFetch, against the simulator", () => {
  it("retries a 503 after its Retry-After, and the SDK reads the success", async () => {
    const { sim, sdk, clock, reports } = await setup({});
    sim.faults.enqueue("listPatients", [{ kind: "status", status: 503, retryAfter: 3 }]);
    const started = clock.now();

    const result = await clock.run(sdk.listPatients());

    expect(result.error).toBeUndefined();
    expect(result.response.status).toBe(200);
    expect(result.data).toMatchObject({ data: expect.any(Array), page: 1 });
    expect(byOperation(sim, "listPatients").map((e) => e.status)).toEqual([503, 200]);
    expect(reports[0]!.meta.attempts.map((a) => a.status)).toEqual([503, 200]);
    expect(clock.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(result.response.headers.get("x-carewire-attempts")).toBe("2");
  });

  it("spreads reads under the quota it is told: 12 calls at 5 per 10 s, no 429, no window over 5", async () => {
    const { sim, sdk, clock } = await setup({ rateLimit: { limit: 5, windowSeconds: 10 } }, { pacing: { limit: 5, windowMs: 10_000 } });
    const started = clock.now();

    const results = await clock.run(Promise.all(Array.from({ length: 12 }, () => sdk.listPatients())));

    expect(results.map((r) => r.response.status)).toEqual(Array(12).fill(200));
    expect(sim.counters.rateLimited).toBe(0);
    const times = sim.log.map((e) => Date.parse(e.time)).sort((a, b) => a - b);
    expect(times).toHaveLength(12);
    for (const at of times) expect(times.filter((t) => t >= at && t < at + 10_000).length).toBeLessThanOrEqual(5);
    // Twelve calls at five a window take two windows and more.
    expect(clock.now() - started).toBeGreaterThanOrEqual(20_000);
  });

  it("waits out a 429 by its Retry-After when told no quota, and the call succeeds", async () => {
    const { sim, sdk, clock, reports } = await setup({ rateLimit: { limit: 2, windowSeconds: 10 } });
    for (let n = 0; n < 2; n++) expect((await clock.run(sdk.listPatients())).response.status).toBe(200);
    const before = clock.now();

    const third = await clock.run(sdk.listPatients());

    expect(third.response.status).toBe(200);
    expect(byOperation(sim, "listPatients").map((e) => e.status)).toEqual([200, 200, 429, 200]);
    expect(reports[2]!.meta.attempts.map((a) => a.status)).toEqual([429, 200]);
    expect(reports[2]!.meta.attempts[0]!.reason).toMatch(/^HTTP 429; retry in \d+ ms \(server asked\)$/);
    expect(clock.now() - before).toBeGreaterThanOrEqual(1_000);
  });

  it("sends a POST with one Idempotency-Key across its retries: a reset after the commit creates no duplicate", async () => {
    const { sim, sdk, clock, reports } = await setup({}, { operations });
    sim.faults.enqueue("createPatient", [{ kind: "reset-after-commit" }]);

    const created = await clock.run(sdk.createPatient({ body: NEW_PATIENT }));

    expect(created.error).toBeUndefined();
    expect(created.response.status).toBe(201);
    expect(created.data).toMatchObject({ identifier: NEW_PATIENT.identifier });
    const sent = byOperation(sim, "createPatient");
    expect(sent).toHaveLength(2);
    expect(sent[0]!.idempotencyKey).toMatch(/^cw1-/);
    expect(sent[1]!.idempotencyKey).toBe(sent[0]!.idempotencyKey);
    expect(sent[1]!.replayed).toBe(true);
    expect(sim.counters.writesCommitted).toBe(1);
    expect(sim.counters.duplicates).toBe(0);
    expect(reports[0]).toMatchObject({ matched: true, meta: { operationId: "createPatient", path: "/patients", idempotencyKey: sent[0]!.idempotencyKey } });
    expect(reports[0]!.meta.attempts[0]).toMatchObject({ errorKind: "network", outcome: "unknown-outcome" });
  });
});
