/**
 * FHIR-specific behaviour on a scripted server on 127.0.0.1: OperationOutcome issue codes
 * drive retries (F1), and paging follows `link[next]` on the same origin only, so a
 * server's link can never carry the Authorization header elsewhere (F2).
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { OperationOutcome } from "fhir/r4.js";
import { refineFhirClassification } from "carewire/fhir";
import { classifyStatus } from "carewire";
import { FakeClock } from "carewire/testing";
import { createFhirR4Client } from "../../generated/fhir-r4/index.js";
import { untilWaiting } from "../helpers/fake-time.js";
import { json, startServer, type TestServer } from "../helpers/http-server.js";

let server: TestServer;
let elsewhere: TestServer;
beforeAll(async () => {
  server = await startServer();
  elsewhere = await startServer((_req, res) => json(res, 200, { resourceType: "Bundle", type: "searchset", entry: [] }));
});
afterAll(async () => {
  await server.close();
  await elsewhere.close();
});

const outcome = (code: string, severity: "error" | "fatal" | "warning" = "error"): OperationOutcome => ({ resourceType: "OperationOutcome", issue: [{ severity, code: code as never, diagnostics: `issue ${code}` }] });
const fhirJson = { "content-type": "application/fhir+json" };

/** A client with a fixed bearer token: what must not leak is visible on the wire. */
function client(options: Parameters<typeof createFhirR4Client>[0] = {}) {
  return createFhirR4Client({ baseUrl: server.url, headers: { authorization: "Bearer secret-token" }, retry: { backoff: { baseMs: 1, capMs: 5 } }, ...options });
}

describe("FhirError and issue-code classification", () => {
  it.each([
    [500, "transient", 2],
    [500, "exception", 1],
    [409, "lock-error", 2],
    [409, "duplicate", 1],
    [503, "throttled", 2],
    [503, "not-supported", 1],
  ])("HTTP %i with issue %s: %i attempt(s)", async (status, code, attempts) => {
    let n = 0;
    server.handle((_req, res) => (n++ === 0 ? json(res, status, outcome(code), fhirJson) : json(res, 200, { resourceType: "Patient", id: "p1" }, fhirJson)));
    const result = await client().Patient.read("p1");
    expect(result.meta.attempts).toHaveLength(attempts);
    if (attempts === 1) {
      expect(result.error).toMatchObject({ kind: "fhir", status });
      if (result.error?.kind === "fhir") {
        expect(result.error.codes).toEqual([code]);
        expect(result.error.message).toContain(code);
      }
    } else expect(result.data?.id).toBe("p1");
  });

  it("keeps a non-FHIR error body as a plain HttpError", async () => {
    server.handle((_req, res) => json(res, 400, { message: "bad" }));
    const result = await client().Patient.read("p1");
    expect(result.error).toMatchObject({ kind: "http", status: 400 });
  });

  it("leaves a 412 a conflict and statuses without an outcome to their default class", () => {
    const exchange = (status: number, body: unknown) => {
      const bytes = new TextEncoder().encode(JSON.stringify(body));
      return { request: new Request("http://x/"), response: new Response(null, { status: status === 204 ? 204 : status, headers: fhirJson }), body: bytes };
    };
    expect(refineFhirClassification({ exchange: exchange(412, outcome("transient")), safety: "idempotent" }, classifyStatus(412))).toBeUndefined();
    expect(refineFhirClassification({ exchange: exchange(502, { not: "an outcome" }), safety: "safe" }, classifyStatus(502))).toBeUndefined();
    // Warnings alone do not decide anything.
    expect(refineFhirClassification({ exchange: exchange(500, outcome("transient", "warning")), safety: "safe" }, classifyStatus(500))).toBeUndefined();
  });
});

