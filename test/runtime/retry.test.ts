/**
 * The retry policy on a fake clock against a scripted server on 127.0.0.1: what is retried
 * (and what never is), how long it waits (the server's word first, else backoff), the same
 * Idempotency-Key on every attempt of a write, and the typed errors it ends with.
 */
import { describe, expect, it } from "@jest/globals";
import { type OperationSchemas, type RetryOptions } from "carewire";
import { tolerantObject, z } from "carewire/zod";
import { FakeClock } from "carewire/testing";
import { json } from "../helpers/http-server.js";
import { KEYS_HONOURED, testOperation } from "../helpers/operation.js";
import { pipelineWith, serverForFile } from "../helpers/pipeline.js";

const schemas: OperationSchemas = { responses: { "200": tolerantObject({ id: z.string() }), "201": tolerantObject({ id: z.string() }) } };
const read = () => testOperation();
/** A create on a provider whose spec declares that it honours Idempotency-Key (`x-carewire-idempotency`). */
const create = (declared = true) =>
  testOperation({
    operationId: "createThing",
    name: "createThing",
    method: "post",
    path: "/things",
    safety: "unsafe",
    parameters: { path: [], query: [], header: [], cookie: [] },
    requestBody: { required: true, contentTypes: ["application/json"] },
    hints: declared ? KEYS_HONOURED : {},
  });
const input = { params: { path: { thingId: "t1" } } };

const server = serverForFile();

/** Answers in order from `script`, then 200. An entry is a status (with optional headers) or "reset". */
function scripted(script: Array<number | "reset" | [number, Record<string, string>]>): void {
  let n = 0;
  server.handle((req, res) => {
    const step = script[n++];
    if (step === undefined) return json(res, req.method === "POST" ? 201 : 200, { id: "t1" });
    if (step === "reset") return void res.socket?.destroy();
    const [status, headers] = Array.isArray(step) ? step : [step, {}];
    json(res, status, { title: `status ${status}` }, headers);
  });
}

/** A pipeline with only retry on (and no retry budget), jitter in the middle. */
function pipeline(clock: FakeClock, retry: RetryOptions = {}, extra: { deadlineMs?: number } = {}) {
  return pipelineWith(server.url, { retry: { budget: false, ...retry }, clock, random: () => 0.5, ...extra });
}

