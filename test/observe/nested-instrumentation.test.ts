/**
 * carewire beside the app's own HTTP instrumentation: OpenTelemetry's undici instrumentation
 * (part of the usual Node auto-instrumentation) sees every `fetch`, carewire's included. The
 * attempt span is already the request's CLIENT span, so under it the instrumentation must
 * record nothing and add no second `traceparent` (two make the header invalid for the
 * server), while the app's own fetches, and a client with OpenTelemetry off, stay traced by
 * it as before. Real parts: the SDK, the async-hooks context manager, the W3C propagator,
 * the instrumentation, and a node:http server on 127.0.0.1 that records each request's
 * headers.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import * as api from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, TraceIdRatioBasedSampler, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import type { OpenTelemetryApi } from "../../src/runtime/observe/open-telemetry.js";
import { createClinicClient } from "../../generated/clinic/index.js";
import { json, startServer, type RecordedRequest, type TestServer } from "../helpers/http-server.js";
import { recordInMemory, type Recorded } from "./support.js";

const UNDICI_SCOPE = "@opentelemetry/instrumentation-undici";
const PAGE = { data: [], page: 1, pageSize: 50, total: 0, nextPage: null };
/** A W3C traceparent: version, trace id, parent span id, flags. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

/** The parts of the one traceparent a request carried (none when it had none, several, or a malformed one). */
function traceparentOf(request: RecordedRequest): { traceId?: string; parentId?: string; flags?: string } {
  const value = request.headers.traceparent;
  const [, traceId, parentId, flags] = (typeof value === "string" ? TRACEPARENT.exec(value) : null) ?? [];
  return { traceId, parentId, flags };
}

let server: TestServer | undefined;
let recorded: Recorded | undefined;
let undici: UndiciInstrumentation | undefined;

afterEach(async () => {
  undici?.disable();
  undici = undefined;
  await server?.close();
  server = undefined;
  api.trace.disable();
  api.context.disable();
  api.propagation.disable();
  await recorded?.shutdown();
  recorded = undefined;
});

/** The app's set-up: SDK, context manager and propagator registered globally, the undici instrumentation on. */
async function appWithUndiciInstrumentation(sampler?: TraceIdRatioBasedSampler): Promise<{ recorded: Recorded; server: TestServer }> {
  server = await startServer((_req, res) => json(res, 200, PAGE));
  recorded = recordInMemory();
  if (sampler !== undefined) {
    // The same in-memory spans, through a provider whose sampler drops what it is told to.
    const exporter = new InMemorySpanExporter();
    const sampling = new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] });
    recorded = { ...recorded, tracerProvider: sampling, spans: () => exporter.getFinishedSpans() };
  }
  api.trace.setGlobalTracerProvider(recorded.tracerProvider);
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  // On from construction, as `registerInstrumentations` leaves it.
  undici = new UndiciInstrumentation();
  undici.setTracerProvider(recorded.tracerProvider);
  return { recorded, server };
}

const clientSpans = (spans: ReadableSpan[], scope: string) => spans.filter((s) => s.kind === api.SpanKind.CLIENT && s.instrumentationScope.name === scope);

