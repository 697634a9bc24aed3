// One client of the per-call overhead rows of the runtime benchmark, in a process of its own
// that runs plain node on compiled JavaScript (carewire from dist/, the generated clinic
// client as tsc would emit it into bench/.work/clinic), so nothing else the benchmark does
// (other scenarios' garbage, tsx's loader, the other client's heap) is counted against it.
//
//   node bench/overhead-child.mjs '{"mode":"bare","client":"carewire","url":"http://127.0.0.1:…"}'
//   node bench/overhead-child.mjs '{"mode":"stub","client":"openapi-fetch"}'
//       warm up, print {"ready":true, "warmup":{calls, wallUs, cpuUs}} (per call, over the
//       warm-up), then run rounds on IPC request: the parent sends
//       { calls } and gets back { wallUs, cpuUs } per call; the parent alternates the two
//       clients' processes round by round (bench/runtime.bench.ts). { allocationCalls } instead
//       answers what that many calls allocate (see `allocation`).
//   node bench/overhead-child.mjs '{"mode":"profile","client":"carewire","out":"….cpuprofile"}'
//       warm up, then one run of `calls` on the stub under the sampling profiler (over loopback
//       to a bare server instead when a `url` is given).
//
// Both clients make the same call, `GET /patients?pageSize=50`, typed from the same spec:
// carewire with its default policies (only `pacing: { limit: Infinity }`, because the clinic
// spec declares a 120/min quota that would otherwise pace 10,000 calls over 83 minutes),
// openapi-fetch as its README sets it up. "bare" goes over loopback to bench/bare-server.mjs;
// "stub" and "profile" give both the same stubbed fetch (openapi-fetch's documented `fetch`
// option, carewire's `fetch` option), which answers every call with a new Response of the
// same bytes. CPU time is this process's (process.cpuUsage: user + system, all threads, GC
// included).
import { writeFile } from "node:fs/promises";
import createFetchClient from "openapi-fetch";
import { patientPage } from "./bare-server.mjs";
import { createClinicClient } from "./.work/clinic/index.js";

const options = JSON.parse(process.argv[2] ?? "{}");
const mode = options.mode ?? "stub";
const client = options.client ?? "carewire";
const warmup = options.warmup ?? 1_000;

const BODY = new TextEncoder().encode(patientPage());
const LENGTH = String(BODY.byteLength);
let fetches = 0;
/** What the bare server answers, without the network: a fresh Response of the same bytes each call. */
const stubFetch = async () => {
  fetches++;
  // With `macrotask`, each call crosses the event loop as a network call does (see runtime.bench.ts).
  if (options.macrotask) await new Promise((resolve) => setImmediate(resolve));
  return new Response(BODY, { status: 200, headers: { "content-type": "application/json", "content-length": LENGTH } });
};

const overLoopback = mode === "bare" || (mode === "profile" && options.url !== undefined);
const baseUrl = overLoopback ? options.url : "http://127.0.0.1:4010";
const fetchOption = overLoopback ? {} : { fetch: stubFetch };
const query = { params: { query: { pageSize: 50 } } };

/**
 * The OpenTelemetry SDK registered globally, every export dropped: what the otel row measures
 * is the recording. With `metrics: false` only the tracer provider (the meter stays the api's no-op).
 */
async function registerOpenTelemetrySdk({ metrics = true } = {}) {
  const api = await import("@opentelemetry/api");
  const { BasicTracerProvider, BatchSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  const { MeterProvider, PeriodicExportingMetricReader } = await import("@opentelemetry/sdk-metrics");
  const dropSpans = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
  const dropMetrics = { export: (_metrics, done) => done({ code: 0 }), forceFlush: async () => {}, shutdown: async () => {} };
  api.trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropSpans)] }));
  if (metrics) api.metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: dropMetrics, exportIntervalMillis: 10_000 })] }));
}

/**
 * The otel rows' floor: carewire with its own OpenTelemetry off, and the app recording by hand,
 * with the same SDK, what carewire records for this call: a call span (INTERNAL) with an
 * attempt span (CLIENT) under it, the same names and attributes, the request-duration
 * histogram and a calls counter with the same attribute sets. What this costs is the SDK's
 * price for that telemetry, which no instrumentation of the call can go below. With
 * `metrics: false`, the two spans only (the floor of the traces-only row).
 */
async function recordedByHand(send, url, { metrics = true } = {}) {
  const api = await import("@opentelemetry/api");
  const tracer = api.trace.getTracer("app");
  const meter = api.metrics.getMeter("app");
  const duration = meter.createHistogram("http.client.request.duration", { unit: "s" });
  const calls = meter.createCounter("app.client.calls");
  const { hostname, port } = new URL(url);
  const ids = { "carewire.provider": "clinic", "carewire.operation_id": "listPatients" };
  const http = { "http.request.method": "GET", "url.template": "/patients", "server.address": hostname, "server.port": Number(port) };
  const attempt = { ...http, ...ids };
  const durationAttributes = { ...http, "http.response.status_code": 200 };
  const callAttributes = { ...ids, "carewire.outcome": "ok", "http.response.status_class": "2xx" };
  return async () => {
    const parent = api.context.active();
    const callSpan = tracer.startSpan("clinic listPatients", { kind: api.SpanKind.INTERNAL }, parent);
    callSpan.setAttributes(ids);
    const attemptSpan = tracer.startSpan("GET /patients", { kind: api.SpanKind.CLIENT }, api.trace.setSpan(parent, callSpan));
    attemptSpan.setAttributes(attempt);
    attemptSpan.setAttribute("carewire.breaker.state", "closed");
    const started = performance.now();
    await send();
    attemptSpan.setAttribute("http.response.status_code", 200);
    attemptSpan.setAttribute("carewire.outcome", "ok");
    attemptSpan.end();
    if (metrics) duration.record((performance.now() - started) / 1000, durationAttributes);
    callSpan.setAttributes({ "carewire.outcome": "ok", "carewire.attempts": 1, "http.response.status_code": 200, "carewire.breaker.state": "closed" });
    callSpan.end();
    if (metrics) calls.add(1, callAttributes);
  };
}

