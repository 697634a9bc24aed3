/**
 * The attempt-span policy alone, with a scripted `next` and a fake clock: one CLIENT span
 * per attempt under the call span, the HTTP conventions' attributes, carewire's own, the
 * trace context in the request headers, and the request metrics.
 */
import { afterEach, describe, expect, it, jest } from "@jest/globals";
import * as api from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { Call, NetworkError, type AttemptPlan, type OperationDescriptor } from "carewire";
import { FakeClock, answered, failed, scriptedNext } from "carewire/testing";
import { attemptSpanPolicy } from "../../src/runtime/observe/attempt-span.js";
import { labelsCache } from "../../src/runtime/observe/attributes.js";
import { CallObserver } from "../../src/runtime/observe/call-observer.js";
import { ClientTelemetry } from "../../src/runtime/observe/client-telemetry.js";
import { sha256Hex } from "../../src/runtime/portable/sha256.js";
import { read } from "../policies/support.js";
import { recordInMemory, total, type Recorded } from "./support.js";

let recorded: Recorded | undefined;
afterEach(async () => {
  api.propagation.disable();
  await recorded?.shutdown();
  recorded = undefined;
});

/** A client's telemetry recording in memory, and the plan of a call's first attempt through it. */
function observedCall(operation: OperationDescriptor = read(), tenant?: string) {
  recorded = recordInMemory();
  const telemetry = new ClientTelemetry(() => api, { provider: "acme", baseUrl: "https://api.acme.test:8443/v1", breakerOn: true, tracerProvider: recorded.tracerProvider, meterProvider: recorded.meterProvider });
  const call = new Call({
    provider: "acme",
    operation,
    schemas: { responses: {} },
    input: { params: { path: { thingId: "patient-4711" } } },
    options: {},
    requestId: "req-1",
    clock: new FakeClock(),
    random: () => 0.5,
    deadlineMs: 120_000,
    classify: {},
    tenant,
    sink: undefined,
    observer: telemetry.begin(operation, tenant),
  });
  const plan: AttemptPlan = { call, headers: {}, attempt: 1, delayMs: 0, replaySafe: false };
  return { call, plan, recorded };
}

const byKind = (r: Recorded, kind: api.SpanKind) => r.spans().filter((s) => s.kind === kind);

