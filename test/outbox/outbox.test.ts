/**
 * The outbox's own rules, on a fake clock with stub operations and the in-memory store (the
 * durable stores pass the same contract suite): what is recorded, which key every delivery
 * sends, when a failed delivery comes back, and what goes to the dead letters.
 */
import { describe, expect, it } from "@jest/globals";
import { CircuitOpenError, deriveIdempotencyKey, HttpError, NetworkError, RateLimitedError, UnknownOutcomeError, type CallOptions } from "carewire";
import { FakeClock } from "carewire/testing";
import { createOutbox, memoryOutboxStore, OutboxInputError, type DeliveryResult, type OutboxStore } from "carewire/outbox";

const START = Date.UTC(2030, 0, 1);

interface Sent {
  readonly input: unknown;
  readonly options: CallOptions | undefined;
}

/** A stub operation that answers from a script, one answer per delivery, and records what it was sent. */
function scripted(...answers: Array<() => DeliveryResult>) {
  const sent: Sent[] = [];
  const operation = async (input: { body: { name: string } }, options?: CallOptions): Promise<DeliveryResult> => {
    sent.push({ input, options });
    const next = answers.shift();
    return next ? next() : { response: new Response(null, { status: 201 }) };
  };
  return { operation, sent };
}

const ok = (): DeliveryResult => ({ response: new Response(null, { status: 201 }) });
const http = (status: number, body: unknown = { message: "refused" }) => (): DeliveryResult => {
  const response = new Response(JSON.stringify(body), { status });
  return { error: HttpError.from(status, body, response), response };
};

function setup(script: ReturnType<typeof scripted>, store: OutboxStore = memoryOutboxStore(), clock = new FakeClock({ start: START })) {
  const outbox = createOutbox({ store, provider: "clinic", operations: { createPatient: script.operation }, clock, random: () => 0.5, codeVersion: "1.2.3" });
  return { outbox, store, clock };
}

describe("enqueue", () => {
  it("records the write with a key derived from its business key, once however often it is enqueued", async () => {
    const { outbox } = setup(scripted());
    const first = await outbox.enqueue("createPatient", { body: { name: "Ada" } }, { businessKey: { mrn: "M1" }, tenant: "north" });
    const again = await outbox.enqueue("createPatient", { body: { name: "Ada" } }, { businessKey: { mrn: "M1" } });
    expect(first.added).toBe(true);
    expect(again).toEqual({ id: first.id, idempotencyKey: first.idempotencyKey, added: false });
    // The key a direct call with the same business key would send: one write either way.
    expect(first.idempotencyKey).toBe(deriveIdempotencyKey("clinic", "createPatient", { mrn: "M1" }));
    expect(await outbox.status()).toMatchObject({ pending: 1, due: 1, committed: 0, dead: 0, oldestPendingAt: START });
    const [record] = await outbox.get([first.id]);
    expect(record).toMatchObject({ operation: "createPatient", tenant: "north", codeVersion: "1.2.3", input: { body: { name: "Ada" } }, deliveries: 0 });
  });

  it("refuses what it cannot deliver or store, with a typed error, and records nothing", async () => {
    const { outbox } = setup(scripted());
    const refused = [
      outbox.enqueue("deletePatient" as "createPatient", { body: { name: "x" } }),
      outbox.enqueue("createPatient", { body: { name: 10n as unknown as string } }),
      outbox.enqueue("createPatient", { body: { name: "x" } }, { notBefore: Number.NaN }),
      outbox.enqueue("createPatient", { body: { name: "x" } }, { tenant: "" }),
      outbox.enqueue("createPatient", { body: { name: "x" } }, { idempotencyKey: "line\nbreak" }),
    ];
    for (const attempt of refused) await expect(attempt).rejects.toBeInstanceOf(OutboxInputError);
    expect(await outbox.status()).toMatchObject({ pending: 0 });
  });
});

