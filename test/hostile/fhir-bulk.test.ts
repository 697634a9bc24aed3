/**
 * Hostile servers against Bulk Data `$export`: export files on another origin that never
 * answer, status URLs that are not URLs, manifests nested 100,000 deep or not manifests
 * at all, and NDJSON lines past the line cap. Every call
 * resolves to a typed result; `resources()` ends with a typed CarewireError; credentials
 * (token, client secret, X-Api-Key) never reach the other origin.
 */
import type http from "node:http";
import { afterAll, describe, expect, it } from "@jest/globals";
import { ndjsonLines } from "carewire/fhir";
import { FakeClock } from "carewire/testing";
import type { RecordedRequest, TestServer } from "../helpers/http-server.js";
import { byDeadline, drain, expectNoSecrets, expectPrototypeClean, expectThrewTyped, expectTyped, failure, recorder, settle, SLACK_MS } from "./assertions.js";
import { fhirClient, fhirJson, hang, nested, raw, serverPool, stall, type HostileClientOptions } from "./fhir-server.js";

const SECRET_TOKEN = "tok-BULK-0cc175b9c0f1-do-not-leak";
const API_KEY = "key-BULK-92eb5ffee6ae-do-not-leak";
const CLIENT_SECRET = "secret-BULK-4a8a08f09d37-do-not-leak";
const SECRETS = { token: SECRET_TOKEN, apiKey: API_KEY, clientSecret: CLIENT_SECRET };
const PHI = "PHI-Lovelace-Ada-MRN-18151210";
/** The client's attempt timeout: small, so hanging servers are found out quickly. */
const TIMEOUT_MS = 1_000;
const DEADLINE_MS = 8_000;
const NDJSON = "application/fhir+ndjson";

const pool = serverPool();
afterAll(() => expectPrototypeClean());

interface BulkScript {
  /** The status URL's final answer (a manifest), as JSON text. */
  readonly manifest?: (api: TestServer) => string;
  /** How many 202s the status URL answers first. */
  readonly pending?: number;
  readonly retryAfter?: string;
  /** Content-Location of the kick-off (default: a status URL on the API). */
  readonly contentLocation?: (api: TestServer) => string;
  /** Export files under the API origin. */
  readonly file?: (req: RecordedRequest, res: http.ServerResponse) => void | Promise<void>;
}

/** The FHIR server with its token endpoint, kick-off, status URL and (optionally) files. */
async function bulkServer(script: BulkScript): Promise<TestServer> {
  const api = await pool.start();
  let polls = 0;
  api.handle((req, res) => {
    const url = new URL(req.url, api.url);
    if (url.pathname === "/token") return fhirJson(res, 200, { access_token: SECRET_TOKEN, token_type: "bearer", expires_in: 300 });
    if (url.pathname === "/$export") {
      res.writeHead(202, { "content-location": script.contentLocation?.(api) ?? `${api.url}/status/1` });
      return void res.end();
    }
    if (url.pathname === "/status/1") {
      if (polls++ < (script.pending ?? 0)) {
        res.writeHead(202, { "retry-after": script.retryAfter ?? "3", "x-progress": `${polls}` });
        return void res.end();
      }
      return raw(res, 200, "application/json", script.manifest?.(api) ?? manifestOf([]));
    }
    if (url.pathname.startsWith("/files/") && script.file) return script.file(req, res);
    return fhirJson(res, 404, { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "not-found" }] });
  });
  return api;
}

function manifestOf(output: ReadonlyArray<{ type: string; url: unknown }>, requiresAccessToken: unknown = false, error: unknown = []): string {
  return JSON.stringify({ transactionTime: "2030-01-01T00:00:00Z", request: "x", requiresAccessToken, output, error });
}

function client(api: TestServer, extra: HostileClientOptions = {}) {
  return fhirClient(api.url, {
    headers: { "X-Api-Key": API_KEY },
    auth: { tokenUrl: `${api.url}/token`, clientId: "carewire-bulk", clientSecret: CLIENT_SECRET },
    timeoutMs: TIMEOUT_MS,
    deadlineMs: DEADLINE_MS,
    // Polling waits cost no real time.
    clock: new FakeClock({ autoAdvance: true }),
    ...extra,
  });
}

/** Kick-off to manifest; the export itself must succeed. */
async function startedJob(api: TestServer, extra: HostileClientOptions = {}) {
  const events = recorder();
  const result = await byDeadline(client(api, { onEvent: events.onEvent, logger: events.logger, ...extra }).bulkExport({ types: ["Patient"] }), DEADLINE_MS);
  if (result.error) throw new Error(`the export itself failed: ${result.error.kind}: ${result.error.message}`);
  return { job: result.data, result, events: events.events };
}