describe("paging", () => {
  const page = (n: number, next?: string) => ({
    resourceType: "Bundle",
    type: "searchset",
    entry: [{ resource: { resourceType: "Patient", id: `p${n}` }, search: { mode: "match" } }, { resource: { resourceType: "Practitioner", id: `inc${n}` }, search: { mode: "include" } }],
    ...(next ? { link: [{ relation: "next", url: next }] } : {}),
  });

  it("follows link[next] on the same origin through every page, yielding matches only", async () => {
    server.handle((req, res) => {
      const n = Number(new URL(req.url, server.url).searchParams.get("_page") ?? "1");
      json(res, 200, page(n, n < 3 ? `${server.url}/Patient?_page=${n + 1}&_count=1` : undefined), fhirJson);
    });
    const before = server.requests.length;
    const ids: string[] = [];
    for await (const p of client().Patient.searchAll({ _count: 1 })) ids.push(p.id!);
    expect(ids).toEqual(["p1", "p2", "p3"]);
    expect(server.requests.slice(before).map((r) => r.url)).toEqual(["/Patient?_count=1", "/Patient?_page=2&_count=1", "/Patient?_page=3&_count=1"]);
    expect(server.requests.slice(before).every((r) => r.headers.authorization === "Bearer secret-token")).toBe(true);
  });

  it("refuses a next link on another origin with a typed error, and sends nothing there", async () => {
    server.handle((_req, res) => json(res, 200, page(1, `${elsewhere.url}/Patient?_page=2`), fhirJson));
    const seenElsewhere = elsewhere.requests.length;
    const ids: string[] = [];
    let failure: unknown;
    try {
      for await (const p of client().Patient.searchAll()) ids.push(p.id!);
    } catch (error) {
      failure = error;
    }
    expect(ids).toEqual(["p1"]);
    expect(failure).toMatchObject({ kind: "untrusted-url", url: `${elsewhere.url}/Patient?_page=2` });
    expect(elsewhere.requests.length).toBe(seenElsewhere);
  });

  it("refuses a next link outside the base path on the same origin", async () => {
    const fhir = createFhirR4Client({ baseUrl: `${server.url}/fhir`, headers: { authorization: "Bearer secret-token" } });
    server.handle((_req, res) => json(res, 200, page(1, `${server.url}/admin/export?_page=2`), fhirJson));
    const pages = fhir.Patient.searchPages();
    expect((await pages.next()).value).toMatchObject({ resourceType: "Bundle" });
    await expect(pages.next()).rejects.toMatchObject({ kind: "untrusted-url" });
  });

  it("ends the iteration with the typed error of a failed page", async () => {
    let n = 0;
    server.handle((_req, res) => (n++ === 0 ? json(res, 200, page(1, `${server.url}/Patient?_page=2`), fhirJson) : json(res, 400, outcome("invalid"), fhirJson)));
    const pages = client().Patient.searchPages();
    await pages.next();
    await expect(pages.next()).rejects.toMatchObject({ kind: "fhir", status: 400 });
  });
});

describe("Bulk Data and credentials", () => {
  const kickoff = (contentLocation: string) => (req: { url: string }, res: import("node:http").ServerResponse) => {
    if (req.url.startsWith("/$export")) return void res.writeHead(202, { "content-location": contentLocation }).end();
    return json(res, 404, outcome("not-found"), fhirJson);
  };

  it("refuses a status URL (Content-Location) on another origin: it never receives the Authorization header", async () => {
    server.handle(kickoff(`${elsewhere.url}/status/1`));
    const seenElsewhere = elsewhere.requests.length;
    const job = await client().bulkExport({ types: ["Patient"] });
    expect(job.error).toMatchObject({ kind: "untrusted-url", url: `${elsewhere.url}/status/1` });
    expect(elsewhere.requests.length).toBe(seenElsewhere);
  });

  it("refuses a manifest file on another origin when the manifest requires a token", async () => {
    server.handle((req, res) => {
      if (req.url.startsWith("/$export")) return void res.writeHead(202, { "content-location": `${server.url}/status/1` }).end();
      return json(res, 200, { transactionTime: "2026-11-23T00:00:00Z", request: "x", requiresAccessToken: true, output: [{ type: "Patient", url: `${elsewhere.url}/files/p.ndjson` }], error: [] });
    });
    const seenElsewhere = elsewhere.requests.length;
    const job = await client().bulkExport({ types: ["Patient"] });
    expect(job.error).toBeUndefined();
    const files = job.data!.resources();
    await expect(files.next()).rejects.toMatchObject({ kind: "untrusted-url" });
    expect(elsewhere.requests.length).toBe(seenElsewhere);
  });

  it("fetches files the manifest says need no token from another origin, without credentials", async () => {
    elsewhere.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/fhir+ndjson" });
      res.end('{"resourceType":"Patient","id":"a"}\n{"resourceType":"Patient","id":"b"}\n');
    });
    server.handle((req, res) => {
      if (req.url.startsWith("/$export")) return void res.writeHead(202, { "content-location": `${server.url}/status/1` }).end();
      return json(res, 200, { transactionTime: "2026-11-23T00:00:00Z", request: "x", requiresAccessToken: false, output: [{ type: "Patient", url: `${elsewhere.url}/signed/p.ndjson?sig=abc` }], error: [] });
    });
    const before = elsewhere.requests.length;
    const job = await client().bulkExport({ types: ["Patient"] });
    const ids: string[] = [];
    for await (const r of job.data!.resources()) ids.push(r.id!);
    expect(ids).toEqual(["a", "b"]);
    const sent = elsewhere.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers.authorization).toBeUndefined();
  });

  it("reports a line that is not JSON as a typed malformed-response error with its line number", async () => {
    server.handle((req, res) => {
      if (req.url.startsWith("/$export")) return void res.writeHead(202, { "content-location": `${server.url}/status/1` }).end();
      if (req.url.startsWith("/files")) {
        res.writeHead(200, { "content-type": "application/fhir+ndjson" });
        return void res.end('{"resourceType":"Patient","id":"a"}\n{"resourceType":"Pat\n');
      }
      return json(res, 200, { transactionTime: "2026-11-23T00:00:00Z", request: "x", requiresAccessToken: true, output: [{ type: "Patient", url: `${server.url}/files/p.ndjson` }], error: [] });
    });
    const job = await client().bulkExport();
    const files = job.data!.resources();
    expect((await files.next()).value).toMatchObject({ id: "a" });
    await expect(files.next()).rejects.toMatchObject({ kind: "malformed-response", message: expect.stringContaining("line 2") });
  });
});