describe("attempt spans", () => {
  it("an answered attempt is one CLIENT span under the call span, named by method and path template", async () => {
    const { call, plan, recorded } = observedCall(read(), "clinic-7");
    const next = scriptedNext((p) => answered(p, 200, { body: { id: "x" } }));

    const result = await attemptSpanPolicy(next)(plan);
    call.observer!.end(result, result.exchange?.response, undefined);

    const [attempt] = byKind(recorded, api.SpanKind.CLIENT);
    const [callSpan] = byKind(recorded, api.SpanKind.INTERNAL);
    expect(attempt!.name).toBe("GET /things/{thingId}");
    expect(callSpan!.name).toBe("acme getThing");
    expect(attempt!.parentSpanContext?.spanId).toBe(callSpan!.spanContext().spanId);
    expect(attempt!.attributes).toMatchObject({
      "http.request.method": "GET",
      "url.template": "/things/{thingId}",
      "server.address": "api.acme.test",
      "server.port": 8443,
      "http.response.status_code": 200,
      "carewire.provider": "acme",
      "carewire.operation_id": "getThing",
      "carewire.tenant": "clinic-7",
      "carewire.outcome": "ok",
      "carewire.breaker.state": "closed",
    });
    expect(attempt!.attributes).not.toHaveProperty("http.request.resend_count");
    expect(attempt!.attributes).not.toHaveProperty("error.type");
    expect(attempt!.attributes).not.toHaveProperty("url.full");
    expect(attempt!.status.code).toBe(api.SpanStatusCode.UNSET);
    expect(JSON.stringify(recorded.spans().map((s) => s.attributes))).not.toContain("patient-4711");
    expect(total(await recorded.points("http.client.request.duration"), { "http.response.status_code": 200, "url.template": "/things/{thingId}" })).toBe(1);
  });

  it("a re-sent attempt that failed with a 503 carries its resend count, the key's hash, the quota wait and error.type", async () => {
    const { call, plan, recorded } = observedCall();
    call.emit({ type: "rate-limit-wait", waitMs: 1_250, reason: "120 per 60000 ms" });
    const next = scriptedNext((p) => answered(p, 503));

    await attemptSpanPolicy(next)({ ...plan, attempt: 3, delayMs: 400, idempotencyKey: "key-abc" });

    const [attempt] = byKind(recorded, api.SpanKind.CLIENT);
    expect(attempt!.attributes).toMatchObject({
      "http.request.resend_count": 2,
      "http.response.status_code": 503,
      "error.type": "503",
      "carewire.outcome": "throttled",
      "carewire.quota.wait_ms": 1_250,
    });
    // Salted per process: not the key's plain hash, which a guessed business key would match.
    const hash = attempt!.attributes["carewire.idempotency_key.hash"];
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(hash).not.toBe(sha256Hex("key-abc").slice(0, 16));
    expect(JSON.stringify(attempt!.attributes)).not.toContain("key-abc");
    expect(attempt!.status.code).toBe(api.SpanStatusCode.ERROR);
    expect(total(await recorded.points("carewire.client.quota.wait"))).toBe(1);
  });

  it("the quota wait belongs to the attempt it held: the next attempt reports none", async () => {
    const { call, plan, recorded } = observedCall();
    call.emit({ type: "rate-limit-wait", waitMs: 300, reason: "concurrency cap or a pause the server asked for" });
    const policy = attemptSpanPolicy(scriptedNext((p) => answered(p, 502), (p) => answered(p, 200)));

    await policy(plan);
    await policy({ ...plan, attempt: 2 });

    const attempts = byKind(recorded, api.SpanKind.CLIENT);
    expect(attempts.map((s) => s.attributes["carewire.quota.wait_ms"])).toEqual([300, undefined]);
    expect(attempts.map((s) => s.attributes["http.request.resend_count"])).toEqual([undefined, 1]);
  });

  it("a failure without a response names carewire's error kind, and no status code", async () => {
    const { plan, recorded } = observedCall();
    const next = scriptedNext((p) => failed(p, new NetworkError("connection reset", "request", "ECONNRESET")));

    await attemptSpanPolicy(next)(plan);

    const [attempt] = byKind(recorded, api.SpanKind.CLIENT);
    expect(attempt!.attributes["error.type"]).toBe("network");
    expect(attempt!.attributes).not.toHaveProperty("http.response.status_code");
    expect(attempt!.status.code).toBe(api.SpanStatusCode.ERROR);
    expect(total(await recorded.points("http.client.request.duration"), { "error.type": "network" })).toBe(1);
  });

  it("counts a 429 as rate-limited", async () => {
    const { plan, recorded } = observedCall();
    await attemptSpanPolicy(scriptedNext((p) => answered(p, 429, { headers: { "retry-after": "2" } })))(plan);
    expect(total(await recorded.points("carewire.client.rate_limited"), { "carewire.operation_id": "getThing" })).toBe(1);
  });

  it("sends the attempt span's trace context through the app's propagator", async () => {
    api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const { plan, recorded } = observedCall();
    const next = scriptedNext((p) => answered(p, 200));

    await attemptSpanPolicy(next)({ ...plan, headers: { Authorization: "Bearer t" } });

    const [attempt] = byKind(recorded, api.SpanKind.CLIENT);
    const { traceId, spanId } = attempt!.spanContext();
    expect(next.plans[0]!.headers).toEqual({ Authorization: "Bearer t", traceparent: `00-${traceId}-${spanId}-01` });
  });

  it("adds no header without a propagator", async () => {
    const { plan } = observedCall();
    const next = scriptedNext((p) => answered(p, 200));
    await attemptSpanPolicy(next)(plan);
    expect(next.plans[0]).toBe(plan);
  });

  it("reports the breaker state the call last saw change", async () => {
    const { call, plan, recorded } = observedCall();
    call.emit({ type: "breaker", group: "acme:things", from: "open", to: "half-open" });
    await attemptSpanPolicy(scriptedNext((p) => answered(p, 200)))(plan);
    expect(byKind(recorded, api.SpanKind.CLIENT)[0]!.attributes["carewire.breaker.state"]).toBe("half-open");
    const gauge = await recorded.points("carewire.client.breaker.state");
    expect(gauge.map((p) => [p.attributes["carewire.breaker.group"], p.value])).toEqual([["acme:things", 1]]);
  });

  it("passes the plan straight through when the call has no observer", async () => {
    const { plan } = observedCall();
    const bare = { ...plan, call: new Call({ ...plan.call, sink: undefined, observer: undefined }) };
    const next = scriptedNext((p) => answered(p, 200));
    await attemptSpanPolicy(next)(bare);
    expect(next.plans[0]).toBe(bare);
  });
});

