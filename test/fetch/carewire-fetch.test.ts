/**
 * carewireFetch on its own: how a request becomes a call (method → safety class, registry
 * match), what every attempt carries (one key, the same body, the SDK's headers), what
 * comes back (a real Response, or a typed rejection), against a scripted HTTP server on
 * 127.0.0.1. Waits run on a stepped clock: time moves only when nothing is on the wire.
 */
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { carewireFetch, LimitExceededError, NetworkError, CircuitOpenError, TimeoutError, type CarewireFetchOptions, type CarewireFetchReport, type TelemetryEvent } from "carewire";
import { FakeClock } from "carewire/testing";
import { operations } from "../../generated/clinic/index.js";
import { operationMatcher } from "../../src/runtime/fetch-adapter/operation-matcher.js";
import { requestOperation, safetyOfMethod, templateOfPath } from "../../src/runtime/fetch-adapter/request-operation.js";
import { SteppedClock } from "../helpers/fake-time.js";
import { json, startServer, type TestServer } from "../helpers/http-server.js";

let server: TestServer;
let clock: SteppedClock;
let reports: CarewireFetchReport[];

beforeEach(async () => {
  server = await startServer();
  clock = new SteppedClock();
  reports = [];
});
afterEach(async () => {
  await server.close();
});

function adapter(options: Partial<CarewireFetchOptions> = {}) {
  return carewireFetch({ clock, fetch: clock.fetch, random: () => 0.5, onResult: (r) => reports.push(r), ...options });
}

/** Answers the scripted responses in order, then 200 `{"ok":true}`. */
function script(...answers: Array<[number, Record<string, string>?]>): void {
  let n = 0;
  server.handle((_req, res) => {
    const [status, headers] = answers[n++] ?? [200];
    json(res, status, status < 300 ? { ok: true, n } : { title: "scripted", status }, headers ?? {});
  });
}

describe("how a request becomes a call", () => {
  it("takes the safety class from the method: GET/HEAD safe, PUT/DELETE idempotent, POST/PATCH unsafe", () => {
    const classes = (["get", "head", "options", "put", "delete", "post", "patch"] as const).map((m) => [m, safetyOfMethod(m)]);
    expect(Object.fromEntries(classes)).toEqual({ get: "safe", head: "safe", options: "safe", put: "idempotent", delete: "idempotent", post: "unsafe", patch: "unsafe" });
  });

  it("keeps identifiers out of the shown path and the operation id", () => {
    expect(templateOfPath("/v1/patients/p-1001/appointments")).toBe("/v1/patients/{id}/appointments");
    expect(templateOfPath("/v1/chat/completions")).toBe("/v1/chat/completions");
    const made = requestOperation("post", "/v1/patients/a%20b", undefined, { hints: {} });
    expect(made).toMatchObject({ template: "/v1/patients/{id}", matched: false, descriptor: { operationId: "POST /v1/patients/{id}", path: "/v1/patients/a%20b", safety: "unsafe", synthesizedId: true } });
  });

  it("matches a generated registry by method and the end of the path, the most literal template first", () => {
    const match = operationMatcher(operations);
    expect(match("get", "/api/patients/p-7")?.operationId).toBe("getPatient");
    expect(match("get", "/patients")?.operationId).toBe("listPatients");
    expect(match("post", "/patients/")?.operationId).toBe("createPatient");
    expect(match("post", "/appointments/a-1/cancel")?.operationId).toBe("cancelAppointment");
    expect(match("delete", "/patients/p-7")).toBeUndefined();
    expect(match("get", "/xpatients")).toBeUndefined();
  });

  it("runs a matched request as that operation: its id, its template in meta, its hints", async () => {
    script();
    const send = adapter({ operations });
    await clock.run(send(`${server.url}/patients/p-7`));
    expect(reports[0]).toMatchObject({ matched: true, meta: { operationId: "getPatient", path: "/patients/{patientId}", method: "GET" } });
  });
});

