/**
 * A generic target over a generated OpenAPI operation: the clinic client's getPatient
 * against the clinic simulator over HTTP (stepped fake time), read by ETag; and a failed
 * call surfacing as its typed error, so a 429 pauses the tenant.
 */
import { describe, expect, it } from "@jest/globals";
import { DEFAULT_CLIENTS } from "../../src/testing/index.js";
import { createClinicClient } from "../../generated/clinic/index.js";
import { operationTarget, poller, type PollEvent } from "../../src/polling/index.js";
import { RateLimitedError } from "../../src/runtime/core/errors.js";
import { FakeClock } from "../../src/testing/fake-clock.js";
import { SteppedClock } from "../helpers/fake-time.js";
import { NEW_PATIENT, simulatorPool } from "../helpers/simulator.js";
import { run } from "./feed.js";

const sims = simulatorPool();
const T0 = Date.UTC(2030, 0, 1);

describe("operationTarget", () => {
  it("polls getPatient by ETag: each new version handed off once, an unchanged one not at all", async () => {
    const sim = await sims.clinic({ rateLimit: false });
    const clock = new SteppedClock(T0);
    const clinic = createClinicClient({ baseUrl: sim.url, clock, fetch: clock.fetch, pacing: false, auth: { tokenUrl: sim.tokenPath, clientId: "carewire-demo", clientSecret: DEFAULT_CLIENTS["carewire-demo"]! } });
    const created = await clock.run(clinic.createPatient({ body: NEW_PATIENT }));
    const id = created.data!.id;
    const handed: string[] = [];
    const events: PollEvent[] = [];
    const target = operationTarget({
      key: `clinic-1/patient/${id}`,
      tenant: "clinic-1",
      call: (_checkpoint, options) => clinic.getPatient({ params: { path: { patientId: id } } }, options),
      changes: (patient, checkpoint, response) => {
        const etag = response.headers.get("etag") ?? undefined;
        if (etag === undefined || etag === checkpoint?.etag) return undefined;
        return { changes: [patient], checkpoint: { etag } };
      },
    });
    const p = poller({ targets: [target], clock, minIntervalMs: 10_000, maxIntervalMs: 10_000, initialIntervalMs: 10_000, onChange: (c) => void handed.push(...c.changes.map((x) => x.familyName)), observer: (e) => void events.push(e) });
    await clock.run(
      (async () => {
        p.start();
        await clock.sleep(35_000);
        await clinic.updatePatient({ params: { path: { patientId: id } }, body: { ...NEW_PATIENT, familyName: "Byron" } });
        await clock.sleep(35_000);
        await p.stop();
      })(),
    );
    expect(handed).toEqual(["Lovelace", "Byron"]);
    expect(events.filter((e) => e.type === "unchanged").length).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it("throws a failed call's error, so a 429 pauses the tenant until its retryAt", async () => {
    const clock = new FakeClock({ start: T0 });
    const events: PollEvent[] = [];
    let calls = 0;
    const target = operationTarget<{ items: string[] }, string>({
      key: "k",
      tenant: "clinic-1",
      call: async () => {
        calls++;
        const error = new RateLimitedError(T0 + 70_000, "HTTP 429");
        return { error, response: undefined, meta: undefined as never };
      },
      changes: (data) => ({ changes: data.items, checkpoint: {} }),
    });
    const p = poller({ targets: [target], clock, minIntervalMs: 10_000, maxIntervalMs: 10_000, initialIntervalMs: 10_000, onChange: () => undefined, observer: (e) => void events.push(e) });
    p.start();
    await run(clock, 75_000);
    const stopping = p.stop();
    await run(clock, 1_000);
    await stopping;
    const polls = events.filter((e) => e.type === "poll").map((e) => e.at - T0);
    expect(events.find((e) => e.type === "paused")).toMatchObject({ reason: "rate-limited", until: T0 + 70_000 });
    expect(polls.filter((t) => t > polls[0]! && t < 70_000)).toEqual([]);
    expect(calls).toBe(2);
  });
});
