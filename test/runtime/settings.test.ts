/**
 * Options an app passes through from its own config: under `exactOptionalPropertyTypes` it
 * writes `{ timeoutMs: config.timeoutMs }` where the value may be undefined. Such a key reads
 * as left out, everywhere: it compiles, and it never overrides a default with `undefined`.
 */
import { describe, expect, it } from "@jest/globals";
import path from "node:path";
import { createPipeline, HttpError, type OperationSchemas } from "carewire";
import { createOutbox, DEFAULT_DELIVERY_RULES, memoryOutboxStore } from "carewire/outbox";
import { FakeClock } from "carewire/testing";
import { tolerantObject, z } from "carewire/zod";
import { definedOf } from "../../src/runtime/core/settings.js";
import { ROOT } from "../helpers/cli.js";
import { json } from "../helpers/http-server.js";
import { testOperation } from "../helpers/operation.js";
import { pipelineWith, serverForFile } from "../helpers/pipeline.js";
import { strictAppErrors } from "../helpers/strict-compile.js";

const schemas: OperationSchemas = { responses: { "200": tolerantObject({ id: z.string() }) } };
const THING = { params: { path: { thingId: "t1" } } };
const server = serverForFile();

/** One 503 without Retry-After, then 200: the retry waits its backoff, which the test reads. */
function oneUnavailable(): void {
  let n = 0;
  server.handle((_req, res) => (n++ === 0 ? json(res, 503, { title: "busy" }) : json(res, 200, { id: "t1" })));
}

describe("settings an app leaves undefined", () => {
  it("definedOf keeps the keys that hold a value (of the keys asked for, when given)", () => {
    expect(definedOf<{ a: number; b: string; c: boolean }>({ a: 1, b: undefined, c: false })).toEqual({ a: 1, c: false });
    expect(definedOf<{ a: number; b: string }>({ a: 1, b: "x" }, ["b"])).toEqual({ b: "x" });
    expect(definedOf<{ a: number }>(undefined)).toEqual({});
  });

  it("a retry backoff with undefined fields waits what the defaults wait", async () => {
    const delays: number[] = [];
    for (const backoff of [{}, { baseMs: undefined, capMs: undefined, strategy: undefined }]) {
      oneUnavailable();
      const clock = new FakeClock({ autoAdvance: true });
      const result = await pipelineWith(server.url, { retry: { budget: false, backoff, maxAttempts: undefined, maxRetryAfterMs: undefined }, clock, random: () => 0.5 }).call(testOperation(), schemas, THING);
      expect(result.error).toBeUndefined();
      expect(result.meta.attempts.map((a) => a.status)).toEqual([503, 200]);
      delays.push(result.meta.attempts[1]!.delayMs);
    }
    // Full jitter at 0.5 of the default 250 ms base: the same 125 ms both times, not NaN.
    expect(delays).toEqual([125, 125]);
  });

  it("a retry budget with undefined fields keeps the default ratio, and so still stops retries", async () => {
    server.handle((_req, res) => json(res, 503, { title: "busy" }));
    const clock = new FakeClock({ autoAdvance: true });
    // No floor, the default ratio (0.2 retries per request): one call earns one retry, not three.
    const retry = { budget: { floorPerSecond: 0, ratio: undefined, windowMs: undefined }, maxAttempts: 4 };
    const result = await pipelineWith(server.url, { retry, clock, random: () => 0.5 }).call(testOperation(), schemas, THING);
    expect(result.meta.attempts.map((a) => a.status)).toEqual([503, 503]);
  });

  it("a client whose every option is undefined works as one made with none", async () => {
    server.handle((_req, res) => json(res, 200, { id: "t1" }));
    const pipeline = createPipeline({
      provider: "settings",
      baseUrl: server.url,
      headers: undefined,
      timeoutMs: undefined,
      deadlineMs: undefined,
      maxResponseBytes: undefined,
      maxRedirects: undefined,
      policies: undefined,
      resilience: undefined,
      classify: undefined,
      retry: undefined,
      pacing: { limit: undefined, windowMs: undefined, maxConcurrent: undefined, maxWaitMs: undefined },
      breaker: { failureRatio: undefined, openMs: undefined, windowMs: undefined },
      cache: { defaultStaleIfErrorMs: undefined },
      auth: undefined,
      correlationHeader: undefined,
      fetch: undefined,
      requestIdFactory: undefined,
      store: undefined,
      tenant: undefined,
      openTelemetry: { api: undefined, tracerProvider: undefined, meterProvider: undefined },
      clock: undefined,
      random: undefined,
      onEvent: undefined,
      logger: undefined,
    });
    const result = await pipeline.call(testOperation(), schemas, THING);
    expect(result.error).toBeUndefined();
    expect(result.data).toEqual({ id: "t1" });
    // The correlation header is the default one, sent.
    expect(server.requests.at(-1)!.headers["x-correlation-id"]).toEqual(expect.any(String));
  });

  it("an outbox's delivery rules left undefined defer a failed delivery as the default rules do", async () => {
    const unavailable = async () => {
      const response = new Response(JSON.stringify({ title: "busy" }), { status: 503 });
      return { error: HttpError.from(503, { title: "busy" }, response), response };
    };
    const retryAt: number[] = [];
    for (const rules of [undefined, { maxDeliveries: undefined, baseDelayMs: undefined, maxDelayMs: undefined }]) {
      const clock = new FakeClock({ start: Date.UTC(2030, 0, 1) });
      const outbox = createOutbox({ store: memoryOutboxStore(), provider: "settings", operations: { createThing: unavailable }, clock, random: () => 0.5, rules });
      const { id } = await outbox.enqueue("createThing", {});
      expect(await outbox.worker().drainDue()).toMatchObject({ deferred: 1 });
      retryAt.push((await outbox.get([id]))[0]!.notBefore - clock.now());
      await outbox.close();
    }
    expect(retryAt[0]).toBeGreaterThan(0);
    expect(retryAt[0]).toBeLessThanOrEqual(DEFAULT_DELIVERY_RULES.baseDelayMs);
    expect(retryAt[1]).toBe(retryAt[0]);
  });

  it("compiles an app that passes possibly-undefined client options under the strictest settings", () => {
    const app = path.join(ROOT, "test/runtime/settings-app.mts");
    const text = [
      `import { createClinicClient } from "../../generated/clinic/index.js";`,
      `declare const config: { url?: string | undefined; timeoutMs?: number | undefined; attempts?: number | undefined; baseMs?: number | undefined; limit?: number | undefined; tenant?: string | undefined };`,
      `const client = createClinicClient({`,
      `  baseUrl: config.url,`,
      `  timeoutMs: config.timeoutMs,`,
      `  tenant: config.tenant,`,
      `  retry: { maxAttempts: config.attempts, backoff: { baseMs: config.baseMs }, perOperation: { getPatient: { maxAttempts: config.attempts } } },`,
      `  pacing: { limit: config.limit, windowMs: undefined },`,
      `  breaker: { openMs: undefined },`,
      `  openTelemetry: { tracerProvider: undefined },`,
      `  onEvent: undefined,`,
      `});`,
      `await client.getPatient({ params: { path: { patientId: "p1" } } });`,
      ``,
    ].join("\n");
    expect(strictAppErrors([], new Map([[app, text]]))).toEqual([]);
  });
});