describe("retry policy", () => {
  it("waits a 503's Retry-After (never less) and sends the write again with the same Idempotency-Key", async () => {
    scripted([[503, { "retry-after": "3" }]]);
    const clock = new FakeClock({ autoAdvance: true });
    const before = server.requests.length;
    const started = clock.now();

    const result = await pipeline(clock).call(create(), schemas, { body: { name: "x" } });

    expect(result.error).toBeUndefined();
    expect(result.meta.attempts.map((a) => a.status)).toEqual([503, 201]);
    expect(result.meta.attempts[1]!.delayMs).toBeGreaterThanOrEqual(3_000);
    expect(clock.now() - started).toBeGreaterThanOrEqual(3_000);
    const keys = server.requests.slice(before).map((r) => r.headers["idempotency-key"]);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
    expect(keys[0]).toBe(result.meta.idempotencyKey);
  });

  it("backs off with jitter below the cap when the server gives no Retry-After (502, 504, 408)", async () => {
    scripted([502, 504, 408]);
    const clock = new FakeClock({ autoAdvance: true });
    const result = await pipeline(clock, { backoff: { baseMs: 100, capMs: 250 } }).call(read(), schemas, input);
    expect(result.error).toBeUndefined();
    const delays = result.meta.attempts.slice(1).map((a) => a.delayMs);
    expect(delays).toHaveLength(3);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(250);
    }
  });

  it.each([500, 501, 400, 404, 409, 412, 422])("does not retry %i by default", async (status) => {
    scripted([status]);
    const result = await pipeline(new FakeClock({ autoAdvance: true })).call(read(), schemas, input);
    expect(result.error).toMatchObject({ kind: "http", status });
    expect(result.meta.attempts).toHaveLength(1);
  });

  it("retries a 500 when the provider opts in through retryStatuses", async () => {
    scripted([500]);
    const result = await pipeline(new FakeClock({ autoAdvance: true }), { classify: { retryStatuses: [500] } }).call(read(), schemas, input);
    expect(result.error).toBeUndefined();
    expect(result.meta.attempts.map((a) => a.status)).toEqual([500, 200]);
  });

  it("retries a write whose connection died after sending, with its key; out of attempts, ends unknown-outcome with the fingerprint and key", async () => {
    scripted(["reset", "reset", "reset"]);
    const clock = new FakeClock({ autoAdvance: true });
    const result = await pipeline(clock, { maxAttempts: 3 }).call(create(), schemas, { body: { name: "x" } }, { idempotencyKey: "order-42" });
    expect(result.error).toMatchObject({ kind: "unknown-outcome", idempotencyKey: "order-42" });
    if (result.error?.kind !== "unknown-outcome") throw new Error("expected unknown-outcome");
    expect(result.error.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(result.meta.attempts).toHaveLength(3);
  });

  it("sends a key to a provider whose spec declares none, but does not send the write again after a reset after sending", async () => {
    scripted(["reset"]);
    const before = server.requests.length;
    const clock = new FakeClock({ autoAdvance: true });
    const result = await pipeline(clock, { maxAttempts: 3 }).call(create(false), schemas, { body: { name: "x" } });
    expect(result.error).toMatchObject({ kind: "unknown-outcome", replaySafe: false });
    expect(result.meta.attempts).toHaveLength(1);
    const sent = server.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers["idempotency-key"]).toMatch(/^cw1-/);
  });

  it("keeps a write unknown-outcome when its first attempt was reset after sending and every retry answered 503", async () => {
    scripted(["reset", 503, 503]);
    const clock = new FakeClock({ autoAdvance: true });
    const result = await pipeline(clock, { maxAttempts: 3 }).call(create(), schemas, { body: { name: "x" } }, { idempotencyKey: "order-43" });
    // The first attempt may have been applied: a later 503 cannot say it was not.
    expect(result.error).toMatchObject({ kind: "unknown-outcome", idempotencyKey: "order-43", lastStatus: 503 });
    expect(result.meta.attempts.map((a) => a.status ?? a.errorKind)).toEqual(["network", 503, 503]);
  });

  it("keeps a write unknown-outcome when, after a reset after sending, the server asks for a wait past the deadline", async () => {
    scripted(["reset", [503, { "retry-after": "600" }]]);
    const clock = new FakeClock({ autoAdvance: true });
    const result = await pipeline(clock, { maxAttempts: 5 }, { deadlineMs: 60_000 }).call(create(), schemas, { body: { name: "x" } }, { idempotencyKey: "order-44" });
    expect(result.error).toMatchObject({ kind: "unknown-outcome", lastStatus: 503 });
  });

  it("leaves a write that was never in doubt as its last answer: 503s only end as http 503", async () => {
    scripted([503, 503, 503]);
    const clock = new FakeClock({ autoAdvance: true });
    const result = await pipeline(clock, { maxAttempts: 3 }).call(create(), schemas, { body: { name: "x" } }, { idempotencyKey: "order-45" });
    expect(result.error).toMatchObject({ kind: "http", status: 503 });
  });

  it("fails at once with rate-limited and retryAt when the server asks for more than maxRetryAfterMs", async () => {
    scripted([[429, { "retry-after": "600" }]]);
    const clock = new FakeClock({ autoAdvance: true });
    const started = clock.now();
    const result = await pipeline(clock, { maxRetryAfterMs: 60_000 }).call(read(), schemas, input);
    expect(result.error).toMatchObject({ kind: "rate-limited", retryAt: started + 600_000 });
    expect(clock.now() - started).toBeLessThan(1_000);
    expect(result.meta.attempts).toHaveLength(1);
  });

  it("fails at once when the server's wait ends after the call's deadline", async () => {
    scripted([[503, { "retry-after": "30" }]]);
    const clock = new FakeClock({ autoAdvance: true });
    const started = clock.now();
    const result = await pipeline(clock, {}, { deadlineMs: 10_000 }).call(read(), schemas, input);
    expect(result.error).toMatchObject({ kind: "rate-limited" });
    expect(clock.now() - started).toBeLessThan(1_000);
  });

  it("stops at maxAttempts, and a per-operation setting overrides it for that operation only", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    const p = pipeline(clock, { maxAttempts: 2, backoff: { baseMs: 10, capMs: 10 }, perOperation: { createThing: { maxAttempts: 5 } } });
    scripted([502, 502, 502, 502]);
    expect((await p.call(read(), schemas, input)).meta.attempts).toHaveLength(2);
    scripted([502, 502, 502, 502]);
    const write = await p.call(create(), schemas, { body: { name: "x" } });
    expect(write.error).toBeUndefined();
    expect(write.meta.attempts).toHaveLength(5);
  });

  it("gives up when the retry budget is spent, and says so", async () => {
    scripted([502, 502]);
    const clock = new FakeClock({ autoAdvance: true });
    const result = await pipeline(clock, { budget: { ratio: 0, floorPerSecond: 0 } }).call(read(), schemas, input);
    expect(result.error).toMatchObject({ kind: "http", status: 502 });
    expect(result.meta.attempts).toHaveLength(1);
    expect(result.meta.attempts[0]!.reason).toContain("retry budget exhausted");
  });

  it("ends a backoff wait at once when the caller aborts", async () => {
    scripted([[503, { "retry-after": "60" }]]);
    const clock = new FakeClock(); // manual: the wait would never end by itself
    const controller = new AbortController();
    const pending = pipeline(clock).call(read(), schemas, input, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 50));
    controller.abort(new Error("user left"));
    const result = await pending;
    expect(result.error).toMatchObject({ kind: "aborted" });
  });
});