/** What another origin received carries no credential and no configured header. */
function expectNoCredentials(requests: readonly RecordedRequest[]): void {
  for (const r of requests) {
    expect(r.headers.authorization).toBeUndefined();
    expect(r.headers["x-api-key"]).toBeUndefined();
    expect(r.headers.cookie).toBeUndefined();
  }
  expectNoSecrets({ "requests to the other origin": requests.map((r) => ({ url: r.url, headers: r.headers, body: r.body })) }, SECRETS);
}

describe("an export file on another origin (requiresAccessToken: false)", () => {
  it("that never answers: resources() throws TimeoutError within timeoutMs; the other origin sees no credentials", async () => {
    const storage = await pool.start(() => hang());
    const api = await bulkServer({ pending: 2, manifest: () => manifestOf([{ type: "Patient", url: `${storage.url}/signed/p.ndjson?sig=abc` }]) });
    const { job, result, events } = await startedJob(api);
    expect(job.polls).toBe(3);

    const drained = await drain(job.resources(), TIMEOUT_MS + SLACK_MS);
    const error = expectThrewTyped(drained, "timeout");
    expect(drained.items).toEqual([]);
    expect(storage.requests.length).toBeGreaterThanOrEqual(1);
    expect(storage.requests.every((r) => r.url === "/signed/p.ndjson?sig=abc")).toBe(true);
    expectNoCredentials(storage.requests);
    // The API itself did get the credentials (the test would prove nothing otherwise).
    expect(api.requests.some((r) => r.headers.authorization === `Bearer ${SECRET_TOKEN}` && r.headers["x-api-key"] === API_KEY)).toBe(true);
    expectNoSecrets({ message: error.message, "error meta": error.meta, "job meta": result.meta, events }, SECRETS);
  }, 30_000);

  it("that sends headers and one line, then nothing: resources() ends typed (timeout or network) within timeoutMs", async () => {
    const storage = await pool.start((_req, res) => stall(res, NDJSON, `{"resourceType":"Patient","id":"a"}\n{"resourceType":"Pat`));
    const api = await bulkServer({ manifest: () => manifestOf([{ type: "Patient", url: `${storage.url}/p.ndjson` }]) });
    const { job } = await startedJob(api);
    const drained = await drain(job.resources(), TIMEOUT_MS + SLACK_MS);
    expectThrewTyped(drained, "timeout", "network");
    expect(drained.items).toEqual([{ resourceType: "Patient", id: "a" }]);
    expectNoCredentials(storage.requests);
  }, 30_000);

  it("that resets the connection mid-file: a typed network error after the lines it sent", async () => {
    const storage = await pool.start((_req, res) => {
      res.writeHead(200, { "content-type": NDJSON });
      res.write(`{"resourceType":"Patient","id":"a"}\n{"resourceType":"Pat`, () => setTimeout(() => res.socket?.destroy(), 20));
    });
    const api = await bulkServer({ manifest: () => manifestOf([{ type: "Patient", url: `${storage.url}/p.ndjson` }]) });
    const { job } = await startedJob(api);
    const drained = await drain(job.resources(), TIMEOUT_MS + SLACK_MS);
    expectThrewTyped(drained, "network", "malformed-response");
    expect(drained.items).toHaveLength(1);
  }, 30_000);

  it("that answers 403 with 5 MB of HTML naming a patient: a typed error whose message holds no body text", async () => {
    const storage = await pool.start((_req, res) => raw(res, 403, "text/html", `<html>${PHI} ${"x".repeat(5 * 1024 * 1024)}</html>`));
    const api = await bulkServer({ manifest: () => manifestOf([{ type: "Patient", url: `${storage.url}/p.ndjson` }]) });
    const { job } = await startedJob(api);
    const drained = await drain(job.resources(), TIMEOUT_MS + SLACK_MS);
    const error = expectThrewTyped(drained);
    expect(error.message).not.toContain(PHI);
    expectNoCredentials(storage.requests);
  }, 30_000);

  it("the manifest's error file that never answers: errors() settles typed within timeoutMs", async () => {
    const storage = await pool.start(() => hang());
    const api = await bulkServer({ manifest: () => manifestOf([], false, [{ type: "OperationOutcome", url: `${storage.url}/errors.ndjson` }]) });
    const { job } = await startedJob(api);
    const settled = await settle(job.errors(), TIMEOUT_MS + SLACK_MS);
    expect(settled.state).not.toBe("hung");
    if (settled.state === "rejected") expectTyped(settled.error, "timeout");
    else throw new Error("errors() resolved although its file never answered");
    expectNoCredentials(storage.requests);
  }, 30_000);
});

