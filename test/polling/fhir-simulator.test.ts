/**
 * The poller against the FHIR simulator over real HTTP on 127.0.0.1, on stepped fake time
 * (the simulator writes with the same clock): a tenant-wide `_lastUpdated` search and
 * conditional reads hand off every version once, unchanged reads cost 304s, and a 429 from
 * the server pauses the tenant until its Retry-After.
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import type { Patient } from "fhir/r4.js";
import { createFhirR4Client } from "../../generated/fhir-r4/index.js";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { conditionalReadTarget, fhirChangesTarget, poller, sqlitePollCheckpointStore, type PollEvent, type PollTarget } from "../../src/polling/index.js";
import type { FetchLike } from "../../src/runtime/wire/transport.js";
import { SteppedClock } from "../helpers/fake-time.js";
import { simulatorPool } from "../helpers/simulator.js";

const sims = simulatorPool();

/** When `version` (`id@n`), or a later version of the same resource, was first handed off. */
function coveredAt(handed: ReadonlyArray<{ version: string; at: number }>, version: string): number {
  const [id, n] = version.split("@") as [string, string];
  const found = handed.find((h) => h.version.startsWith(`${id}@`) && Number(h.version.split("@")[1]) >= Number(n));
  return found?.at ?? Number.POSITIVE_INFINITY;
}
const T0 = Date.UTC(2030, 0, 1);
const dir = mkdtempSync(path.join(os.tmpdir(), "carewire-poll-fhir-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function world(options: { rateLimit?: { limit: number; windowSeconds: number } } = {}) {
  const clock = new SteppedClock(T0);
  const sim = await sims.fhir({ clock: () => clock.now(), ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}) });
  const statuses: number[] = [];
  const fetch: FetchLike = async (request) => {
    const response = await clock.fetch(request);
    statuses.push(response.status);
    return response;
  };
  const fhir = createFhirR4Client({ baseUrl: sim.url, clock, fetch, pacing: false, ...(options.rateLimit ? { retry: false } : {}) });
  const write = (id: string) => sim.store.put({ resourceType: "Patient", id, gender: "unknown" });
  return { clock, sim, fhir, statuses, write };
}