describe("delivery", () => {
  it("sends the stored key and a bounded deadline, and commits on success", async () => {
    const script = scripted(ok);
    const { outbox } = setup(script);
    const { idempotencyKey } = await outbox.enqueue("createPatient", { body: { name: "Ada" } });
    const stats = await outbox.worker({ deliveryDeadlineMs: 5_000 }).drainDue();
    expect(stats).toMatchObject({ committed: 1, deferred: 0, dead: 0, lost: 0 });
    expect(script.sent).toHaveLength(1);
    expect(script.sent[0]!.input).toEqual({ body: { name: "Ada" } });
    expect(script.sent[0]!.options).toMatchObject({ idempotencyKey, deadlineMs: 5_000 });
    const [record] = await outbox.list({ status: "committed" });
    expect(record).toMatchObject({ status: "committed", deliveries: 1, committedAt: START, history: [{ disposition: "committed", status: 201 }] });
  });

  it("a server failure comes back later with the same key, after a backoff that doubles", async () => {
    const script = scripted(http(500), http(503), ok);
    const { outbox, clock } = setup(script);
    await outbox.enqueue("createPatient", { body: { name: "Ada" } });
    const worker = outbox.worker();
    expect(await worker.drainDue()).toMatchObject({ deferred: 1 });
    // Nothing is due until the backoff (2 s, jittered into its upper half: 1.5 s here) has passed.
    expect(await worker.drainDue()).toMatchObject({ committed: 0, deferred: 0 });
    clock.advance(1_500);
    expect(await worker.drainDue()).toMatchObject({ deferred: 1 });
    clock.advance(2_999);
    expect(await worker.drainDue()).toMatchObject({ deferred: 0, committed: 0 });
    clock.advance(1);
    expect(await worker.drainDue()).toMatchObject({ committed: 1 });
    const keys = new Set(script.sent.map((s) => s.options?.idempotencyKey));
    expect(keys.size).toBe(1);
  });

  it("a wait the provider names that is longer than a delivery may hold leaves the process: the intent waits in the store until then", async () => {
    const hourLater = START + 3_600_000;
    const script = scripted(() => ({ error: new RateLimitedError(hourLater, "Retry-After beyond the deadline") }), () => ({ error: new CircuitOpenError("writes", hourLater + 60_000) }), ok);
    const { outbox, clock } = setup(script);
    const { id } = await outbox.enqueue("createPatient", { body: { name: "Ada" } });
    const worker = outbox.worker();
    await worker.drainDue();
    expect((await outbox.get([id]))[0]).toMatchObject({ status: "pending", notBefore: hourLater, history: [{ disposition: "deferred", errorKind: "rate-limited" }] });
    clock.advance(3_600_000);
    await worker.drainDue();
    expect((await outbox.get([id]))[0]).toMatchObject({ status: "pending", notBefore: hourLater + 60_000 });
    clock.advance(60_000);
    expect(await worker.drainDue()).toMatchObject({ committed: 1 });
  });

  it("an unknown outcome is delivered again with the same key: the provider answers the replay without writing twice", async () => {
    const script = scripted(() => ({ error: new UnknownOutcomeError("fp", new NetworkError("socket hang up", "body", "ECONNRESET"), "k") }), ok);
    const { outbox, clock } = setup(script);
    await outbox.enqueue("createPatient", { body: { name: "Ada" } }, { idempotencyKey: "order-77" });
    const worker = outbox.worker();
    await worker.drainDue();
    clock.advance(60_000);
    await worker.drainDue();
    expect(script.sent.map((s) => s.options?.idempotencyKey)).toEqual(["order-77", "order-77"]);
    expect(await outbox.status()).toMatchObject({ committed: 1, pending: 0 });
  });

  it("a 4xx that blames the request is dead at once, with the provider's body kept apart from listings", async () => {
    const script = scripted(http(422, { detail: "birthDate is in the future" }));
    const { outbox } = setup(script);
    const { id } = await outbox.enqueue("createPatient", { body: { name: "Ada" } });
    expect(await outbox.worker().drainDue()).toMatchObject({ dead: 1 });
    const [listed] = await outbox.list({ status: "dead" });
    expect(listed!.dead).toEqual({ reason: "permanent", errorKind: "http", message: "HTTP 422 Unprocessable Content", status: 422 });
    expect(listed!.input).toBeUndefined();
    const [full] = await outbox.list({ status: "dead", withBodies: true });
    expect(full!.dead!.body).toEqual({ detail: "birthDate is in the future" });
    expect(full!.input).toEqual({ body: { name: "Ada" } });
    expect((await outbox.get([id]))[0]!.history).toEqual([expect.objectContaining({ disposition: "dead", status: 422, errorKind: "http", reason: "permanent" })]);
  });

  it("retries are bounded: after maxDeliveries the intent is dead as exhausted", async () => {
    const script = scripted(http(503), http(503), http(503));
    const store = memoryOutboxStore();
    const clock = new FakeClock({ start: START });
    const outbox = createOutbox({ store, provider: "clinic", operations: { createPatient: script.operation }, clock, random: () => 0, rules: { maxDeliveries: 3, baseDelayMs: 100 } });
    await outbox.enqueue("createPatient", { body: { name: "Ada" } });
    const worker = outbox.worker();
    for (let i = 0; i < 3; i++) {
      await worker.drainDue();
      clock.advance(1_000);
    }
    expect(await outbox.status()).toMatchObject({ dead: 1, pending: 0 });
    expect((await outbox.list({ status: "dead" }))[0]!.dead).toMatchObject({ reason: "exhausted", status: 503 });
  });

  it("replay brings dead letters back with their own key, so the replayed write is the same write", async () => {
    const script = scripted(http(400), ok);
    const { outbox, clock } = setup(script);
    const { id, idempotencyKey } = await outbox.enqueue("createPatient", { body: { name: "Ada" } });
    await outbox.worker().drainDue();
    clock.advance(10_000);
    expect(await outbox.replay({ deadSince: START })).toBe(1);
    expect(await outbox.worker().drainDue()).toMatchObject({ committed: 1 });
    expect(script.sent.map((s) => s.options?.idempotencyKey)).toEqual([idempotencyKey, idempotencyKey]);
    expect((await outbox.get([id]))[0]).toMatchObject({ status: "committed", deliveries: 1 });
    expect((await outbox.get([id]))[0]!.history.map((h) => h.disposition)).toEqual(["dead", "committed"]);
  });

  it("an operation missing from this process's table is a dead letter that names it, not a crash", async () => {
    const store = memoryOutboxStore();
    const clock = new FakeClock({ start: START });
    const writer = createOutbox({ store, provider: "clinic", operations: { createPatient: scripted().operation, cancelOrder: scripted().operation }, clock });
    await writer.enqueue("cancelOrder", { body: { name: "x" } });
    const older = createOutbox({ store, provider: "clinic", operations: { createPatient: scripted().operation }, clock });
    expect(await older.worker().drainDue()).toMatchObject({ dead: 1 });
    expect((await older.list({ status: "dead" }))[0]!.dead).toMatchObject({ reason: "unknown-operation" });
  });

  it("a worker that died lets its lease run out: whoever claims the intent next delivers it with the same key", async () => {
    const clock = new FakeClock({ start: START });
    const store = memoryOutboxStore();
    const script = scripted(ok);
    const outbox = createOutbox({ store, provider: "clinic", operations: { createPatient: script.operation }, clock });
    const { idempotencyKey } = await outbox.enqueue("createPatient", { body: { name: "Ada" } });
    // A worker claims it, then its process is killed: nothing renews or settles the lease.
    const [dying] = await store.claim("killed-worker", 1, 10_000, clock.now());
    expect(await outbox.worker().drainDue()).toMatchObject({ committed: 0 });
    clock.advance(10_000);
    expect(await outbox.worker().drainDue()).toMatchObject({ committed: 1 });
    expect(script.sent.map((s) => s.options?.idempotencyKey)).toEqual([idempotencyKey]);
    // The dead worker's late settle (had it come back) is refused.
    expect(await store.commit(dying!, { at: clock.now(), worker: "killed-worker", disposition: "committed" }, clock.now())).toBe(false);
    expect((await outbox.list({ status: "committed" }))[0]!.deliveries).toBe(2);
  });

  it("a worker restarted under the id of one that crashed takes back what that one was delivering at once", async () => {
    const clock = new FakeClock({ start: START });
    const store = memoryOutboxStore();
    const script = scripted(ok, ok);
    const outbox = createOutbox({ store, provider: "clinic", operations: { createPatient: script.operation }, clock });
    await outbox.enqueue("createPatient", { body: { name: "Ada" } });
    await outbox.enqueue("createPatient", { body: { name: "Grace" } });
    // "pod-3" claimed both, then was killed.
    await store.claim("pod-3", 2, 30_000, clock.now());
    const restarted = outbox.worker({ id: "pod-3", pollMs: 1_000 });
    restarted.start();
    for (let turns = 0; restarted.stats.committed < 2 && turns < 50; turns++) await new Promise((resolve) => setImmediate(resolve));
    await restarted.stop();
    // No lease had to run out: the clock never moved.
    expect(clock.now()).toBe(START);
    expect(await outbox.status()).toMatchObject({ committed: 2, pending: 0 });
    expect(() => outbox.worker({ id: "pods/3" })).toThrow(OutboxInputError);
  });

  it("a live worker renews its leases, so a delivery longer than one lease is not taken from it", async () => {
    const clock = new FakeClock({ start: START });
    let release: () => void = () => {};
    const slow = async (): Promise<DeliveryResult> => {
      await new Promise<void>((resolve) => (release = resolve));
      return ok();
    };
    const store = memoryOutboxStore();
    const outbox = createOutbox({ store, provider: "clinic", operations: { createPatient: slow }, clock });
    await outbox.enqueue("createPatient", { body: {} });
    const first = outbox.worker({ leaseMs: 9_000, deliveryDeadlineMs: 60_000 });
    const running = first.drainDue();
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    await turn();
    for (let elapsed = 0; elapsed < 30_000; elapsed += 3_000) {
      clock.advance(3_000);
      await turn();
      // Another worker finds nothing to claim: the lease was renewed every 3 s.
      expect(await createOutbox({ store, provider: "clinic", operations: { createPatient: async () => ok() }, clock }).worker().drainDue()).toMatchObject({ committed: 0, lost: 0 });
    }
    release();
    expect(await running).toMatchObject({ committed: 1, lost: 0 });
    expect((await outbox.list({ status: "committed" }))[0]!.deliveries).toBe(1);
  });

  it("an onDelivery hook that throws neither stops the worker nor loses the settle", async () => {
    const script = scripted(ok, ok);
    const { outbox } = setup(script);
    await outbox.enqueue("createPatient", { body: { name: "Ada" } });
    await outbox.enqueue("createPatient", { body: { name: "Grace" } });
    const seen: string[] = [];
    const worker = outbox.worker({
      onDelivery: (report) => {
        seen.push(report.disposition);
        throw new Error("the app's metrics exporter is down");
      },
    });
    expect(await worker.drainDue()).toMatchObject({ committed: 2 });
    expect(seen).toEqual(["committed", "committed"]);
    expect(await outbox.status()).toMatchObject({ committed: 2, pending: 0 });
  });

  it("refuses worker settings it cannot honour", () => {
    const { outbox } = setup(scripted());
    expect(() => outbox.worker({ leaseMs: 500 })).toThrow(OutboxInputError);
    expect(() => outbox.worker({ concurrency: 0 })).toThrow(OutboxInputError);
    expect(() => outbox.worker({ pollMs: 1.5 })).toThrow(OutboxInputError);
  });
});

