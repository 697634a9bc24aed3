/**
 * Hostile servers against the generated clinic client: connections that stall, reset or lie,
 * bodies of the wrong shape or size, broken encodings and garbage rate-limit headers. Every
 * call must resolve (never reject, never hang past its deadline) with a typed error, and no
 * secret may reach an error message, meta, telemetry or the logs.
 */
import { describe, expect, it, jest } from "@jest/globals";
import { LimitExceededError, UntrustedUrlError, type CallOptions } from "carewire";
import { bomb, bombBytes, delayed, drip, gzipGarbage, hangUp, headersThenNothing, huge, invalidHeader, json, lengthMismatch, never, raw, reset, text, type Behaviour, type HostileServer } from "../helpers/hostile-server.js";
import { API_KEY, byDeadline, expectNoSecrets, expectPrototypeClean, failure, hostilePair, newPatient, patient, PHI_ID, rig, seenBy, UNTIMED, type Rig, type RigOptions } from "./assertions.js";

jest.setTimeout(30_000);

const MiB = 1 << 20;
const DEFAULT_MAX_RESPONSE_BYTES = 32 * MiB;

let hostile: HostileServer;
hostilePair((api) => (hostile = api));

function getPatient(r: Rig, options: CallOptions = {}) {
  return byDeadline(r.client.getPatient({ params: { path: { patientId: PHI_ID } } }, options), r.deadlineMs);
}
function getPractitioner(r: Rig) {
  return byDeadline(r.client.getPractitioner({ params: { path: { practitionerId: "prc_01J8ZM0A1B" } } }), r.deadlineMs);
}
function createPatient(r: Rig, options: CallOptions = {}) {
  return byDeadline(r.client.createPatient({ body: newPatient }, options), r.deadlineMs);
}

/** One getPatient against `behaviour`; returns the result and the rig for more checks. */
async function readWith(behaviour: Behaviour | Behaviour[], options: RigOptions = {}) {
  hostile.on("GET /patients/:id", behaviour);
  const r = rig(hostile, options);
  const result = await getPatient(r);
  expectNoSecrets(seenBy(r, result));
  return { r, result };
}

