/**
 * Server-side idempotency like Stripe's, and the hard case: the connection dies after
 * the write is committed. The simulator counts committed writes and duplicates, so a
 * test can prove "nothing duplicated".
 */
import { describe, expect, it } from "@jest/globals";
import { FakeClock, type Simulator } from "carewire/testing";
import { untilWaiting } from "../helpers/fake-time.js";
import path from "node:path";
import { ROOT } from "../helpers/cli.js";
import { call, NEW_PATIENT, simulatorPool, withSimulator } from "../helpers/simulator.js";

/** Moved only by the test that holds a request in flight with a latency fault. */
const clock = new FakeClock();
let sim: Simulator;
let token: string;
// The store starts empty (no example resources), so the tests can count what was written.
withSimulator("test", { rateLimit: false, clock, seedExamples: false }, (started, issued) => ([sim, token] = [started, issued]));

const createPatient = (key?: string, body: unknown = NEW_PATIENT) =>
  call(sim, "POST", "/patients", { token, body, headers: key === undefined ? {} : { "idempotency-key": key } });

describe("simulator idempotency keys", () => {
  it("replays the stored response for the same key and body, committing once", async () => {
    const first = await createPatient("key-1");
    const second = await createPatient("key-1");
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.text).toBe(first.text);
    expect(second.headers.get("location")).toBe(first.headers.get("location"));
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(sim.counters).toMatchObject({ writesCommitted: 1, duplicates: 0, idempotentReplays: 1 });
  });

  it("answers 422 when a key is reused with a different body, and commits nothing for it", async () => {
    await createPatient("key-2");
    const reused = await createPatient("key-2", { ...NEW_PATIENT, identifier: "MRN-OTHER" });
    expect(reused.status).toBe(422);
    expect(reused.headers.get("content-type")).toBe("application/problem+json");
    expect(reused.json()).toMatchObject({ status: 422, title: "Idempotency-Key reused" });
    expect(sim.counters.writesCommitted).toBe(1);
  });

  it("scopes keys per client: another client's identical key is a different request", async () => {
    await createPatient("shared-key");
    const other = (await call(sim, "POST", sim.tokenPath, {
      body: "grant_type=client_credentials&client_id=carewire-other&client_secret=carewire-other-secret",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    })).json().access_token as string;
    const theirs = await call(sim, "POST", "/patients", { token: other, body: NEW_PATIENT, headers: { "idempotency-key": "shared-key" } });
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
    expect(sim.counters.writesCommitted).toBe(2);
    expect(sim.counters.duplicates).toBe(0); // different clients: not the same logical write
  });

  it("answers 409 while the first request with a key is still in flight", async () => {
    sim.faults.enqueue("createPatient", [{ kind: "latency", ms: 300 }]);
    const slow = createPatient("key-3");
    await untilWaiting(clock); // the first request is being worked on: its key is in flight
    const concurrent = await createPatient("key-3");
    expect(concurrent.status).toBe(409);
    expect(concurrent.headers.get("retry-after")).toBe("1");
    await clock.advance(300);
    expect((await slow).status).toBe(201);
    expect((await createPatient("key-3")).headers.get("idempotent-replayed")).toBe("true");
  });

  it("rejects garbage keys with 400 naming the header", async () => {
    for (const garbage of ["x".repeat(256), "", "tab\there", "ünïcode"]) {
      const response = await createPatient(garbage);
      expect(response.status).toBe(400);
      expect(response.json()).toMatchObject({ errors: [{ field: "header.Idempotency-Key", message: "must be 1-255 printable ASCII characters" }] });
    }
    expect(sim.counters.writesCommitted).toBe(0);
  });

  it("connection reset after commit + retry with the same key → exactly one committed write", async () => {
    sim.faults.enqueue("createPatient", [{ kind: "reset-after-commit" }]);
    await expect(createPatient("order-77")).rejects.toThrow(); // the client never sees a response
    expect(sim.counters.writesCommitted).toBe(1); // but the server did the work

    const retry = await createPatient("order-77");
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(sim.counters).toMatchObject({ writesCommitted: 1, duplicates: 0 });
    const patients = (await call(sim, "GET", "/patients", { token })).json();
    expect(patients.total).toBe(1);
  });

  it("the same retry WITHOUT a key duplicates the write, and the counter shows it", async () => {
    sim.faults.enqueue("createPatient", [{ kind: "reset-after-commit" }]);
    await expect(createPatient()).rejects.toThrow();
    expect((await createPatient()).status).toBe(201);
    expect(sim.counters).toMatchObject({ writesCommitted: 2, duplicates: 1 });
    expect((await call(sim, "GET", "/patients", { token })).json().total).toBe(2);
  });

  it("a reset before the handler runs commits nothing, so a blind retry is harmless", async () => {
    sim.faults.enqueue("createPatient", [{ kind: "reset-before" }]);
    await expect(createPatient()).rejects.toThrow();
    expect(sim.counters.writesCommitted).toBe(0);
    expect((await createPatient()).status).toBe(201);
    expect(sim.counters).toMatchObject({ writesCommitted: 1, duplicates: 0 });
  });

  it("does not store a key whose request failed before running, so it can be retried", async () => {
    sim.faults.enqueue("createPatient", [{ kind: "status", status: 503, retryAfter: 1 }]);
    expect((await createPatient("key-503")).status).toBe(503);
    const retry = await createPatient("key-503");
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
  });
});

describe("simulator idempotency keys where the spec declares none", () => {
  const VIEWS_SPEC = path.join(ROOT, "test/fixtures/specs/good/views.json");
  const sims = simulatorPool();
  const book = (target: Simulator) => call(target, "POST", "/appointments", { body: { start: "2030-01-15T10:00:00Z" }, headers: { "idempotency-key": "same-key" } });

  it("applies a repeat with the same key again, as a provider that ignores keys would, and counts the duplicate", async () => {
    const ignoring = await sims.start({ spec: VIEWS_SPEC, auth: false, rateLimit: false, seedExamples: false });
    const [first, second] = [await book(ignoring), await book(ignoring)];
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get("idempotent-replayed")).toBeNull();
    expect(second.json().id).not.toBe(first.json().id);
    expect(ignoring.counters).toMatchObject({ writesCommitted: 2, duplicates: 1, idempotentReplays: 0 });
    // The log still ties each attempt to the key it carried.
    expect(ignoring.log.map((entry) => entry.idempotencyKey)).toEqual(["same-key", "same-key"]);
  });

  it("dedupes every write with idempotencyKeys: \"always\"", async () => {
    const honouring = await sims.start({ spec: VIEWS_SPEC, auth: false, rateLimit: false, seedExamples: false, idempotencyKeys: "always" });
    const [first, second] = [await book(honouring), await book(honouring)];
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.json().id).toBe(first.json().id);
    expect(honouring.counters).toMatchObject({ writesCommitted: 1, duplicates: 0, idempotentReplays: 1 });
  });
});