describe("a running worker", () => {
  it("delivers with bounded concurrency, polls on its clock, and on stop aborts what outlives the grace (deferred, not lost)", async () => {
    const clock = new FakeClock({ start: START });
    let inFlight = 0;
    let most = 0;
    const gates: Array<() => void> = [];
    const operation = async (_input: unknown, options?: CallOptions): Promise<DeliveryResult> => {
      inFlight++;
      most = Math.max(most, inFlight);
      const aborted = new Promise<DeliveryResult>((resolve) => options?.signal?.addEventListener("abort", () => resolve({ error: { kind: "aborted", message: "stopped" } })));
      const answered = new Promise<DeliveryResult>((resolve) => gates.push(() => resolve(ok())));
      const result = await Promise.race([aborted, answered]);
      inFlight--;
      return result;
    };
    const store = memoryOutboxStore();
    const outbox = createOutbox({ store, provider: "clinic", operations: { createPatient: operation }, clock });
    for (let i = 0; i < 5; i++) await outbox.enqueue("createPatient", { body: { n: i } });
    const worker = outbox.worker({ concurrency: 2, pollMs: 1_000 });
    worker.start();
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    await settle();
    expect(worker.stats.inFlight).toBe(2);
    gates.shift()!();
    gates.shift()!();
    await settle();
    await settle();
    expect(worker.stats.committed).toBe(2);
    expect(worker.stats.inFlight).toBe(2);
    const stopping = worker.stop({ graceMs: 5_000 });
    await settle();
    clock.advance(5_000);
    await stopping;
    expect(most).toBe(2);
    expect(worker.stats).toMatchObject({ committed: 2, deferred: 2, inFlight: 0 });
    expect(await outbox.status()).toMatchObject({ committed: 2, pending: 3 });
  });
});
