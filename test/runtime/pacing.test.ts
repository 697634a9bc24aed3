import { getEventListeners } from "node:events";
import { describe, expect, it } from "@jest/globals";
import { type CallOptions, type OperationSchemas, type PacingOptions } from "carewire";
import { tolerantObject, z } from "carewire/zod";
import { FakeClock } from "carewire/testing";
import { json } from "../helpers/http-server.js";
import { mostInAnyWindow, recordArrivals, waitFor } from "../helpers/windows.js";
import { testOperation } from "../helpers/operation.js";
import { pipelineWith, serverForFile } from "../helpers/pipeline.js";

const operation = testOperation;

const schemas: OperationSchemas = { responses: { "200": tolerantObject({ id: z.string() }) } };

/** A pipeline with only pacing on. */
function paced(clock: FakeClock, pacing: PacingOptions) {
  return pipelineWith(server.url, { pacing, clock });
}

function input(id: string | number) {
  return { params: { path: { thingId: String(id) } } };
}

/** Settles `promise` within `ms` of real time, or reports that it did not. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | "still pending"> {
  return Promise.race([promise, new Promise<"still pending">((r) => setTimeout(() => r("still pending"), ms))]);
}

/** Paths the server saw since `from` (the id is the path's last segment). */
function idsSince(from: number): string[] {
  return server.requests.slice(from).map((r) => r.url.split("/").pop() ?? "");
}

const server = serverForFile();