describe("carewire beside the app's undici instrumentation", () => {
  it("records one CLIENT span per request, carewire's, and sends one traceparent naming it", async () => {
    const { recorded: r, server: s } = await appWithUndiciInstrumentation();
    const client = createClinicClient({ baseUrl: s.url, pacing: { limit: Infinity } });
    const appSpan = r.tracerProvider.getTracer("app").startSpan("GET /ward");
    const results = await api.context.with(api.trace.setSpan(api.context.active(), appSpan), () =>
      Promise.all([client.listPatients({ params: { query: { pageSize: 50 } } }), client.listPatients({ params: { query: { pageSize: 10 } } })]),
    );
    appSpan.end();
    expect(results.map((x) => x.error)).toEqual([undefined, undefined]);

    const spans = r.spans();
    expect(clientSpans(spans, UNDICI_SCOPE)).toEqual([]);
    const attempts = clientSpans(spans, "carewire");
    expect(attempts).toHaveLength(2);
    expect(s.requests).toHaveLength(2);
    for (const request of s.requests) {
      // One header, one value: no second traceparent joined to it.
      expect(typeof request.headers.traceparent).toBe("string");
      const { traceId, parentId } = traceparentOf(request);
      expect(traceId).toBe(appSpan.spanContext().traceId);
      expect(attempts.map((a) => a.spanContext().spanId)).toContain(parentId);
    }
    expect(new Set(s.requests.map((q) => q.headers.traceparent)).size).toBe(2);
  });

  it("leaves the app's own fetches, made after carewire's calls, to the instrumentation", async () => {
    const { recorded: r, server: s } = await appWithUndiciInstrumentation();
    const client = createClinicClient({ baseUrl: s.url, pacing: { limit: Infinity } });
    expect((await client.listPatients({ params: { query: { pageSize: 50 } } })).error).toBeUndefined();
    const own = await fetch(`${s.url}/health`);
    await own.arrayBuffer();

    const spans = r.spans();
    const [theirs] = clientSpans(spans, UNDICI_SCOPE);
    expect(clientSpans(spans, UNDICI_SCOPE)).toHaveLength(1);
    expect(theirs!.attributes["url.full"]).toBe(`${s.url}/health`);
    expect(clientSpans(spans, "carewire")).toHaveLength(1);
    // The app's fetch carries the instrumentation's own span as its parent.
    expect(traceparentOf(s.requests[1]!).parentId).toBe(theirs!.spanContext().spanId);
  });

  it("keeps the app's context for the app's own code inside an attempt: a span started in onEvent records", async () => {
    const { recorded: r, server: s } = await appWithUndiciInstrumentation();
    const tracer = r.tracerProvider.getTracer("app");
    const recordedInSink: boolean[] = [];
    const client = createClinicClient({
      baseUrl: s.url,
      pacing: { limit: Infinity },
      onEvent: (event) => {
        if (event.type !== "attempt") return;
        const span = tracer.startSpan("app.on-attempt");
        recordedInSink.push(span.isRecording());
        span.end();
      },
    });
    expect((await client.listPatients({ params: { query: { pageSize: 50 } } })).error).toBeUndefined();
    expect(recordedInSink).toEqual([true]);
    expect(clientSpans(r.spans(), UNDICI_SCOPE)).toEqual([]);
  });

  it("keeps the instrumentation off a call the app's sampler dropped, and sends that call's not-sampled context", async () => {
    const { recorded: r, server: s } = await appWithUndiciInstrumentation(new TraceIdRatioBasedSampler(0));
    const client = createClinicClient({ baseUrl: s.url, pacing: { limit: Infinity } });
    expect((await client.listPatients({ params: { query: { pageSize: 50 } } })).error).toBeUndefined();
    expect(r.spans()).toEqual([]);
    // One traceparent, flags 00 (not sampled): the server's own tracing follows the app's decision.
    expect(traceparentOf(s.requests[0]!)).toMatchObject({ parentId: expect.stringMatching(/^[0-9a-f]{16}$/), flags: "00" });
  });

  it("still sends every request when the app's context manager throws or never runs the work", async () => {
    const { recorded: r, server: s } = await appWithUndiciInstrumentation();
    const managerOf = (withImpl: () => unknown): OpenTelemetryApi => ({
      trace: api.trace,
      metrics: api.metrics,
      propagation: api.propagation,
      createNoopMeter: api.createNoopMeter,
      context: { active: () => api.context.active(), with: withImpl as never },
    });
    for (const broken of [managerOf(() => { throw new Error("context manager failed"); }), managerOf(() => undefined)]) {
      const client = createClinicClient({ baseUrl: s.url, pacing: { limit: Infinity }, openTelemetry: { api: broken, tracerProvider: r.tracerProvider } });
      expect((await client.listPatients({ params: { query: { pageSize: 50 } } })).error).toBeUndefined();
    }
    expect(s.requests).toHaveLength(2);
    expect(clientSpans(r.spans(), "carewire")).toHaveLength(2);
  });

  it("does not hide requests from the instrumentation when the client's OpenTelemetry is off", async () => {
    const { recorded: r, server: s } = await appWithUndiciInstrumentation();
    const client = createClinicClient({ baseUrl: s.url, pacing: { limit: Infinity }, openTelemetry: false });
    expect((await client.listPatients({ params: { query: { pageSize: 50 } } })).error).toBeUndefined();

    const spans = r.spans();
    expect(clientSpans(spans, "carewire")).toEqual([]);
    const [theirs] = clientSpans(spans, UNDICI_SCOPE);
    expect(theirs).toBeDefined();
    expect(traceparentOf(s.requests[0]!).parentId).toBe(theirs!.spanContext().spanId);
  });
});
