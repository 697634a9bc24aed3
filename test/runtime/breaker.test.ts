import { describe, expect, it } from "@jest/globals";
import { type BreakerOptions, type OperationSchemas, type TelemetryEvent } from "carewire";
import { tolerantObject, z } from "carewire/zod";
import { FakeClock } from "carewire/testing";
import { json } from "../helpers/http-server.js";
import { testOperation } from "../helpers/operation.js";
import { pipelineWith, serverForFile } from "../helpers/pipeline.js";

const operation = testOperation;

const schemas: OperationSchemas = { responses: { "200": tolerantObject({ id: z.string() }) } };

function input(id: string | number) {
  return { params: { path: { thingId: String(id) } } };
}

/** What the server does for a request, by the last path segment (`ok`, `503`, `500`, `reset`, …). */
function scripted(): void {
  server.handle((req, res) => {
    const what = req.url.split("/").pop() ?? "";
    if (what === "reset") res.socket?.destroy();
    else if (/^\d{3}$/.test(what)) json(res, Number(what), { title: `status ${what}` });
    else json(res, 200, { id: what });
  });
}

/** A pipeline with only the breaker on. */
function guarded(clock: FakeClock, breaker: BreakerOptions = {}, events: TelemetryEvent[] = []) {
  return pipelineWith(server.url, { breaker, clock, onEvent: (event) => void events.push(event) });
}

/** A circuit opened by two 503s (minimum throughput 2), which lets a probe through after 3 s. */
async function openedByTwoFailures() {
  scripted();
  const clock = new FakeClock();
  const events: TelemetryEvent[] = [];
  const pipeline = guarded(clock, { minimumThroughput: 2, openMs: 3_000 }, events);
  await pipeline.call(operation(), schemas, input("503"));
  await pipeline.call(operation(), schemas, input("503"));
  return { clock, events, pipeline };
}

const server = serverForFile();

