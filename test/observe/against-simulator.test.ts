/**
 * OpenTelemetry end to end: the generated clinic client, every default policy on, against
 * the simulator over real HTTP, recording to providers the app registered globally. A write
 * meets a 429 (Retry-After: 2) and then a connection reset after its commit; a search made
 * while the 429's pause holds waits in pacing. The spans and metrics must add up to what the
 * simulator counted, and hold no token, client secret, API key or PHI. Waits are real but
 * short, and no assertion is about wall time.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import * as api from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { DEFAULT_CLIENTS, type Simulator } from "carewire/testing";
import type { ClientOptions, FetchLike, Policy } from "carewire";
import { createClinicClient } from "../../generated/clinic/index.js";
import { clinicSimulator, NEW_PATIENT } from "../helpers/simulator.js";
import { recordInMemory, spanJson, total, type Recorded } from "./support.js";

const CLIENT_ID = "carewire-demo";
const SECRET = DEFAULT_CLIENTS[CLIENT_ID]!;
const API_KEY = "ak-live-5c1e7d0e9b";
/** Put in a patient's name and in a search: it must appear in no span, event or metric. */
const PHI = "Zephyrine-PHI-Marker";

let sim: Simulator | undefined;
let recorded: Recorded | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  api.trace.disable();
  api.metrics.disable();
  api.context.disable();
  api.propagation.disable();
  await recorded?.shutdown();
  recorded = undefined;
});

/** Registers in-memory providers globally, as an app does at start-up. */
function registerGlobally(): Recorded {
  recorded = recordInMemory();
  api.trace.setGlobalTracerProvider(recorded.tracerProvider);
  api.metrics.setGlobalMeterProvider(recorded.meterProvider);
  return recorded;
}

/** The Authorization values the client sent (to look for the token afterwards). */
function capturingFetch() {
  const authorizations = new Set<string>();
  const send: FetchLike = (request, init) => {
    const authorization = request.headers.get("authorization");
    if (authorization) authorizations.add(authorization.replace(/^Bearer /, ""));
    return fetch(request, init);
  };
  return { send, authorizations };
}

function clinic(s: Simulator, options: Partial<ClientOptions> = {}) {
  return createClinicClient({
    baseUrl: s.url,
    auth: { tokenUrl: s.tokenPath, clientId: CLIENT_ID, clientSecret: SECRET },
    headers: { "X-Api-Key": API_KEY },
    pacing: { limit: Infinity },
    openTelemetry: { api },
    ...options,
  });
}

/** A policy of the caller's that notes whether each call had an OpenTelemetry observer. */
function observerProbe() {
  const seen: boolean[] = [];
  const policy: Policy = (next) => (plan) => {
    seen.push(plan.call.observer !== undefined);
    return next(plan);
  };
  return { policy, seen };
}

const attemptsOf = (spans: ReadableSpan[], callSpan: ReadableSpan) => spans.filter((s) => s.kind === api.SpanKind.CLIENT && s.parentSpanContext?.spanId === callSpan.spanContext().spanId);
const callSpanNamed = (spans: ReadableSpan[], name: string) => spans.find((s) => s.kind === api.SpanKind.INTERNAL && s.name === name)!;