describe("connections", () => {
  it("a server that never answers: timeout in the request phase, retried, settled by the deadline", async () => {
    const { result } = await readWith(never());
    const error = failure(result, "timeout");
    expect(error.phase).toBe("request");
    expect(result.meta.attempts.map((a) => a.errorKind)).toEqual(result.meta.attempts.map(() => "timeout"));
    expect(result.meta.attempts.length).toBeLessThanOrEqual(2);
  });

  it("headers, then never the body: timeout in the body phase", async () => {
    const { result } = await readWith(headersThenNothing());
    expect(failure(result, "timeout").phase).toBe("body");
  });

  it("headers, then the body dripped slower than the attempt timeout: timeout in the body phase", async () => {
    const { result } = await readWith(drip(JSON.stringify(patient()), 150, 2));
    expect(failure(result, "timeout").phase).toBe("body");
  });

  it("a reset before the request is read: network error", async () => {
    const { result } = await readWith(reset("before-body"));
    failure(result, "network");
    expect(hostile.requests.length).toBeLessThanOrEqual(2);
  });

  it("a reset after the request is read (GET, safe): retried, then network error", async () => {
    const { result } = await readWith(reset("after-body"));
    failure(result, "network");
    expect(result.meta.attempts.map((a) => a.errorKind)).toEqual(["network", "network"]);
  });

  it("a reset once, then a good answer: the retry succeeds", async () => {
    const { result } = await readWith([reset("after-body"), json(200, patient())]);
    expect(result.error).toBeUndefined();
    expect(result.data).toMatchObject({ id: "pat_01J8ZK4W7Q" });
  });

  it("a clean FIN where the response should be: network error", async () => {
    const { result } = await readWith(hangUp());
    failure(result, "network");
  });

  it("Content-Length larger than the body, then close: network error in the body phase", async () => {
    const { result } = await readWith(lengthMismatch(5000, '{"id":"pat_1"', "close"));
    expect(failure(result, "network").phase).toBe("body");
  });

  it("Content-Length larger than the body, connection held open: timeout in the body phase", async () => {
    const { result } = await readWith(lengthMismatch(5000, '{"id":"pat_1"', "hold"));
    expect(failure(result, "timeout").phase).toBe("body");
  });

  it("two conflicting Content-Length headers: network error (request smuggling shape refused)", async () => {
    const { result } = await readWith(raw('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\nConnection: close\r\n\r\n{}'));
    failure(result, "network");
  });

  it("a header value with NUL and a bare CR: network error", async () => {
    const { result } = await readWith(invalidHeader());
    failure(result, "network");
  });

  it("a header name with a space and non-token bytes: network error", async () => {
    const { result } = await readWith(invalidHeader("Bad Header\u00ff: x"));
    failure(result, "network");
  });

  it("256 KiB of headers: network error, never buffered without end", async () => {
    const { result } = await readWith(raw(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Big: ${"a".repeat(256 * 1024)}\r\nContent-Length: 2\r\n\r\n{}`));
    failure(result, "network");
  });

  it("a status line outside HTTP (999): a typed error", async () => {
    const { result } = await readWith(raw("HTTP/1.1 999 Nonsense\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"));
    failure(result, "network", "http", "malformed-response");
  });

  it("a write whose every attempt times out: unknown-outcome carrying the idempotency key", async () => {
    hostile.on("POST /patients", never());
    const r = rig(hostile, { retry: { maxAttempts: 2, backoff: { baseMs: 10, capMs: 40 }, budget: false } });
    const result = await createPatient(r);
    const error = failure(result, "unknown-outcome");
    expect(error.idempotencyKey).toBeDefined();
    const keys = hostile.requests.map((q) => q.headers["idempotency-key"]);
    expect(new Set(keys).size).toBe(1);
    expectNoSecrets(seenBy(r, result));
  });

  it("create: reset after the request was sent, then 503 on every retry → unknown-outcome with the 503s in meta.attempts", async () => {
    hostile.on("POST /patients", [reset("after-body"), json(503, { type: "about:blank", title: "Unavailable", status: 503 })]);
    const r = rig(hostile, { retry: { maxAttempts: 3, backoff: { baseMs: 10, capMs: 40 }, budget: false } });
    const result = await createPatient(r, { idempotencyKey: "idem-hostile-12" });
    const error = failure(result, "unknown-outcome");
    expect(error.lastStatus).toBe(503);
    expect(error.idempotencyKey).toBe("idem-hostile-12");
    expect(result.meta).toMatchObject({ idempotencyKey: "idem-hostile-12", attempts: [{ errorKind: "network" }, { status: 503 }, { status: 503 }] });
    expect(hostile.requests.map((q) => q.headers["idempotency-key"])).toEqual(["idem-hostile-12", "idem-hostile-12", "idem-hostile-12"]);
    expectNoSecrets(seenBy(r, result));
  });
});

describe("bodies of the wrong shape", () => {
  const HTML = "<!doctype html><html><body><h1>Gateway says hi</h1></body></html>";
  const shapes: Array<[string, Behaviour, (data: unknown) => void]> = [
    ["an empty 200 labelled JSON", text(200, "", "application/json"), () => undefined],
    ["`null`", json(200, "null"), (data) => expect(data).toBeNull()],
    ["an array where an object is declared", json(200, [patient()]), (data) => expect(data).toEqual([patient()])],
    ["an HTML page (text/html)", text(200, HTML, "text/html; charset=utf-8"), (data) => expect(data).toBe(HTML)],
  ];

  it.each(shapes)("getPatient (critical fields declared) answered with %s: contract-violation keeping the body", async (_name, behaviour, keeps) => {
    const { result } = await readWith(behaviour);
    const error = failure(result, "contract-violation");
    keeps(error.data);
  });

  it.each(shapes)("getPractitioner (no critical fields) answered with %s: data with meta.drift.issues", async (_name, behaviour) => {
    hostile.on("GET /practitioners/:id", behaviour);
    const r = rig(hostile);
    const result = await getPractitioner(r);
    expect(result.error).toBeUndefined();
    expect(result.meta.drift.issues.length).toBeGreaterThan(0);
    expectNoSecrets(seenBy(r, result));
  });

  it("createPatient answered 201 `null`: contract-violation (not retried, nothing duplicated)", async () => {
    hostile.on("POST /patients", json(201, "null"));
    const r = rig(hostile);
    const result = await createPatient(r);
    failure(result, "contract-violation");
    expect(hostile.requests).toHaveLength(1);
  });

  it("HTML labelled application/json on getPatient: a typed error, never data (malformed-response or contract-violation)", async () => {
    const { result } = await readWith(text(200, HTML, "application/json"));
    const error = failure(result, "malformed-response", "contract-violation");
    expect(error.message).not.toContain("Gateway says hi");
  });

  it("listPatients with a patient whose critical id is a number: contract-violation", async () => {
    hostile.on("GET /patients", json(200, { data: [{ ...patient(), id: 42 }], page: 1, pageSize: 20, total: 1, nextPage: null }));
    const r = rig(hostile);
    const result = await byDeadline(r.client.listPatients({}), r.deadlineMs);
    failure(result, "contract-violation");
  });

  it("truncated JSON on a 2xx: malformed-response whose message quotes no server text", async () => {
    const { result } = await readWith(json(200, '{"id":"pat_1","identifier":"SERVERTEXT-MRN-9'));
    const error = failure(result, "malformed-response");
    expect(error.message).not.toContain("SERVERTEXT");
    expect(error.bodyPreview).toContain("SERVERTEXT");
  });

  it("a JSON syntax error right after server text: the parser's snippet stays out of the message", async () => {
    const { result } = await readWith(json(200, `{"id": SERVERTEXT-${API_KEY}}`));
    const error = failure(result, "malformed-response");
    expect(error.message).not.toContain("SERVERTEXT");
  });
});

describe("__proto__ in bodies", () => {
  const poisoned = `{"__proto__":{"polluted":"yes","isAdmin":true},"constructor":{"prototype":{"hostile":1}},${JSON.stringify(patient()).slice(1)}`;

  it("a Patient with __proto__ and constructor.prototype: data, Object.prototype clean, data's prototype not server-chosen", async () => {
    const { result } = await readWith(json(200, poisoned));
    expect(result.error).toBeUndefined();
    expectPrototypeClean();
    const proto = Object.getPrototypeOf(result.data) as unknown;
    expect(proto === Object.prototype || proto === null).toBe(true);
    expect((result.data as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it("__proto__ nested in list items and deep objects: Object.prototype clean", async () => {
    const item = `{"__proto__":{"polluted":1},"x":{"__proto__":{"isAdmin":true},"y":[{"__proto__":{"hostile":1}}]},${JSON.stringify(patient()).slice(1)}`;
    hostile.on("GET /patients", json(200, `{"data":[${item},${item}],"page":1,"pageSize":20,"total":2,"nextPage":null,"__proto__":{"polluted":2}}`));
    const r = rig(hostile);
    const result = await byDeadline(r.client.listPatients({}), r.deadlineMs);
    expect(result.error).toBeUndefined();
    expectPrototypeClean();
  });

  it("__proto__ in an error body (404 problem): HttpError, Object.prototype clean", async () => {
    const { result } = await readWith(json(404, '{"type":"about:blank","title":"nope","status":404,"__proto__":{"polluted":"yes"},"errors":[{"__proto__":{"isAdmin":true},"field":"a","message":"b"}]}', { "content-type": "application/problem+json" }));
    expect(failure(result, "http").status).toBe(404);
    expectPrototypeClean();
  });
});

// Size caps decide these cases, so no timer takes part: UNTIMED calls have no attempt
// timeout and no deadline, and only the hang guard bounds the wait.
describe("sizes and encodings", () => {
  it("a 200 MB body with the default cap: limit-exceeded response-bytes at 32 MiB", async () => {
    const { result } = await readWith(huge(200 * 1000 * 1000), { retry: false, ...UNTIMED });
    const error = failure(result, "limit-exceeded");
    expect({ limit: error.limit, max: error.max }).toEqual({ limit: "response-bytes", max: DEFAULT_MAX_RESPONSE_BYTES });
  });

  it("a 200 MB chunked body (no Content-Length) with maxResponseBytes 1 MiB: limit-exceeded", async () => {
    const { result } = await readWith(huge(200 * 1000 * 1000, { chunked: true }), { maxResponseBytes: MiB, retry: false, ...UNTIMED });
    const error = failure(result, "limit-exceeded");
    expect({ limit: error.limit, max: error.max }).toEqual({ limit: "response-bytes", max: MiB });
  });

  it("a per-call maxResponseBytes overrides the client's", async () => {
    hostile.on("GET /patients/:id", huge(4 * MiB));
    const r = rig(hostile, { retry: false, ...UNTIMED });
    const result = await getPatient(r, { maxResponseBytes: 64 * 1024 });
    const error = failure(result, "limit-exceeded");
    expect({ limit: error.limit, max: error.max }).toEqual({ limit: "response-bytes", max: 64 * 1024 });
  });

  it("stream: true is exempt from maxResponseBytes: the whole 4 MiB body can be read from data", async () => {
    hostile.on("GET /patients/:id", huge(4 * MiB));
    const r = rig(hostile, { maxResponseBytes: 64 * 1024, retry: false, ...UNTIMED });
    const result = await getPatient(r, { stream: true });
    expect(result.error).toBeUndefined();
    let bytes = 0;
    for await (const chunk of result.data as unknown as AsyncIterable<Uint8Array>) bytes += chunk.byteLength;
    expect(bytes).toBe(4 * MiB);
  });

  it("a huge body on an error status (500) is capped too", async () => {
    const { result } = await readWith(huge(200 * 1000 * 1000, { status: 500 }), { maxResponseBytes: MiB, retry: false, ...UNTIMED });
    expect(failure(result, "limit-exceeded").limit).toBe("response-bytes");
  });

  it("a ~1 MB gzip that inflates to ~1 GB with maxResponseBytes 1 MiB: limit-exceeded, and the client still works after", async () => {
    expect(bombBytes("gzip").length).toBeLessThan(2 * MiB);
    hostile.on("GET /patients/:id", [bomb("gzip"), json(200, patient())]);
    const r = rig(hostile, { maxResponseBytes: MiB, retry: false, ...UNTIMED });
    const result = await getPatient(r);
    const error = failure(result, "limit-exceeded");
    expect({ limit: error.limit, max: error.max }).toEqual({ limit: "response-bytes", max: MiB });
    const after = await getPatient(r);
    expect(after.error).toBeUndefined();
  });

  it("the gzip bomb against the default cap: limit-exceeded at 32 MiB", async () => {
    const { result } = await readWith(bomb("gzip"), { retry: false, ...UNTIMED });
    const error = failure(result, "limit-exceeded");
    expect({ limit: error.limit, max: error.max }).toEqual({ limit: "response-bytes", max: DEFAULT_MAX_RESPONSE_BYTES });
  });

  it("a brotli bomb: limit-exceeded", async () => {
    bombBytes("br"); // built outside the call's clock
    const { result } = await readWith(bomb("br"), { maxResponseBytes: MiB, retry: false, ...UNTIMED });
    expect(failure(result, "limit-exceeded").limit).toBe("response-bytes");
  });

  it("a deflate bomb: limit-exceeded", async () => {
    bombBytes("deflate");
    const { result } = await readWith(bomb("deflate"), { maxResponseBytes: MiB, retry: false, ...UNTIMED });
    expect(failure(result, "limit-exceeded").limit).toBe("response-bytes");
  });

  it("gzip garbage sent after the headers in a separate write (Content-Length, connection held): settles", async () => {
    const { result } = await readWith(gzipGarbage("length"));
    failure(result, "timeout", "network", "malformed-response");
  });

  it("gzip garbage in a chunked body that never ends: settles", async () => {
    const { result } = await readWith(gzipGarbage("chunked"));
    failure(result, "timeout", "network", "malformed-response");
  });

  it("Content-Encoding: gzip over plain JSON: settles with a typed error", async () => {
    const { result } = await readWith(text(200, JSON.stringify(patient()), "application/json", { "content-encoding": "gzip" }));
    failure(result, "network", "malformed-response", "timeout");
  });
});

describe("garbage rate-limit headers", () => {
  const body = { type: "about:blank", title: "Unavailable", status: 503 };
  const garbage: Array<[string, Record<string, string | string[]>]> = [
    ["Retry-After: -5", { "retry-after": "-5" }],
    ["Retry-After: NaN", { "retry-after": "NaN" }],
    ["Retry-After: 1e308", { "retry-after": "1e308" }],
    ["Retry-After: 99999999999999999999", { "retry-after": "99999999999999999999" }],
    ["Retry-After: a date in the past", { "retry-after": "Wed, 21 Oct 2015 07:28:00 GMT" }],
    ["Retry-After: a date in year 9999", { "retry-after": "Fri, 31 Dec 9999 23:59:59 GMT" }],
    ["Retry-After given twice (1 and 86399)", { "retry-after": ["1", "86399"] }],
    ["retry-after-ms: -1 and Retry-After: soon", { "retry-after-ms": "-1", "retry-after": "soon" }],
    ["RateLimit r=-1;t=1e308 and RateLimit-Policy q=0;w=-5", { ratelimit: '"default";r=-1;t=1e308', "ratelimit-policy": '"default";q=0;w=-5' }],
    ["X-RateLimit-Reset: NaN, Remaining: -3, Limit: 1e308", { "x-ratelimit-reset": "NaN", "x-ratelimit-remaining": "-3", "x-ratelimit-limit": "1e308" }],
  ];

  it.each(garbage)("503 with %s: settles by the deadline as http 503 or rate-limited", async (_name, headers) => {
    const { result } = await readWith(json(503, body, headers));
    const error = failure(result, "http", "rate-limited");
    if (error.kind === "http") expect(error.status).toBe(503);
    expect(result.meta.attempts.length).toBeLessThanOrEqual(2);
  });

  it("429 with Retry-After: 3600 (beyond the deadline): rate-limited at once, and a later call on the same client settles too", async () => {
    hostile.on("GET /patients/:id", json(429, { error: "rate_limit_exceeded", message: "slow down" }, { "retry-after": "3600" }));
    const r = rig(hostile);
    const first = await getPatient(r);
    failure(first, "rate-limited");
    const later = await getPatient(r);
    failure(later, "rate-limited", "http", "timeout");
    expectNoSecrets(seenBy(r, first, later));
  });

  it("429 with absurd and negative hints (Retry-After 1e308, RateLimit t=-9): settles by the deadline", async () => {
    const { result } = await readWith(json(429, { error: "rate_limit_exceeded", message: "no" }, { "retry-after": "1e308", ratelimit: '"d";r=0;t=-9', "x-ratelimit-reset": "-1" }));
    failure(result, "http", "rate-limited");
  });

  it("a 200 with garbage quota headers (r=0;t=1e308, reset in year 5138) does not wedge the next call", async () => {
    hostile.on("GET /patients/:id", json(200, patient(), { ratelimit: '"d";r=0;t=1e308', "x-ratelimit-remaining": "0", "x-ratelimit-reset": "99999999999", "ratelimit-reset": "Infinity" }));
    const r = rig(hostile);
    const first = await getPatient(r);
    expect(first.error).toBeUndefined();
    const second = await getPatient(r);
    expect(second.error).toBeUndefined();
  });

  it("a slow but in-time answer after a garbage 503 succeeds", async () => {
    const { result } = await readWith([json(503, body, { "retry-after": "NaN" }), delayed(100, json(200, patient()))]);
    expect(result.error).toBeUndefined();
  });
});

it("the error classes for exceeded limits and untrusted URLs are exported from carewire", () => {
  expect(typeof LimitExceededError).toBe("function");
  expect(typeof UntrustedUrlError).toBe("function");
});