describe("review fixes: links, meta, malformed outcomes, polling", () => {
  it("keeps the search query out of meta.path (no PHI in provenance)", async () => {
    server.handle((_req, res) => json(res, 200, { resourceType: "Bundle", type: "searchset", entry: [] }, fhirJson));
    const result = await client().Patient.search({ identifier: { system: "urn:mrn", code: "12345" }, birthdate: "1990-01-01" });
    expect(result.meta.path).toBe("/Patient");
    expect(JSON.stringify(result.meta)).not.toContain("12345");
    expect(server.requests.at(-1)!.url).toBe("/Patient?identifier=urn%3Amrn%7C12345&birthdate=1990-01-01");
  });

  it("follows a relative next link under a base URL with a path", async () => {
    server.handle((req, res) => {
      const n = Number(new URL(req.url, server.url).searchParams.get("_page") ?? "1");
      json(res, 200, { resourceType: "Bundle", type: "searchset", entry: [{ resource: { resourceType: "Patient", id: `p${n}` } }], ...(n < 2 ? { link: [{ relation: "next", url: "Patient?_page=2" }] } : {}) }, fhirJson);
    });
    const fhir = createFhirR4Client({ baseUrl: `${server.url}/fhir` });
    const ids: string[] = [];
    for await (const p of fhir.Patient.searchAll()) ids.push(p.id!);
    expect(ids).toEqual(["p1", "p2"]);
    expect(server.requests.at(-1)!.url).toBe("/fhir/Patient?_page=2");
  });

  it("stops with a typed error when a next link repeats a page", async () => {
    server.handle((_req, res) => json(res, 200, { resourceType: "Bundle", type: "searchset", entry: [], link: [{ relation: "next", url: `${server.url}/Patient?_page=2` }] }, fhirJson));
    const pages = client().Patient.searchPages();
    await pages.next();
    await pages.next();
    await expect(pages.next()).rejects.toMatchObject({ kind: "malformed-response" });
  });

  it("reads an OperationOutcome with malformed issues as a plain HTTP error, without crashing", async () => {
    server.handle((_req, res) => json(res, 500, { resourceType: "OperationOutcome", issue: [{ severity: "error", diagnostics: 42 }, null] }, fhirJson));
    const result = await client().Patient.read("p1");
    expect(result.error).toMatchObject({ kind: "http", status: 500 });
  });

  it("ends a bulk export with a typed result when the caller aborts during a poll wait, or the manifest is empty", async () => {
    server.handle((req, res) => {
      if (req.url.startsWith("/$export")) return void res.writeHead(202, { "content-location": `${server.url}/status/1` }).end();
      res.writeHead(202, { "retry-after": "30" }).end();
    });
    // On a fake clock the 30 s poll wait lasts until the abort, however slow the machine.
    const clock = new FakeClock();
    const controller = new AbortController();
    const seen = server.requests.length;
    const pending = client({ clock }).bulkExport({ signal: controller.signal });
    await untilWaiting(clock);
    expect(server.requests.slice(seen).map((r) => r.url)).toEqual(["/$export", "/status/1"]); // the wait is the poll's
    controller.abort(new Error("user left"));
    expect((await pending).error).toMatchObject({ kind: "aborted" });

    server.handle((req, res) => {
      if (req.url.startsWith("/$export")) return void res.writeHead(202, { "content-location": `${server.url}/status/1` }).end();
      res.writeHead(200, { "content-type": "application/json" }).end();
    });
    expect((await client().bulkExport()).error).toMatchObject({ kind: "malformed-response" });
  });
});
