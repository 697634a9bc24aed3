/**
 * The generated FHIR client as a fleet: three processes of one app write patients to a
 * real FHIR engine (Medplum's FhirRouter) behind a real limiter (express-rate-limit, one
 * key for all: one client_id), sharing the quota through a real Redis named only by
 * CAREWIRE_REDIS_URL. Nobody tells the clients the quota: they learn it from the headers,
 * each from its own first answers (until then its first sends go unpaced: on a loaded
 * machine a few of those meet the limiter, so the run is long enough to make them few).
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import path from "node:path";
import { childTestTimeout, ROOT, runNode, tsxArgs } from "../helpers/cli.js";
import { startFhirEngine, type FhirEngine } from "../helpers/fhir-engine.js";
import { startRedis, type RedisServer } from "../helpers/redis-server.js";

const INSTANCES = 3;
const PATIENTS_EACH = 80;
let redis: RedisServer;
let engine: FhirEngine;

beforeAll(async () => {
  redis = await startRedis();
  engine = await startFhirEngine({ rateLimit: { limit: 20, windowMs: 1_000 } });
}, 300_000);
afterAll(async () => {
  await engine?.close();
  await redis?.stop();
});

describe("the generated FHIR client in three processes, one client_id, CAREWIRE_REDIS_URL set", () => {
  it("keeps 429s under 5 % of requests and writes every patient once", async () => {
    const worker = (instance: number) =>
      runNode(tsxArgs(path.join(ROOT, "test/helpers/fhir-fleet-worker.ts"), [JSON.stringify({ baseUrl: engine.url, instance, patients: PATIENTS_EACH, concurrency: 4 })]), {
        env: { CAREWIRE_REDIS_URL: redis.url },
      });
    const results = await Promise.all(Array.from({ length: INSTANCES }, (_, i) => worker(i)));

    for (const result of results) expect({ code: result.code, stderr: result.code === 0 ? "" : result.stderr }).toEqual({ code: 0, stderr: "" });
    const reports = results.map((r) => JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { ok: number; failures: Record<string, number> });
    expect(reports.map((r) => r.failures)).toEqual([{}, {}, {}]);
    expect(reports.reduce((n, r) => n + r.ok, 0)).toBe(INSTANCES * PATIENTS_EACH);

    // Every patient once: as many Patients as MRNs, each MRN on one of them (read from the
    // engine's repository: an HTTP search now would meet the limiter the fleet just used up).
    const stored = await engine.repo.searchResources({ resourceType: "Patient", count: 1_000 });
    const mrns = stored.map((p) => (p as { identifier?: Array<{ value?: string }> }).identifier?.[0]?.value);
    expect(mrns).toHaveLength(INSTANCES * PATIENTS_EACH);
    expect(new Set(mrns).size).toBe(INSTANCES * PATIENTS_EACH);

    const requests = engine.requests.length + engine.refused();
    expect(engine.refused()).toBeLessThanOrEqual(requests * 0.05);
  }, childTestTimeout(INSTANCES));
});