describe("an export file on the API origin (requiresAccessToken: true)", () => {
  it("that never answers: resources() throws TimeoutError within timeoutMs", async () => {
    const api = await bulkServer({ manifest: (s) => manifestOf([{ type: "Patient", url: `${s.url}/files/p.ndjson` }], true), file: () => hang() });
    const { job } = await startedJob(api);
    const drained = await drain(job.resources(), DEADLINE_MS);
    expectThrewTyped(drained, "timeout");
  }, 30_000);

  it("a line past the default 64 MiB cap: LimitExceededError line-bytes, raised while reading", async () => {
    const CAP = 64 * 1024 * 1024;
    let sent = 0;
    const api = await bulkServer({
      manifest: (s) => manifestOf([{ type: "Patient", url: `${s.url}/files/p.ndjson` }], true),
      file: (_req, res) => {
        res.writeHead(200, { "content-type": NDJSON });
        const chunk = Buffer.alloc(1024 * 1024, "a");
        res.write(`{"resourceType":"Patient","id":"long","text":"`);
        // No newline, ever (up to 2× the cap): the client must stop reading on its own.
        const pump = () => {
          while (sent < 2 * CAP && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once("drain", pump);
          }
          res.end();
        };
        pump();
      },
    });
    const { job } = await startedJob(api);
    // 64 MiB through the line splitter: about 5 s on an idle machine. The bound only turns a
    // read that never stops into a failure; what proves the stop is how much the server sent.
    const drained = await drain(job.resources(), 120_000);
    expect(expectThrewTyped(drained, "limit-exceeded")).toMatchObject({ limit: "line-bytes", max: CAP });
    // Raised while reading: well before the server's 128 MiB were all sent.
    expect(sent).toBeLessThan(2 * CAP);
  }, 150_000);

  it("a line past a small configured cap (ndjsonLines maxLineBytes over a real download): line-bytes", async () => {
    const storage = await pool.start((_req, res) => {
      res.writeHead(200, { "content-type": NDJSON });
      res.write(`{"resourceType":"Patient","id":"a"}\n`);
      res.write(`{"resourceType":"Patient","id":"b","text":"${"b".repeat(4096)}`);
      // …and the line never ends.
    });
    const response = await fetch(`${storage.url}/p.ndjson`);
    const drained = await drain(ndjsonLines(response.body!, "test file", { maxLineBytes: 1024, idleTimeoutMs: TIMEOUT_MS }), TIMEOUT_MS + SLACK_MS);
    expect(expectThrewTyped(drained, "limit-exceeded")).toMatchObject({ limit: "line-bytes", max: 1024 });
    expect(drained.items).toEqual([{ resourceType: "Patient", id: "a" }]);
  }, 30_000);

  it("lines with __proto__ and constructor members are read as data and pollute nothing", async () => {
    const api = await bulkServer({
      manifest: (s) => manifestOf([{ type: "Patient", url: `${s.url}/files/p.ndjson` }], true),
      file: (_req, res) => raw(res, 200, NDJSON, `{"resourceType":"Patient","id":"a","__proto__":{"polluted":"yes"}}\n{"resourceType":"Patient","id":"b","constructor":{"prototype":{"polluted2":"yes"}}}\n`),
    });
    const { job } = await startedJob(api);
    const drained = await drain(job.resources(), TIMEOUT_MS + SLACK_MS);
    expect(drained.outcome).toBe("done");
    expect(drained.items.map((r) => r.id)).toEqual(["a", "b"]);
    expectPrototypeClean();
  }, 30_000);
});

describe("kick-off and status answers that are not what they claim", () => {
  it.each([
    ["http://[::1 (not a URL)", () => "http://[::1"],
    ["http://[::1]:99999/status (port out of range)", () => "http://[::1]:99999/status"],
    ["a file: URL", () => "file:///etc/passwd"],
    ["another origin", (api: TestServer) => api.url.replace("127.0.0.1", "localhost") + "/status/1"],
  ])("Content-Location %s: a typed error result, never a rejection", async (_label, location) => {
    const api = await bulkServer({ contentLocation: location });
    const events = recorder();
    const result = await byDeadline(client(api, { onEvent: events.onEvent, logger: events.logger }).bulkExport(), DEADLINE_MS);
    failure(result, "untrusted-url", "malformed-response");
    expect(api.requests.filter((r) => r.url.includes("status"))).toEqual([]);
    expectNoSecrets({ message: result.error?.message, meta: result.meta, events: events.events }, SECRETS);
  }, 30_000);

  it("a status URL that answers 202 forever with Retry-After: 3600 ends with TimeoutError by maxWaitMs on the client's clock", async () => {
    const api = await bulkServer({ pending: Infinity, retryAfter: "3600" });
    const result = await byDeadline(client(api).bulkExport({ maxWaitMs: 4 * 3_600_000 }), DEADLINE_MS);
    failure(result, "timeout");
    expect(api.requests.filter((r) => r.url === "/status/1").length).toBeLessThanOrEqual(5);
  }, 30_000);

  it("a status URL that answers 202 forever with Retry-After garbage backs off and still ends by maxWaitMs", async () => {
    const api = await bulkServer({ pending: Infinity, retryAfter: "soon, maybe" });
    const result = await byDeadline(client(api, { random: () => 0.5 }).bulkExport({ maxWaitMs: 600_000, pollBaseMs: 1_000, pollCapMs: 60_000 }), DEADLINE_MS);
    failure(result, "timeout");
    expect(api.requests.filter((r) => r.url === "/status/1").length).toBeLessThan(200);
  }, 30_000);
});