let call;
if (client.startsWith("carewire")) {
  const byHand = client === "carewire-otel-by-hand" || client === "carewire-otel-traces-by-hand";
  const tracesOnly = client === "carewire-otel-traces" || client === "carewire-otel-traces-by-hand";
  if (client === "carewire-otel-sdk" || tracesOnly || byHand) await registerOpenTelemetrySdk({ metrics: !tracesOnly });
  const otelOption = client === "carewire-otel-off" || byHand ? { openTelemetry: false } : {};
  const carewire = createClinicClient({ baseUrl, pacing: { limit: Infinity }, ...fetchOption, ...otelOption });
  const send = async () => {
    const result = await carewire.listPatients(query);
    if (result.error || result.data.data.length !== 50) throw result.error ?? new Error("carewire: short page");
  };
  call = byHand ? await recordedByHand(send, baseUrl, { metrics: !tracesOnly }) : send;
} else if (client === "openapi-fetch-timeout") {
  // openapi-fetch's way to bound a request: a signal per call (its docs use AbortSignal.timeout).
  const raw = createFetchClient({ baseUrl, ...fetchOption });
  call = async () => {
    const result = await raw.GET("/patients", { ...query, signal: AbortSignal.timeout(30_000) });
    if (result.error !== undefined || result.data.data.length !== 50) throw new Error(`openapi-fetch: ${result.response.status}`);
  };
} else {
  const raw = createFetchClient({ baseUrl, ...fetchOption });
  call = async () => {
    const result = await raw.GET("/patients", query);
    if (result.error !== undefined || result.data.data.length !== 50) throw new Error(`openapi-fetch: ${result.response.status}`);
  };
}

async function timed(n) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await call();
  const wallUs = (performance.now() - t0) * 1000;
  const cpu = process.cpuUsage(cpu0);
  return { wallUs: wallUs / n, cpuUs: (cpu.user + cpu.system) / n };
}

// The warm-up is timed too: it is where V8 compiles the clients' functions (the parent reports it apart).
const warmupFigures = await timed(warmup);

if (mode === "profile") {
  // The sampling profiler starts after the warm-up, so only the calls are in the profile.
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: options.intervalUs ?? 100 });
  await session.post("Profiler.start");
  const figures = await timed(options.calls ?? 20_000);
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();
  await writeFile(options.out, JSON.stringify(profile));
  process.stdout.write(`${JSON.stringify({ mode, client, calls: options.calls ?? 20_000, ...figures, heapUsedMB: process.memoryUsage().heapUsed / 1e6 })}\n`);
  process.exit(0);
}

/**
 * What `n` calls allocate, after the timed rounds: bytes per call from V8's sampling heap
 * profiler told to keep the samples of objects already collected (so it counts what was
 * allocated, not what is still alive), and the young-generation collections those bytes
 * cost. Both are near-deterministic where wall time is not: they say how much of a
 * wall-time gap is garbage, apart from the machine's noise.
 */
async function allocation(n) {
  const { Session } = await import("node:inspector/promises");
  const { PerformanceObserver, constants } = await import("node:perf_hooks");
  let scavenges = 0;
  const count = (entries) => {
    for (const entry of entries) if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges++;
  };
  const gc = new PerformanceObserver((list) => count(list.getEntries()));
  gc.observe({ entryTypes: ["gc"] });
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.enable");
  await session.post("HeapProfiler.startSampling", { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  for (let i = 0; i < n; i++) await call();
  const { profile } = await session.post("HeapProfiler.stopSampling");
  session.disconnect();
  // Observers are told on a later turn of the event loop (two, for a loop that never left its
  // job, as the stub's does): what is still queued is taken before disconnecting.
  await new Promise((resolve) => setImmediate(resolve));
  count(gc.takeRecords());
  gc.disconnect();
  let bytes = 0;
  const walk = (node) => {
    bytes += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  return { allocatedKBPerCall: bytes / n / 1024, scavengesPer1kCalls: (scavenges * 1000) / n };
}

process.on("message", async (message) => {
  if (message.allocationCalls !== undefined) return process.send(await allocation(message.allocationCalls));
  if (message.calls === undefined) process.exit(0);
  const figures = await timed(message.calls);
  process.send({ ...figures, fetches, heapUsedMB: process.memoryUsage().heapUsed / 1e6 });
});
process.stdout.write(`${JSON.stringify({ ready: true, client, mode, warmup: { calls: warmup, ...warmupFigures } })}\n`);