describe("poller against the FHIR simulator", () => {
  it("hands off each version it sees once, every resource up to its last version, fresh within the cadence", async () => {
    const { clock, fhir, write } = await world();
    for (let i = 0; i < 30; i++) write(`cold-${i}`);
    const handed: Array<{ version: string; at: number }> = [];
    const written = new Map<string, number>();
    const targets: Array<PollTarget<Patient>> = [fhirChangesTarget(fhir.Patient, { key: "clinic-1/Patient", tenant: "clinic-1", pageSize: 5 })];
    const p = poller<Patient>({ targets, clock, minIntervalMs: 5_000, maxIntervalMs: 60_000, initialIntervalMs: 5_000, onChange: (c) => void handed.push(...c.changes.map((r) => ({ version: `${r.id}@${r.meta?.versionId}`, at: c.at }))) });
    const scenario = (async () => {
      p.start();
      for (let round = 0; round < 40; round++) {
        await clock.sleep(round % 10 === 0 ? 90_000 : 7_000);
        // Bursts of the same instant: three resources in one millisecond.
        for (const id of [`hot-${round % 3}`, `cold-${round}`, `new-${round}`]) {
          const stored = write(id);
          written.set(`${stored.id}@${stored.meta?.versionId}`, clock.now());
        }
      }
      await clock.sleep(120_000);
      await p.stop();
    })();
    await clock.run(scenario);
    // Each version handed off at most once; a version overwritten before a poll saw it is covered by the newer one.
    expect(new Set(handed.map((h) => h.version)).size).toBe(handed.length);
    const freshness = [...written].map(([version, at]) => coveredAt(handed, version) - at);
    expect(freshness.every((f) => Number.isFinite(f))).toBe(true);
    expect(Math.max(...freshness)).toBeLessThanOrEqual(60_000 * 1.1);
    // Every resource ends handed off at its last version.
    const last = new Map([...written.keys()].map((v) => v.split("@") as [string, string]));
    for (const [id, version] of last) expect(handed.some((h) => h.version === `${id}@${version}`)).toBe(true);
  }, 60_000);

  it("reads conditionally: an unchanged resource costs a 304, a new version is handed off once", async () => {
    const { clock, fhir, statuses, write } = await world();
    write("p1");
    const handed: string[] = [];
    const events: PollEvent[] = [];
    const p = poller<Patient>({
      targets: [conditionalReadTarget(fhir.Patient, { tenant: "clinic-1", id: "p1" })],
      clock,
      minIntervalMs: 10_000,
      maxIntervalMs: 10_000,
      initialIntervalMs: 10_000,
      onChange: (c) => void handed.push(...c.changes.map((r) => `${r.id}@${r.meta?.versionId}`)),
      observer: (e) => void events.push(e),
    });
    await clock.run(
      (async () => {
        p.start();
        await clock.sleep(55_000);
        write("p1");
        await clock.sleep(50_000);
        await p.stop();
      })(),
    );
    expect(handed).toEqual(["p1@1", "p1@2"]);
    expect(statuses.filter((s) => s === 304).length).toBeGreaterThanOrEqual(7);
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(events.filter((e) => e.type === "unchanged").length).toBe(statuses.filter((s) => s === 304).length);
  }, 60_000);

  it("after a restart with an empty cache, asks with the checkpoint's ETag: a 304, nothing handed off again", async () => {
    const { clock, sim, statuses, write } = await world();
    write("p1");
    const file = path.join(dir, "conditional.db");
    const handed: string[] = [];
    const runApp = async (ms: number) => {
      // A new process: a new client (its cache empty) on the same checkpoint file.
      const fhir = createFhirR4Client({ baseUrl: sim.url, clock, fetch: async (r) => { const a = await clock.fetch(r); statuses.push(a.status); return a; }, pacing: false });
      const store = sqlitePollCheckpointStore(file);
      const p = poller<Patient>({ targets: [conditionalReadTarget(fhir.Patient, { tenant: "clinic-1", id: "p1" })], store, clock, minIntervalMs: 10_000, maxIntervalMs: 10_000, initialIntervalMs: 10_000, onChange: (c) => void handed.push(...c.changes.map((r) => `${r.id}@${r.meta?.versionId}`)) });
      await clock.run(
        (async () => {
          p.start();
          await clock.sleep(ms);
          await p.stop();
        })(),
      );
      await store.close();
    };
    await runApp(15_000);
    statuses.length = 0;
    await runApp(15_000);
    expect(handed).toEqual(["p1@1"]);
    expect(statuses).toEqual([304]);
    write("p1");
    await runApp(15_000);
    expect(handed).toEqual(["p1@1", "p1@2"]);
  }, 60_000);

  it("pauses a tenant on the server's 429 until its Retry-After", async () => {
    const { clock, fhir, statuses, write } = await world({ rateLimit: { limit: 3, windowSeconds: 60 } });
    write("p1");
    const events: PollEvent[] = [];
    const p = poller<Patient>({
      targets: ["p1", "p2", "p3", "p4"].map((id) => conditionalReadTarget(fhir.Patient, { tenant: "clinic-1", id })),
      clock,
      minIntervalMs: 5_000,
      maxIntervalMs: 5_000,
      initialIntervalMs: 5_000,
      onChange: () => undefined,
      observer: (e) => void events.push(e),
    });
    await clock.run(
      (async () => {
        p.start();
        await clock.sleep(100_000);
        await p.stop();
      })(),
    );
    const paused = events.find((e) => e.type === "paused");
    expect(paused).toMatchObject({ tenant: "clinic-1", reason: "rate-limited" });
    if (paused?.type !== "paused") throw new Error("no pause");
    expect(paused.until).toBeGreaterThan(paused.at);
    const pollsDuringPause = events.filter((e) => e.type === "poll" && e.at > paused.at && e.at < paused.until);
    expect(pollsDuringPause).toEqual([]);
    // Only the first 429 of each window was sent: the pause held the rest back.
    expect(statuses.filter((s) => s === 429).length).toBeLessThanOrEqual(2);
  }, 60_000);
});