describe("manifests that are not manifests", () => {
  const GARBAGE: Array<[string, (api: TestServer) => string]> = [
    ["null", () => "null"],
    ["an array", () => "[]"],
    ["HTML", () => "<html>done</html>"],
    ["output an object", () => `{"output":{},"requiresAccessToken":false}`],
    ["output [null]", () => `{"output":[null],"requiresAccessToken":false}`],
    ["an output url that is a number", () => `{"output":[{"type":"Patient","url":42}]}`],
    ["an output type with a poisoned toString", (api) => `{"output":[{"type":{"toString":0},"url":"${api.url}/files/p"}]}`],
    ["error an object", () => `{"output":[],"error":{}}`],
    ["__proto__ keys", () => `{"__proto__":{"requiresAccessToken":true,"polluted":"yes"},"output":[],"error":[],"constructor":{"prototype":{"polluted2":"yes"}}}`],
    ["an object nested 100,000 deep", () => nested(100_000, "object")],
    ["an array nested 100,000 deep", () => nested(100_000, "array")],
    ["output nested 100,000 deep", () => `{"output":${nested(100_000, "array")},"error":[]}`],
  ];

  it.each(GARBAGE)("%s: a typed result (an error, or a job whose resources() ends typed)", async (_label, manifest) => {
    const api = await bulkServer({ manifest });
    const result = await byDeadline(client(api).bulkExport(), DEADLINE_MS);
    if (result.error) expectTyped(result.error, "malformed-response", "contract-violation");
    else {
      const drained = await drain(result.data.resources(), TIMEOUT_MS + SLACK_MS);
      if (drained.outcome !== "done") expectThrewTyped(drained);
    }
    expectPrototypeClean();
  }, 30_000);

  it("a valid manifest carrying an extension nested 100,000 deep: a typed result; its files still stream", async () => {
    const api = await bulkServer({
      manifest: (s) => `{"transactionTime":"2030-01-01T00:00:00Z","request":"x","requiresAccessToken":true,"output":[{"type":"Patient","url":"${s.url}/files/p.ndjson","extension":${nested(100_000, "object")}}],"error":[],"extension":${nested(100_000, "array")}}`,
      file: (_req, res) => raw(res, 200, NDJSON, `{"resourceType":"Patient","id":"a"}\n`),
    });
    const result = await byDeadline(client(api).bulkExport(), DEADLINE_MS);
    if (result.error) expectTyped(result.error, "malformed-response", "contract-violation");
    else {
      const drained = await drain(result.data.resources(), TIMEOUT_MS + SLACK_MS);
      expect(drained.outcome).toBe("done");
      expect(drained.items.map((r) => r.id)).toEqual(["a"]);
    }
  }, 30_000);

  it.each([
    ["http://[::1 (not a URL)", false, () => "http://[::1"],
    ["http://[::1 (not a URL), token required", true, () => "http://[::1"],
    ["a file: URL", false, () => "file:///etc/passwd"],
    ["a data: URL on another origin, token required", true, () => `data:${NDJSON},{"resourceType":"Patient","id":"x"}`],
    ["a URL with credentials in it", false, (api: TestServer) => `http://user:${PHI}@${api.url.slice(7)}/files/p.ndjson`],
  ])("an output url that is %s: resources() ends with a typed error, never a TypeError", async (_label, requiresAccessToken, url) => {
    const api = await bulkServer({ manifest: (s) => manifestOf([{ type: "Patient", url: url(s) }], requiresAccessToken), file: (_req, res) => raw(res, 200, NDJSON, `{"resourceType":"Patient","id":"a"}\n`) });
    const { job } = await startedJob(api);
    const drained = await drain(job.resources(), TIMEOUT_MS + SLACK_MS);
    // Credentials in a URL are dropped or refused; either way, never a TypeError.
    if (_label === "a URL with credentials in it" && drained.outcome === "done") return;
    const error = expectThrewTyped(drained, "untrusted-url", "malformed-response", "network", "invalid-request");
    expect(error.message).not.toContain(PHI);
  }, 30_000);
});