describe("what every attempt of a call carries", () => {
  it("a POST gets one Idempotency-Key, the same on its retry after a 503", async () => {
    script([503, { "retry-after": "2" }]);
    const response = await clock.run(adapter()(`${server.url}/patients`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "Ada" }) }));
    expect(response.status).toBe(200);
    const keys = server.requests.map((r) => r.headers["idempotency-key"]);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^cw1-/);
    expect(keys[1]).toBe(keys[0]);
    expect(reports[0]!.meta.idempotencyKey).toBe(keys[0]);
    expect(reports[0]!.meta.attempts.map((a) => a.delayMs >= 2000)).toEqual([false, true]);
  });

  it("honours a key the SDK set (a Stainless SDK's), and sends no other", async () => {
    script([502]);
    await clock.run(adapter()(`${server.url}/v1/chat/completions`, { method: "POST", headers: { "Idempotency-Key": "stainless-node-retry-1" }, body: "{}" }));
    expect(server.requests.map((r) => r.headers["idempotency-key"])).toEqual(["stainless-node-retry-1", "stainless-node-retry-1"]);
  });

  it("sends a stream body again, byte for byte, on a retry", async () => {
    script([503, { "retry-after": "1" }]);
    const text = "x".repeat(70_000);
    const body = new Blob([text]).stream();
    const response = await clock.run(adapter()(`${server.url}/upload`, { method: "PUT", body, duplex: "half", headers: { "content-type": "text/plain" } } as RequestInit));
    expect(response.status).toBe(200);
    expect(server.requests.map((r) => r.body.length)).toEqual([70_000, 70_000]);
    expect(server.requests[1]!.body).toBe(text);
    expect(server.requests[1]!.headers["content-type"]).toBe("text/plain");
  });

  it("refuses, unsent, a body larger than it holds for replay", async () => {
    script();
    const body = new Blob(["y".repeat(2_048)]).stream();
    const sent = adapter({ maxRequestBytes: 1_024 })(`${server.url}/upload`, { method: "POST", body, duplex: "half" } as RequestInit);
    await expect(sent).rejects.toBeInstanceOf(LimitExceededError);
    await expect(sent).rejects.toMatchObject({ kind: "limit-exceeded", limit: "request-bytes", max: 1_024 });
    expect(server.requests).toHaveLength(0);
  });

  it("ends the read of a stalled body stream at the call's deadline, sending nothing", async () => {
    const fake = new FakeClock({ start: Date.UTC(2030, 0, 1) });
    const stalled = new ReadableStream<Uint8Array>({ pull: () => new Promise<void>(() => undefined) });
    const sent = carewireFetch({ clock: fake, deadlineMs: 5_000 })(`${server.url}/upload`, { method: "POST", body: stalled, duplex: "half" } as RequestInit);
    const failure = sent.then(
      () => undefined,
      (error: unknown) => error,
    );
    // The body's timer starts as the call does (synchronously), so time can move at once.
    await fake.advance(5_000);
    expect(await failure).toBeInstanceOf(TimeoutError);
    expect(await failure).toMatchObject({ phase: "deadline", message: "the call's deadline of 5000 ms passed while waiting for the request body" });
    expect(server.requests).toHaveLength(0);
  });

  it("passes the SDK's headers and query through, and hands back status, headers and body", async () => {
    server.handle((req, res) => json(res, 201, { echo: req.url }, { etag: '"v1"', "x-request-id": "srv-1" }));
    const response = await clock.run(adapter({ correlationHeader: null })(`${server.url}/v1/things?limit=2&q=a%20b`, { method: "POST", headers: { authorization: "Bearer t0ken", "x-sdk": "hey" }, body: "{}" }));
    const seen = server.requests[0]!;
    expect(seen.url).toBe("/v1/things?limit=2&q=a%20b");
    expect(seen.headers).toMatchObject({ authorization: "Bearer t0ken", "x-sdk": "hey" });
    expect(seen.headers["x-correlation-id"]).toBeUndefined();
    expect(response.status).toBe(201);
    expect(response.headers.get("etag")).toBe('"v1"');
    expect(response.headers.get("x-carewire-attempts")).toBe("1");
    expect(response.url).toBe(`${server.url}/v1/things?limit=2&q=a%20b`);
    expect(await response.json()).toEqual({ echo: "/v1/things?limit=2&q=a%20b" });
    expect(reports[0]!.meta).toMatchObject({ serverRequestId: "srv-1", path: "/v1/things", operationId: "POST /v1/things" });
  });
});

describe("what comes back", () => {
  it("hands a Server-Sent Events answer over unread, for the SDK to stream", async () => {
    let finish: () => void = () => undefined;
    server.handle((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: one\n\n");
      // The rest is sent only once the first event has been read by the caller.
      finish = () => res.end("data: two\n\n");
    });
    const response = await carewireFetch({ fetch: (request, init) => fetch(request, init) })(`${server.url}/v1/stream`, { method: "POST", headers: { accept: "text/event-stream" }, body: "{}" });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    expect((await reader.read()).value).toBe("data: one\n\n");
    finish();
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += chunk.value;
    expect(rest).toBe("data: two\n\n");
  });

  it("returns the last response of a call that failed with a status, and reports its typed error", async () => {
    script([404]);
    const response = await clock.run(adapter()(`${server.url}/patients/p-1`));
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ title: "scripted", status: 404 });
    expect(reports[0]!.error).toMatchObject({ kind: "http", status: 404 });
  });

  it("waits out a 429's Retry-After of 30 s on the clock, then returns the success", async () => {
    script([429, { "retry-after": "30" }]);
    const started = clock.now();
    const response = await clock.run(adapter()(`${server.url}/patients`));
    expect(response.status).toBe(200);
    expect(clock.now() - started).toBeGreaterThanOrEqual(30_000);
    expect(response.headers.get("x-carewire-attempts")).toBe("2");
  });

  it("rejects with a typed NetworkError, meta attached, when no response ever came", async () => {
    const refused = carewireFetch({ clock, random: () => 0.5, onResult: (r) => reports.push(r), fetch: () => Promise.reject(new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } })) });
    const error = await clock.run(refused("http://127.0.0.1:9/patients")).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ kind: "network", phase: "connect", meta: { path: "/patients", attempts: [{ errorKind: "network" }, {}, {}, {}] } });
    expect(reports[0]!.error).toBe(error);
  });

  it("rejects with CircuitOpenError, sending nothing, once the provider's circuit is open", async () => {
    script([500], [500], [500], [500], [500]);
    const send = adapter({ breaker: { minimumThroughput: 2 }, retry: false });
    for (let n = 0; n < 2; n++) expect((await clock.run(send(`${server.url}/reports`))).status).toBe(500);
    await expect(clock.run(send(`${server.url}/reports`))).rejects.toBeInstanceOf(CircuitOpenError);
    expect(server.requests).toHaveLength(2);
  });

  it("rejects with the signal's reason when the caller aborts during a wait, as fetch does", async () => {
    script([503, { "retry-after": "60" }]);
    const controller = new AbortController();
    const onEvent = (event: TelemetryEvent) => {
      if (event.type === "retry") controller.abort();
    };
    const sent = clock.run(adapter({ onEvent })(`${server.url}/patients`, { signal: controller.signal }));
    await expect(sent).rejects.toMatchObject({ name: "AbortError" });
    expect(server.requests).toHaveLength(1);
    expect(reports[0]!.error?.kind).toBe("aborted");
  });
});
