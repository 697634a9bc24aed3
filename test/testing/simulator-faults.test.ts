/**
 * Every fault kind, observed from a plain client (Node's fetch), scripted per
 * operation, probabilistic with a seed, and as outage windows.
 */
import { beforeEach, describe, expect, it } from "@jest/globals";
import { FakeClock, type Fault, type Simulator } from "carewire/testing";
import { stepWhileWaiting, untilWaiting } from "../helpers/fake-time.js";
import { call, simulatorPool, withSimulator } from "../helpers/simulator.js";

let sim: Simulator;
let token: string;
withSimulator("file", { rateLimit: false }, (started, issued) => ([sim, token] = [started, issued]));
beforeEach(() => {
  sim.faults.clear();
});
const sims = simulatorPool();

/** A simulator whose waits (latency, slow drip) run on a fake clock only the test moves. */
async function onFakeTime() {
  const clock = new FakeClock();
  return { clock, timed: await sims.clinic({ rateLimit: false, auth: false, clock }) };
}

const getPractitioner = () => call(sim, "GET", "/practitioners/pr-100", { token });

describe("simulator faults, seen by a plain client", () => {
  it.each([
    [{ kind: "status", status: 503, retryAfter: 7 } as Fault, 503, "7"],
    [{ kind: "status", status: 503 } as Fault, 503, null],
    [{ kind: "status", status: 500 } as Fault, 500, null],
    [{ kind: "status", status: 502 } as Fault, 502, null],
    [{ kind: "status", status: 504 } as Fault, 504, null],
  ])("%j → status %i with Retry-After %p, a problem+json body, then normal again", async (fault, status, retryAfter) => {
    sim.faults.enqueue("getPractitioner", [fault]);
    const faulted = await getPractitioner();
    expect(faulted.status).toBe(status);
    expect(faulted.headers.get("retry-after")).toBe(retryAfter === null ? null : retryAfter);
    expect(faulted.json()).toMatchObject({ status, detail: "injected fault" });
    expect((await getPractitioner()).status).toBe(200);
  });

  it("latency holds the response until the simulator's clock has moved by the given time", async () => {
    const { clock, timed } = await onFakeTime();
    timed.faults.enqueue("getPractitioner", [{ kind: "latency", ms: 250 }]);
    const reply = call(timed, "GET", "/practitioners/pr-100");
    await untilWaiting(clock); // the request arrived and is being held
    await clock.advance(249);
    expect(timed.log).toEqual([]); // one millisecond short: nothing answered yet
    await clock.advance(1);
    expect((await reply).status).toBe(200);
  });

  it("reset-before and reset-after-commit drop the connection without a response", async () => {
    sim.faults.enqueue("getPractitioner", [{ kind: "reset-before" }, { kind: "reset-after-commit" }]);
    await expect(getPractitioner()).rejects.toThrow("fetch failed");
    await expect(getPractitioner()).rejects.toThrow("fetch failed");
    expect(sim.log.slice(-2).map((e) => [e.fault, e.status])).toEqual([
      ["reset-before", null],
      ["reset-after-commit", null],
    ]);
  });

  it("truncated and malformed JSON arrive with a 200 that JSON.parse rejects", async () => {
    sim.faults.enqueue("getPractitioner", [{ kind: "truncated-json" }, { kind: "malformed-json" }]);
    for (let i = 0; i < 2; i++) {
      const reply = await getPractitioner();
      expect(reply.status).toBe(200);
      expect(reply.headers.get("content-type")).toBe("application/json");
      expect(() => reply.json()).toThrow(SyntaxError);
    }
  });

  it("slow drip sends the body a few bytes at a time, waiting the interval after each", async () => {
    const { clock, timed } = await onFakeTime();
    timed.faults.enqueue("getPractitioner", [{ kind: "slow-drip", intervalMs: 20, chunkBytes: 32 }]);
    const { value: reply, elapsedMs } = await stepWhileWaiting(clock, call(timed, "GET", "/practitioners/pr-100"), 20);
    const chunks = Math.ceil(Buffer.byteLength(reply.text) / 32);
    expect(reply.json()).toMatchObject({ id: expect.any(String) });
    expect(chunks).toBeGreaterThan(1);
    // The last chunk goes out after chunks − 1 waits; the wait after it may or may not have
    // been stepped through by the time the client has read everything.
    expect(elapsedMs).toBeGreaterThanOrEqual((chunks - 1) * 20);
    expect(elapsedMs).toBeLessThanOrEqual(chunks * 20);
  });

  it("schema drift: extra fields, missing optional fields, unknown enum values, a changed type", async () => {
    const normal = (await getPractitioner()).json();
    const slots = () => call(sim, "GET", "/practitioners/pr-100/slots?from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z", { token });
    const normalSlots = (await slots()).json();

    sim.faults.enqueue("getPractitioner", [{ kind: "drift", drift: "extra-fields" }, { kind: "drift", drift: "changed-type" }]);
    expect((await getPractitioner()).json()).toEqual({ ...normal, carewireDriftExtra: { addedBy: "carewire simulator" } });
    const changed = (await getPractitioner()).json();
    const changedKeys = Object.keys(normal).filter((k) => typeof changed[k] !== typeof normal[k]);
    expect(changedKeys).toHaveLength(1);

    // Slots: a list page, drift applies to each record.
    sim.faults.enqueue("listAvailableSlots", [{ kind: "drift", drift: "unknown-enum" }]);
    const drifted = (await slots()).json() as { data: Array<Record<string, unknown>> };
    expect(drifted.data.length).toBe((normalSlots.data as unknown[]).length);
    for (const slot of drifted.data) expect(slot.status).toBe("carewire_unknown_value");

    // A patient with both optional fields, created first: an id never created is 404.
    const created = await call(sim, "POST", "/patients", { token, body: { identifier: "MRN-DRIFT", givenName: "Ada", familyName: "Quill", birthDate: "1990-01-01", phone: "+1 555 0100", email: "ada@example.org" } });
    const patientPath = `/patients/${String(created.json().id)}`;
    const patientNormal = (await call(sim, "GET", patientPath, { token })).json();
    sim.faults.enqueue("getPatient", [{ kind: "drift", drift: "missing-optional" }]);
    const patientDrifted = (await call(sim, "GET", patientPath, { token })).json();
    expect(Object.keys(patientDrifted).length).toBe(Object.keys(patientNormal).length - 1);
    const removed = Object.keys(patientNormal).find((k) => !(k in patientDrifted))!;
    expect(["phone", "email"]).toContain(removed); // an optional field, never a required one
  });

  it("expired-token answers 401 with WWW-Authenticate even for a valid token", async () => {
    sim.faults.enqueue("getPractitioner", [{ kind: "expired-token" }]);
    const reply = await getPractitioner();
    expect(reply.status).toBe(401);
    expect(reply.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect((await getPractitioner()).status).toBe(200);
  });

  it("a `*` script applies to whichever operation comes next", async () => {
    sim.faults.enqueue("*", [{ kind: "status", status: 502 }]);
    expect((await call(sim, "GET", "/practitioners", { token })).status).toBe(502);
    expect((await call(sim, "GET", "/practitioners", { token })).status).toBe(200);
  });

  it("an outage window answers 503 with the seconds left, then recovers", async () => {
    const { clock, timed } = await onFakeTime();
    timed.faults.addOutage(0, 10_000);
    await clock.advance(2_500);
    const down = await call(timed, "GET", "/practitioners");
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("8");
    await clock.advance(7_500);
    expect((await call(timed, "GET", "/practitioners")).status).toBe(200);
  });

  it("probabilistic faults are reproducible with the same seed and differ with another", async () => {
    const plan = { random: { rate: 0.5, faults: [{ kind: "status" as const, status: 503 as const }, { kind: "status" as const, status: 500 as const }] } };
    const run = async (seed: number) => {
      const s = await sims.clinic({ seed, faults: plan, rateLimit: false, auth: false });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await call(s, "GET", "/practitioners")).status);
      return statuses;
    };
    const a = await run(42);
    expect(await run(42)).toEqual(a);
    expect(await run(7)).not.toEqual(a);
    const faulted = a.filter((s) => s !== 200).length;
    expect(faulted).toBeGreaterThan(8);
    expect(faulted).toBeLessThan(32);
  });
});