describe("pacing", () => {
  it("delays calls beyond the limit until the window frees, never sending more than the limit in any window", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    const arrivals = recordArrivals(server, clock);
    const pipeline = paced(clock, { limit: 10, windowMs: 1_000 });
    const start = clock.now();

    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => pipeline.call(operation(), schemas, input(i))));

    expect(results.every((r) => r.error === undefined)).toBe(true);
    expect(arrivals).toHaveLength(25);
    // 10 now, 10 after one window, 5 after two.
    expect(clock.now() - start).toBeGreaterThanOrEqual(2_000);
    // When each request left, on the virtual clock. (The server's own arrival stamps are no
    // use for this: in autoAdvance mode the pacer's sleeps move the clock while a request
    // is still on its way over the socket, so an arrival can be stamped a window late.)
    const sentAt = results.map((r) => Date.parse(r.meta.attempts[0]!.startedAt));
    expect(mostInAnyWindow(sentAt, 1_000)).toBeLessThanOrEqual(10);
    // What the server can vouch for: a request stamped at t left at or before t.
    expect(arrivals.filter((t) => t < start + 1_000).length).toBeLessThanOrEqual(10);
    expect(arrivals.filter((t) => t < start + 2_000).length).toBeLessThanOrEqual(20);
    expect(Math.max(...sentAt) - start).toBeGreaterThanOrEqual(2_000);
    expect(results.filter((r) => r.meta.rateLimit?.limit === 10)).toHaveLength(25);
  });

  it("uses the spec's x-carewire-rate-limit hint when no limit is configured", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    server.handle((_req, res) => json(res, 200, { id: "ok" }));
    const pipeline = paced(clock, {});
    const op = operation({ hints: { rateLimit: { limit: 5, windowSeconds: 1 } } });
    const start = clock.now();

    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => pipeline.call(op, schemas, input(i))));

    expect(results.every((r) => r.error === undefined)).toBe(true);
    const sentAt = results.map((r) => Date.parse(r.meta.attempts[0]!.startedAt));
    expect(mostInAnyWindow(sentAt, 1_000)).toBeLessThanOrEqual(5);
    expect(clock.now() - start).toBeGreaterThanOrEqual(2_000);
  });

  it("sends no more than maxConcurrent requests at once", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    let inFlight = 0;
    let most = 0;
    server.handle((_req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight--;
        json(res, 200, { id: "ok" });
      }, 25);
    });
    const pipeline = paced(clock, { maxConcurrent: 3 });
    const before = server.requests.length;

    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => pipeline.call(operation(), schemas, input(i))));

    expect(results.every((r) => r.error === undefined)).toBe(true);
    expect(server.requests.length - before).toBe(10);
    expect(most).toBe(3);
  });

  it("sends a queued interactive call before batch calls that were queued earlier", async () => {
    const clock = new FakeClock();
    server.handle((_req, res) => json(res, 200, { id: "ok" }));
    const pipeline = paced(clock, { limit: 1, windowMs: 1_000, safetyMarginMs: 0 });
    const before = server.requests.length;

    const first = await pipeline.call(operation(), schemas, input("first"), { priority: "batch" });
    expect(first.error).toBeUndefined();
    const batch1 = pipeline.call(operation(), schemas, input("batch1"), { priority: "batch" });
    const batch2 = pipeline.call(operation(), schemas, input("batch2"), { priority: "batch" });
    await new Promise((r) => setTimeout(r, 10));
    const interactive = pipeline.call(operation(), schemas, input("interactive"), { priority: "interactive" });
    await new Promise((r) => setTimeout(r, 10));
    expect(idsSince(before)).toEqual(["first"]);

    await clock.advance(1_000);
    await waitFor(() => server.requests.length - before === 2, "the second request");
    expect((await interactive).error).toBeUndefined();
    await clock.advance(1_000);
    await waitFor(() => server.requests.length - before === 3, "the third request");
    await clock.advance(1_000);
    await waitFor(() => server.requests.length - before === 4, "the fourth request");
    await Promise.all([batch1, batch2]);

    expect(idsSince(before)).toEqual(["first", "interactive", "batch1", "batch2"]);
  });

  it("holds every queued call after a 429 until its Retry-After, not only the call that got it", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    const arrivals: Array<[string, number]> = [];
    let answered = 0;
    server.handle((req, res) => {
      arrivals.push([req.url.split("/").pop() ?? "", clock.now()]);
      if (answered++ === 0) json(res, 429, { title: "slow down" }, { "retry-after": "5" });
      else json(res, 200, { id: "ok" });
    });
    const pipeline = paced(clock, { maxConcurrent: 1 });
    const start = clock.now();

    const results = await Promise.all([0, 1, 2].map((i) => pipeline.call(operation(), schemas, input(i))));

    expect(results[0]!.error).toMatchObject({ kind: "http", status: 429 });
    expect(results[0]!.meta.rateLimit?.pausedUntil).toBe(start + 5_000);
    expect(results[1]!.error).toBeUndefined();
    expect(results[2]!.error).toBeUndefined();
    expect(arrivals.map(([id]) => id)).toEqual(["0", "1", "2"]);
    expect(arrivals[1]![1]).toBeGreaterThanOrEqual(start + 5_000);
    expect(arrivals[2]![1]).toBeGreaterThanOrEqual(start + 5_000);
  });

  it.each([
    ["X-RateLimit-Remaining: 0 with X-RateLimit-Reset", { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "3" }],
    ["RateLimit: r=0;t=3", { ratelimit: '"default";r=0;t=3' }],
  ])("pauses before the next call when the server says the quota is spent (%s)", async (_name, headers) => {
    const clock = new FakeClock({ autoAdvance: true });
    const arrivals = recordArrivals(server, clock, (n) => (n === 1 ? headers : {}));
    const pipeline = paced(clock, {});
    const start = clock.now();

    const first = await pipeline.call(operation(), schemas, input(1));
    expect(first.error).toBeUndefined();
    expect(first.meta.rateLimit).toMatchObject({ remaining: 0, resetMs: 3_000, pausedUntil: start + 3_000 });
    const second = await pipeline.call(operation(), schemas, input(2));

    expect(second.error).toBeUndefined();
    expect(arrivals).toHaveLength(2);
    expect(arrivals[0]).toBe(start);
    expect(arrivals[1]).toBeGreaterThanOrEqual(start + 3_000);
  });

  it("with a window of its own, a spent quota frees when its oldest send leaves, not at the server's full reset", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    // A sliding window of 2 per 10 s: the second send spends it; the server's reset is when the window is entirely free.
    const arrivals = recordArrivals(server, clock, (n) => ({ "ratelimit-policy": '"default";q=2;w=10', ratelimit: `"default";r=${n % 2 === 1 ? 1 : 0};t=10` }));
    const pipeline = paced(clock, { safetyMarginMs: 0 });
    const start = clock.now();

    expect((await pipeline.call(operation(), schemas, input(1))).error).toBeUndefined();
    await clock.sleep(5_000);
    expect((await pipeline.call(operation(), schemas, input(2))).error).toBeUndefined();
    expect((await pipeline.call(operation(), schemas, input(3))).error).toBeUndefined();

    expect(arrivals).toEqual([start, start + 5_000, start + 10_000]);
  });

  it("fails at once with rate-limited and retryAt when the wait for a slot outlasts the call's deadline", async () => {
    const clock = new FakeClock();
    server.handle((_req, res) => json(res, 200, { id: "ok" }));
    const pipeline = paced(clock, { limit: 1, windowMs: 10_000, safetyMarginMs: 0 });
    const start = clock.now();
    const before = server.requests.length;

    expect((await pipeline.call(operation(), schemas, input(1))).error).toBeUndefined();
    const late = await within(pipeline.call(operation(), schemas, input(2), { deadlineMs: 2_000 }), 500);

    expect(late).not.toBe("still pending");
    if (late === "still pending") return;
    expect(late.error).toMatchObject({ kind: "rate-limited", retryAt: start + 10_000 });
    expect(clock.now()).toBe(start);
    expect(server.requests.length - before).toBe(1);
  });

  it("fails at once on a deadline it cannot meet even when other calls are already waiting for the window", async () => {
    const clock = new FakeClock();
    server.handle((_req, res) => json(res, 200, { id: "ok" }));
    const pipeline = paced(clock, { limit: 1, windowMs: 10_000, safetyMarginMs: 0 });
    const start = clock.now();

    expect((await pipeline.call(operation(), schemas, input(1))).error).toBeUndefined();
    const patient = pipeline.call(operation(), schemas, input(2)); // waits for the window, default deadline
    await new Promise((r) => setTimeout(r, 10));
    const hurried = await within(pipeline.call(operation(), schemas, input(3), { deadlineMs: 2_000 }), 500);

    expect(hurried).not.toBe("still pending");
    if (hurried !== "still pending") expect(hurried.error).toMatchObject({ kind: "rate-limited" });
    // Let the patient call through so nothing is left waiting.
    await clock.advance(10_000);
    expect((await patient).error).toBeUndefined();
    expect(clock.now()).toBe(start + 10_000);
  });

  it("ends a call aborted while it waits for a slot with kind aborted, and never sends it", async () => {
    const clock = new FakeClock();
    server.handle((_req, res) => json(res, 200, { id: "ok" }));
    const pipeline = paced(clock, { limit: 1, windowMs: 10_000, safetyMarginMs: 0 });
    const before = server.requests.length;
    const start = clock.now();

    expect((await pipeline.call(operation(), schemas, input(1))).error).toBeUndefined();
    const controller = new AbortController();
    const queued = pipeline.call(operation(), schemas, input(2), { signal: controller.signal });
    // The call is waiting for the window once pacing sleeps toward the slot.
    await waitFor(() => clock.pending > 0, "the queued call to wait for its slot");
    controller.abort(new Error("user left"));
    const result = await queued;

    expect(result.error).toMatchObject({ kind: "aborted", message: "call aborted: user left" });
    expect(result.meta.attempts).toHaveLength(0);
    expect(clock.now()).toBe(start);
    // A later call gets the slot the aborted one would have had.
    const later = pipeline.call(operation(), schemas, input(3));
    await waitFor(() => clock.pending > 0, "the later call to wait for the window");
    await clock.advance(10_000);
    expect((await later).error).toBeUndefined();
    expect(idsSince(before)).toEqual(["1", "3"]);
  });

  it("settles a queued call as soon as its signal aborts, without waiting for the clock to move", async () => {
    const clock = new FakeClock();
    server.handle((_req, res) => json(res, 200, { id: "ok" }));
    const pipeline = paced(clock, { limit: 1, windowMs: 10_000, safetyMarginMs: 0 });
    const before = server.requests.length;

    expect((await pipeline.call(operation(), schemas, input(1))).error).toBeUndefined();
    const controller = new AbortController();
    const options: CallOptions = { signal: controller.signal };
    const queued = pipeline.call(operation(), schemas, input(2), options);
    await new Promise((r) => setTimeout(r, 10));
    controller.abort(new Error("user left"));
    const result = await within(queued, 500);

    expect(result).not.toBe("still pending");
    if (result !== "still pending") expect(result.error).toMatchObject({ kind: "aborted" });
    // Whatever happened above, time passing must not send it.
    await clock.advance(10_000);
    await new Promise((r) => setTimeout(r, 20));
    expect((await queued).error).toMatchObject({ kind: "aborted" });
    expect(server.requests.length - before).toBe(1);
  });

  it("settles an aborted call behind others in the queue without waiting for the ones ahead of it to be sent", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    server.handle((_req, res) => json(res, 200, { id: "ok" }));
    const pipeline = paced(clock, { limit: 1, windowMs: 10_000, safetyMarginMs: 0 });

    expect((await pipeline.call(operation(), schemas, input(1))).error).toBeUndefined();
    const ahead = pipeline.call(operation(), schemas, input(2), { priority: "interactive" });
    const controller = new AbortController();
    const behind = pipeline.call(operation(), schemas, input(3), { priority: "batch", signal: controller.signal });
    await new Promise((r) => setImmediate(r));
    const abortedAt = clock.now();
    controller.abort(new Error("user left"));

    const result = await behind;
    expect(result.error).toMatchObject({ kind: "aborted" });
    expect(clock.now() - abortedAt).toBeLessThan(1_000);
    expect((await ahead).error).toBeUndefined();
  });

  it("counts a slot from when its response arrived, so a slow first response cannot open the next window early", async () => {
    // The server counts a request when it arrives, somewhere between send and response.
    // A first connection can take long; counting from the send would start the next
    // window before the server's, and earn a 429.
    const clock = new FakeClock({ autoAdvance: true });
    const arrivals: number[] = [];
    let answered = 0;
    server.handle(async (_req, res) => {
      arrivals.push(clock.now());
      if (answered++ === 0) await clock.advance(300); // a slow first answer
      json(res, 200, { id: "ok" });
    });
    const pipeline = paced(clock, { limit: 1, windowMs: 1_000, safetyMarginMs: 0 });
    const start = clock.now();

    expect((await pipeline.call(operation(), schemas, input(1))).error).toBeUndefined();
    const respondedAt = clock.now();
    expect(respondedAt - start).toBeGreaterThanOrEqual(300);
    expect((await pipeline.call(operation(), schemas, input(2))).error).toBeUndefined();

    expect(arrivals).toHaveLength(2);
    expect(arrivals[1]).toBeGreaterThanOrEqual(respondedAt + 1_000);
  });

  it("keeps one abort listener on a caller's long-lived signal however many calls wait, and none after", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    const pipeline = paced(clock, { maxConcurrent: 2 });
    const session = new AbortController(); // one signal for a whole sync, as apps do
    let most = 0;
    server.handle((_req, res) => {
      most = Math.max(most, getEventListeners(session.signal, "abort").length);
      json(res, 200, { id: "ok" });
    });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => pipeline.call(operation(), schemas, input(i), { signal: session.signal })));
    // 38 calls queued at once share one listener (Node warns past 10 on one signal).
    expect(most).toBeLessThanOrEqual(1);
    expect(results.every((r) => r.error === undefined)).toBe(true);
    expect(getEventListeners(session.signal, "abort")).toHaveLength(0);
  });

  it("turns quota pacing off with limit: Infinity, even when the spec declares a quota", async () => {
    const clock = new FakeClock({ autoAdvance: true });
    server.handle((_req, res) => json(res, 200, { id: "ok" }));
    const pipeline = paced(clock, { limit: Infinity });
    const op = operation({ hints: { rateLimit: { limit: 2, windowSeconds: 60 } } });
    const start = clock.now();

    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pipeline.call(op, schemas, input(i))));

    expect(results.every((r) => r.error === undefined)).toBe(true);
    expect(clock.now() - start).toBeLessThan(1_000);
  });
});