describe("circuit breaker", () => {
  it("opens once half of at least 10 calls fail (503, 500, network), then fails fast with circuit-open and retryAt without sending", async () => {
    scripted();
    const clock = new FakeClock();
    const pipeline = guarded(clock);
    const outcomes = ["ok", "503", "ok", "500", "ok", "reset", "ok", "503", "ok", "500"];

    for (const [i, what] of outcomes.entries()) {
      const result = await pipeline.call(operation(), schemas, input(what));
      // Nine outcomes are not enough to judge, whatever their ratio.
      expect(result.meta.breaker).toEqual({ group: "acme:things", state: i < 9 ? "closed" : "open" });
    }
    const openedAt = clock.now();
    await clock.advance(1_000);
    const before = server.requests.length;

    const refused = await pipeline.call(operation(), schemas, input("ok"));

    expect(refused.error).toMatchObject({ kind: "circuit-open", group: "acme:things", retryAt: openedAt + 5_000 });
    expect(refused.meta.breaker).toEqual({ group: "acme:things", state: "open" });
    expect(refused.meta.attempts).toHaveLength(0);
    expect(server.requests.length).toBe(before);
  });

  it("stays closed below the failure ratio or below the minimum throughput", async () => {
    scripted();
    const clock = new FakeClock();
    const pipeline = guarded(clock);
    for (const what of ["503", "503", "503", "503", "ok", "ok", "ok", "ok", "ok", "ok", "ok"]) await pipeline.call(operation(), schemas, input(what));
    expect((await pipeline.call(operation(), schemas, input("ok"))).meta.breaker?.state).toBe("closed");

    const fresh = guarded(new FakeClock());
    for (let i = 0; i < 9; i++) await fresh.call(operation(), schemas, input("503"));
    const tenth = await fresh.call(operation(), schemas, input("ok"));
    expect(tenth.error).toBeUndefined();
    expect(tenth.meta.breaker?.state).toBe("open"); // 9 of 10 failed: it opens on this outcome
  });

  it("forgets failures once they leave the window", async () => {
    scripted();
    const clock = new FakeClock();
    const pipeline = guarded(clock, { windowMs: 10_000 });
    for (let i = 0; i < 9; i++) await pipeline.call(operation(), schemas, input("503"));
    await clock.advance(11_000); // the nine failures are now older than the window
    for (let i = 0; i < 9; i++) await pipeline.call(operation(), schemas, input("ok"));
    const tenth = await pipeline.call(operation(), schemas, input("503"));
    expect(tenth.meta.breaker?.state).toBe("closed"); // 1 failure in 10, not 10 in 19
    for (let i = 0; i < 9; i++) await pipeline.call(operation(), schemas, input("503"));
    expect((await pipeline.call(operation(), schemas, input("ok"))).meta.breaker?.state).toBe("open"); // 10 of 20 within the window
  });

  it("after openMs lets one probe through; its success closes the circuit", async () => {
    const { clock, events, pipeline } = await openedByTwoFailures();
    expect((await pipeline.call(operation(), schemas, input("ok"))).error).toMatchObject({ kind: "circuit-open" });

    await clock.advance(3_000);
    // Hold the probe at the server so a second call arrives while it is out.
    let releaseProbe: () => void = () => undefined;
    server.handle((_req, res) => {
      releaseProbe = () => json(res, 200, { id: "probe" });
    });
    const before = server.requests.length;
    const probe = pipeline.call(operation(), schemas, input("probe"));
    for (let i = 0; i < 200 && server.requests.length === before; i++) await new Promise((r) => setTimeout(r, 2));
    const meanwhile = await pipeline.call(operation(), schemas, input("meanwhile"));
    expect(meanwhile.error).toMatchObject({ kind: "circuit-open" });
    expect(meanwhile.meta.breaker?.state).toBe("half-open");
    expect(server.requests.length - before).toBe(1);
    releaseProbe();

    const probed = await probe;
    expect(probed.data).toEqual({ id: "probe" });
    expect(probed.meta.breaker).toEqual({ group: "acme:things", state: "closed" });
    scripted();
    const after = await pipeline.call(operation(), schemas, input("ok"));
    expect(after.error).toBeUndefined();
    expect(after.meta.breaker?.state).toBe("closed");
    expect(events.filter((e) => e.type === "breaker").map((e) => (e.type === "breaker" ? [e.group, e.from, e.to] : []))).toEqual([
      ["acme:things", "closed", "open"],
      ["acme:things", "open", "half-open"],
      ["acme:things", "half-open", "closed"],
    ]);
  });

  it("re-opens for another openMs when the probe fails", async () => {
    const { clock, events, pipeline } = await openedByTwoFailures();

    await clock.advance(3_000);
    const before = server.requests.length;
    const probe = await pipeline.call(operation(), schemas, input("500"));
    expect(probe.error).toMatchObject({ kind: "http", status: 500 });
    expect(probe.meta.breaker).toEqual({ group: "acme:things", state: "open" });
    const reopenedAt = clock.now();

    await clock.advance(2_999);
    const refused = await pipeline.call(operation(), schemas, input("ok"));
    expect(refused.error).toMatchObject({ kind: "circuit-open", retryAt: reopenedAt + 3_000 });
    expect(server.requests.length - before).toBe(1);

    await clock.advance(1);
    expect((await pipeline.call(operation(), schemas, input("ok"))).meta.breaker?.state).toBe("closed");
    expect(events.filter((e) => e.type === "breaker").map((e) => (e.type === "breaker" ? `${e.from}>${e.to}` : ""))).toEqual([
      "closed>open",
      "open>half-open",
      "half-open>open",
      "open>half-open",
      "half-open>closed",
    ]);
  });

  it("does not count 429s or other 4xx as failures", async () => {
    scripted();
    const clock = new FakeClock();
    const pipeline = guarded(clock);
    for (let i = 0; i < 20; i++) {
      const result = await pipeline.call(operation(), schemas, input("429"));
      expect(result.error).toMatchObject({ kind: "http", status: 429 });
    }
    // 429s are not outcomes at all: nine 503s are still short of the minimum throughput.
    for (let i = 0; i < 9; i++) await pipeline.call(operation(), schemas, input("503"));
    expect((await pipeline.call(operation(), schemas, input("429"))).meta.breaker?.state).toBe("closed");

    const other = guarded(new FakeClock());
    for (const status of ["400", "404", "409", "422", "400", "404", "409", "422", "400", "404", "409", "422"]) {
      const result = await other.call(operation(), schemas, input(status));
      expect(result.meta.breaker?.state).toBe("closed");
    }
    // A 4xx is a success for the breaker: 5 failures in 11 outcomes stay below the ratio.
    const mixed = guarded(new FakeClock());
    for (const what of ["404", "404", "404", "404", "404", "404", "503", "503", "503", "503", "503"]) await mixed.call(operation(), schemas, input(what));
    expect((await mixed.call(operation(), schemas, input("ok"))).meta.breaker?.state).toBe("closed");
  });

  it("keeps endpoint groups apart: by first tag, else by first path segment", async () => {
    scripted();
    const clock = new FakeClock();
    const pipeline = guarded(clock, { minimumThroughput: 2 });
    const things = operation();
    const widgets = operation({ path: "/widgets/{thingId}" });
    const patients = operation({ tags: ["Patient"] });
    const appointments = operation({ tags: ["Appointment"] });

    await pipeline.call(things, schemas, input("503"));
    await pipeline.call(things, schemas, input("503"));
    await pipeline.call(patients, schemas, input("503"));
    await pipeline.call(patients, schemas, input("503"));

    const thingsResult = await pipeline.call(things, schemas, input("ok"));
    expect(thingsResult.error).toMatchObject({ kind: "circuit-open", group: "acme:things" });
    const patientsResult = await pipeline.call(patients, schemas, input("ok"));
    expect(patientsResult.error).toMatchObject({ kind: "circuit-open", group: "acme:Patient" });

    const widgetsResult = await pipeline.call(widgets, schemas, input("ok"));
    expect(widgetsResult.data).toEqual({ id: "ok" });
    expect(widgetsResult.meta.breaker).toEqual({ group: "acme:widgets", state: "closed" });
    const appointmentsResult = await pipeline.call(appointments, schemas, input("ok"));
    expect(appointmentsResult.data).toEqual({ id: "ok" });
    expect(appointmentsResult.meta.breaker).toEqual({ group: "acme:Appointment", state: "closed" });
  });

  it("leaves the last real attempt's verdict alone when it stops a retry before anything is sent", async () => {
    scripted();
    const clock = new FakeClock({ autoAdvance: true });
    const pipeline = pipelineWith(server.url, { breaker: { minimumThroughput: 2, failureRatio: 0.5 }, retry: { budget: false, backoff: { baseMs: 1, capMs: 1 } }, clock, random: () => 0.5 });

    const result = await pipeline.call(operation(), schemas, input(502));

    expect(result.error?.kind).toBe("circuit-open");
    // Two 502s reached the server; the third attempt was never made.
    expect(result.meta.attempts.map((a) => [a.status, a.outcome])).toEqual([
      [502, "retryable"],
      [502, "retryable"],
    ]);
  });
});