describe("the call span", () => {
  it("records the call's waits and decisions as events, and ignores event types it does not know", async () => {
    const { call, plan, recorded } = observedCall();
    call.emit({ type: "rate-limit-wait", waitMs: 50, reason: "120 per 60000 ms" });
    call.emit({ type: "retry", attempt: 1, outcome: "throttled", reason: "HTTP 429", delayMs: 2_000 });
    call.emit({ type: "throttled", retryAt: Date.UTC(2026, 0, 1) });
    call.emit({ type: "cache", result: "miss" });
    call.emit({ type: "token", action: "refreshed" });
    call.emit({ type: "something-new", detail: "x" } as never);
    const result = await attemptSpanPolicy(scriptedNext((p) => answered(p, 404)))(plan);
    call.observer!.end(result, result.exchange?.response, undefined);

    const [callSpan] = byKind(recorded, api.SpanKind.INTERNAL);
    expect(callSpan!.events.map((e) => e.name)).toEqual(["carewire.quota.wait", "carewire.retry", "carewire.throttled", "carewire.cache", "carewire.token"]);
    expect(callSpan!.events[1]!.attributes).toEqual({ "carewire.attempt": 1, "carewire.retry.delay_ms": 2_000, "carewire.outcome": "throttled" });
    expect(callSpan!.events[2]!.attributes).toEqual({ "carewire.retry_at": "2026-01-01T00:00:00.000Z" });
    expect(callSpan!.attributes).toMatchObject({ "carewire.outcome": "permanent", "http.response.status_code": 404, "error.type": "404" });
    expect(total(await recorded.points("carewire.client.retries"), { "carewire.outcome": "throttled" })).toBe(1);
    expect(total(await recorded.points("carewire.client.cache"), { "carewire.cache.result": "miss" })).toBe(1);
    expect(total(await recorded.points("carewire.client.calls"), { "carewire.outcome": "permanent", "http.response.status_class": "4xx" })).toBe(1);
  });
});

describe("providers that fail", () => {
  it("a tracer that throws leaves the call without an observer, not without its result", () => {
    const throwing = { getTracer: () => ({ startSpan: () => { throw new Error("tracer broke"); } }) };
    const telemetry = new ClientTelemetry(() => api, { provider: "acme", baseUrl: "https://api.acme.test", breakerOn: false, tracerProvider: throwing });
    expect(telemetry.begin(read(), undefined)).toBeUndefined();
  });

  it("a span that throws on every write still lets the attempt through and returns its result", async () => {
    const { plan } = observedCall();
    let failing = true;
    const broken = () => {
      if (failing) throw new Error("span broke");
    };
    const span = { isRecording: () => true, setAttribute: broken, setAttributes: broken, addEvent: broken, setStatus: broken, end: broken };
    const tracer = { startSpan: () => span };
    const telemetry = new ClientTelemetry(() => api, { provider: "acme", baseUrl: "https://api.acme.test", breakerOn: false, tracerProvider: { getTracer: () => tracer } });
    const observer = telemetry.begin(read(), undefined);
    expect(observer).toBeUndefined();
    // Made by hand past begin's guard (the span failing only from then on): the policy and the observer guard themselves too.
    failing = false;
    const direct = new CallObserver(api, tracer, span, true, api.context.active(), labelsCache("acme", undefined)(read()), undefined, undefined, false);
    failing = true;
    const call = new Call({ ...plan.call, sink: undefined, observer: direct });
    const next = scriptedNext((p) => answered(p, 200));
    const result = await attemptSpanPolicy(next)({ ...plan, call });
    expect(result.verdict.outcome).toBe("ok");
    expect(() => call.emit({ type: "cache", result: "miss" })).not.toThrow();
    expect(() => direct.end(result, result.exchange?.response, undefined)).not.toThrow();
  });
});

describe("the request's context", () => {
  afterEach(() => {
    api.context.disable();
    api.metrics.disable();
    jest.restoreAllMocks();
  });

  it("is built only when something can read it: a context manager (or a propagator) registered", async () => {
    const sendingIn = jest.spyOn(CallObserver.prototype, "sendingIn");
    // Something registered globally, but no context manager: a context made active would reach nobody.
    api.metrics.setGlobalMeterProvider({ getMeter: () => api.createNoopMeter() });
    const quiet = observedCall();
    await attemptSpanPolicy(scriptedNext((p) => answered(p, 200)))(quiet.plan);
    expect(sendingIn).not.toHaveBeenCalledWith(expect.anything());
    await quiet.recorded.shutdown();

    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const carried = observedCall();
    await attemptSpanPolicy(scriptedNext((p) => answered(p, 200)))(carried.plan);
    expect(sendingIn).toHaveBeenCalledWith(expect.anything());
    // Cleared once the attempt is over.
    expect(sendingIn).toHaveBeenLastCalledWith(undefined);
  });
});