describe("pacing: a quota nobody declares", () => {
  it("learns it from 429s and Retry-After alone, then keeps most sends under it", async () => {
    const { SlidingWindowLimiter } = await import("../../src/testing/simulator/rate-limiter.js");
    const clock = new FakeClock({ autoAdvance: true });
    const limiter = new SlidingWindowLimiter({ limit: 10, windowMs: 1_000 });
    const statuses: number[] = [];
    server.handle((_req, res) => {
      const decision = limiter.take("client", clock.now());
      statuses.push(decision.allowed ? 200 : 429);
      if (decision.allowed) return json(res, 200, { id: "ok" });
      json(res, 429, { error: "rate_limit_exceeded" }, { "retry-after": String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))) });
    });
    // No quota in config or spec (limit stays unset), no rate-limit headers from the server.
    const pipeline = paced(clock, { safetyMarginMs: 0 });
    const start = clock.now();

    await Promise.all(
      Array.from({ length: 4 }, async (_, lane) => {
        for (let i = 0; i < 60; i++) await pipeline.call(operation(), schemas, input(lane * 100 + i));
      }),
    );

    const elapsedWindows = (clock.now() - start) / 1_000;
    const later = statuses.slice(statuses.length / 2);
    // After the first 429s, few more: under 10 % of the later half's sends were refused.
    expect(later.filter((s) => s === 429).length).toBeLessThan(later.length * 0.1);
    // And most of the quota was used: at least 70 % of 10 per window.
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0.7 * 10 * elapsedWindows);
  });
});