describe("OpenTelemetry against the simulator", () => {
  it("records one CLIENT span per request the simulator counted, waits as events, metrics that add up, and nothing secret", async () => {
    const s = (sim = await clinicSimulator({ rateLimit: false }));
    const r = registerGlobally();
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    s.faults.enqueue("createPatient", [{ kind: "status", status: 429, retryAfter: 2 }, { kind: "reset-after-commit" }]);
    let throttled!: () => void;
    const pauseSet = new Promise<void>((resolve) => (throttled = resolve));
    const wire = capturingFetch();
    const c = clinic(s, { tenant: "clinic-north", fetch: wire.send, onEvent: (e) => e.type === "throttled" && throttled() });
    const body = { ...NEW_PATIENT, identifier: "MRN-9001", familyName: PHI };

    const appSpan = r.tracerProvider.getTracer("app").startSpan("POST /intake");
    const write = api.context.with(api.trace.setSpan(api.context.active(), appSpan), () => c.createPatient({ body }, { businessKey: { mrn: body.identifier } }));
    await pauseSet;
    await new Promise((resolve) => setTimeout(resolve, 20)); // the pause reaches the quota store
    const search = c.listPatients({ params: { query: { family: PHI } } }, { cache: "no-store" });
    const [written, found] = await Promise.all([write, search]);
    expect(written.error).toBeUndefined();
    expect(found.error).toBeUndefined();
    // A read by the new patient's id: the id is in the path, and must be in no span.
    const patientId = written.data!.id;
    expect((await c.getPatient({ params: { path: { patientId } } }, { cache: "no-store" })).error).toBeUndefined();
    appSpan.end();

    const spans = r.spans();
    const sent = s.log.filter((e) => e.operationId !== "issueToken");
    expect(spans.filter((x) => x.kind === api.SpanKind.CLIENT)).toHaveLength(sent.length);

    // The write: its call span under the app's span, three attempts under it.
    const writeSpan = callSpanNamed(spans, "clinic createPatient");
    expect(writeSpan.parentSpanContext?.spanId).toBe(appSpan.spanContext().spanId);
    const writes = attemptsOf(spans, writeSpan);
    expect(writes.map((x) => x.name)).toEqual(["POST /patients", "POST /patients", "POST /patients"]);
    expect(writes.map((x) => x.attributes["http.request.resend_count"])).toEqual([undefined, 1, 2]);
    expect(writes.map((x) => x.attributes["http.response.status_code"])).toEqual([429, undefined, 201]);
    expect(writes.map((x) => x.attributes["error.type"])).toEqual(["429", "network", undefined]);
    expect(writes.map((x) => x.status.code)).toEqual([api.SpanStatusCode.ERROR, api.SpanStatusCode.ERROR, api.SpanStatusCode.UNSET]);
    expect(new Set(writes.map((x) => x.attributes["carewire.idempotency_key.hash"])).size).toBe(1);
    expect(writes[0]!.attributes).toMatchObject({ "url.template": "/patients", "server.address": "127.0.0.1", "carewire.tenant": "clinic-north", "carewire.breaker.state": "closed" });
    expect(writeSpan.events.map((e) => e.name)).toEqual(expect.arrayContaining(["carewire.token", "carewire.throttled", "carewire.retry"]));
    expect(writeSpan.events.filter((e) => e.name === "carewire.retry")).toHaveLength(2);
    expect(writeSpan.attributes).toMatchObject({ "carewire.outcome": "ok", "http.response.status_code": 201, "carewire.attempts": 3 });

    // The search waited for the 429's pause in pacing: an event on its call span, the wait on its attempt.
    const searchSpan = callSpanNamed(spans, "clinic listPatients");
    const [searched] = attemptsOf(spans, searchSpan);
    const waitEvent = searchSpan.events.find((e) => e.name === "carewire.quota.wait");
    expect(waitEvent?.attributes?.["carewire.quota.wait_ms"]).toBeGreaterThan(0);
    expect(searched!.attributes["carewire.quota.wait_ms"]).toBe(waitEvent?.attributes?.["carewire.quota.wait_ms"]);
    expect(searched!.attributes["url.template"]).toBe("/patients");
    const [read] = attemptsOf(spans, callSpanNamed(spans, "clinic getPatient"));
    expect(read!.name).toBe("GET /patients/{patientId}");

    // Metrics add up to what the simulator counted.
    expect(total(await r.points("http.client.request.duration"))).toBe(sent.length);
    expect(total(await r.points("http.client.request.duration"), { "error.type": "429", "url.template": "/patients" })).toBe(1);
    expect(total(await r.points("carewire.client.rate_limited"))).toBe(s.counters.byStatus["429"]);
    expect(total(await r.points("carewire.client.retries"))).toBe(2);
    expect(total(await r.points("carewire.client.calls"), { "carewire.outcome": "ok", "http.response.status_class": "2xx" })).toBe(3);
    expect(total(await r.points("carewire.tenant.calls"), { "carewire.tenant": "clinic-north" })).toBe(3);
    expect(total(await r.points("carewire.client.quota.wait"), { "carewire.operation_id": "listPatients" })).toBe(1);

    // Nothing secret or identifying anywhere.
    const everything = spans.map(spanJson).join("\n") + (await r.metricsJson());
    expect(wire.authorizations.size).toBeGreaterThan(0);
    for (const secret of [SECRET, API_KEY, PHI, body.identifier, patientId, ...wire.authorizations]) expect(everything).not.toContain(secret);
    expect(everything).not.toContain("url.full");
    expect(everything).not.toContain("url.query");
  });

  it("with the api present and no provider registered, calls work and nothing is recorded", async () => {
    const s = (sim = await clinicSimulator({ rateLimit: false }));
    const probe = observerProbe();
    const result = await clinic(s, { policies: [probe.policy] }).listPractitioners();
    expect(result.error).toBeUndefined();
    expect(probe.seen).toEqual([false]);
  });

  it("with openTelemetry: false nothing is wired, even with providers registered", async () => {
    const s = (sim = await clinicSimulator({ rateLimit: false }));
    const r = registerGlobally();
    const probe = observerProbe();
    const result = await clinic(s, { openTelemetry: false, policies: [probe.policy] }).listPractitioners();
    expect(result.error).toBeUndefined();
    expect(probe.seen).toEqual([false]);
    expect(r.spans()).toHaveLength(0);
    expect(await r.points("carewire.client.calls")).toHaveLength(0);
  });

  it("sees quota waits with no onEvent sink or logger on the client (OpenTelemetry alone listens)", async () => {
    const s = (sim = await clinicSimulator({ rateLimit: false }));
    const r = registerGlobally();
    const c = clinic(s, { pacing: { limit: 1, windowMs: 200 } });
    expect((await c.listPractitioners({}, { cache: "no-store" })).error).toBeUndefined();
    expect((await c.getPractitioner({ params: { path: { practitionerId: "pr-1" } } }, { cache: "no-store" })).error).toBeUndefined();

    const spans = r.spans();
    const second = callSpanNamed(spans, "clinic getPractitioner");
    expect(second.events.find((e) => e.name === "carewire.quota.wait")?.attributes?.["carewire.quota.wait_ms"]).toBeGreaterThan(0);
    expect(attemptsOf(spans, second)[0]!.attributes["carewire.quota.wait_ms"]).toBeGreaterThan(0);
    // The token request is paced too, so the first call may wait as well: one record per wait event.
    const waits = spans.flatMap((span) => span.events).filter((e) => e.name === "carewire.quota.wait");
    expect(total(await r.points("carewire.client.quota.wait"))).toBe(waits.length);
  });

  it("picks up providers the app registers after the client was made", async () => {
    const s = (sim = await clinicSimulator({ rateLimit: false }));
    const c = clinic(s);
    expect((await c.listPractitioners({}, { cache: "no-store" })).error).toBeUndefined();

    const r = registerGlobally();
    expect((await c.getPractitioner({ params: { path: { practitionerId: "pr-1" } } }, { cache: "no-store" })).error).toBeUndefined();

    expect(r.spans().map((x) => x.name)).toEqual(["GET /practitioners/{practitionerId}", "clinic getPractitioner"]);
    expect(total(await r.points("carewire.client.calls"))).toBe(1);
  });
});
