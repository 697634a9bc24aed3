/**
 * Hostile FHIR servers against searchPages/searchAll: next links that never end, repeat,
 * point nowhere or elsewhere, and pages that are not Bundles.
 * Every iteration ends with a typed CarewireError (never a TypeError, never a hang).
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import type { Bundle } from "fhir/r4.js";
import { FakeClock } from "carewire/testing";
import type { TestServer } from "../helpers/http-server.js";
import { drain, expectNoSecrets, expectPrototypeClean, expectThrewTyped, expectTyped, recorder } from "./assertions.js";
import { FHIR_JSON, fhirClient, fhirJson, raw, serverPool, type HostileClientOptions } from "./fhir-server.js";

const SECRET_TOKEN = "tok-PAGING-7f3a9c21-do-not-leak";
const API_KEY = "key-PAGING-d41d8cd98f00-do-not-leak";
const PHI = "PHI-MRN-55501234-Hopper";
const SECRETS = { token: SECRET_TOKEN, apiKey: API_KEY };

const pool = serverPool();
afterAll(() => expectPrototypeClean());

const client = (server: TestServer, extra: HostileClientOptions = {}) => fhirClient(server.url, { headers: { authorization: `Bearer ${SECRET_TOKEN}`, "X-Api-Key": API_KEY }, ...extra });

type Fhir = ReturnType<typeof fhirClient>;
/** searchPages or searchAll, as one iteration of unknown items. */
function iterate(fhir: Fhir, mode: "searchPages" | "searchAll", params: Parameters<Fhir["Patient"]["search"]>[0] = {}): AsyncGenerator<unknown, void, undefined> {
  return mode === "searchPages" ? fhir.Patient.searchPages(params) : fhir.Patient.searchAll(params);
}

const bundle = (n: number, next?: unknown, extra: Record<string, unknown> = {}) => ({
  resourceType: "Bundle",
  type: "searchset",
  entry: [{ resource: { resourceType: "Patient", id: `p${n}` }, search: { mode: "match" } }],
  ...(next === undefined ? {} : { link: [{ relation: "next", url: next }] }),
  ...extra,
});

/** A server whose every page links a fresh next page, forever. */
function endless(server: TestServer, onPage: (n: number) => void = () => undefined): void {
  server.handle((req, res) => {
    const n = Number(new URL(req.url, server.url).searchParams.get("_page") ?? "1");
    onPage(n);
    fhirJson(res, 200, bundle(n, `${server.url}/Patient?_page=${n + 1}&_count=1`));
  });
}

describe("paging that never ends", () => {
  it.each(["searchPages", "searchAll"] as const)("%s stops with LimitExceededError limit pages after paging.maxPages (50)", async (mode) => {
    const server = await pool.start();
    endless(server);
    const drained = await drain(iterate(client(server, { paging: { maxPages: 50 } }), mode, { _count: 1 }), 20_000, 10_000);
    const error = expectThrewTyped(drained, "limit-exceeded");
    expect(error).toMatchObject({ limit: "pages", max: 50 });
    expect(drained.items).toHaveLength(50);
    expect(server.requests.length).toBeLessThanOrEqual(51);
    expectNoSecrets({ message: error.message, meta: error.meta }, SECRETS);
  }, 30_000);

  it("has a default page cap (1000): a fast endless server ends with limit pages, max 1000", async () => {
    const server = await pool.start();
    endless(server);
    const drained = await drain(client(server).Patient.searchPages({ _count: 1 }), 25_000, 5_000);
    expect(expectThrewTyped(drained, "limit-exceeded")).toMatchObject({ limit: "pages", max: 1000 });
    expect(drained.items).toHaveLength(1000);
    expect(server.requests.length).toBeLessThanOrEqual(1001);
  }, 30_000);

  /** Pages that each cost `msPerPage` of the client's (fake) time, until paging.maxMs (100 s) ends the iteration. */
  async function pagedPastMaxMs(mode: "searchPages" | "searchAll", msPerPage: number, paging: { maxPages?: number } = {}) {
    const server = await pool.start();
    const clock = new FakeClock({ autoAdvance: true });
    endless(server, () => void clock.advance(msPerPage));
    const drained = await drain(iterate(client(server, { clock, paging: { maxMs: 100_000, ...paging } }), mode, { _count: 1 }), 20_000, 10_000);
    expect(expectThrewTyped(drained, "limit-exceeded")).toMatchObject({ limit: "paging-time", max: 100_000 });
    return drained;
  }

  it("stops with LimitExceededError limit paging-time after paging.maxMs on the client's clock", async () => {
    const drained = await pagedPastMaxMs("searchPages", 30_000, { maxPages: 10_000 });
    // 100 s at 30 s a page: a handful of pages, nowhere near the page cap.
    expect(drained.items.length).toBeGreaterThanOrEqual(1);
    expect(drained.items.length).toBeLessThanOrEqual(6);
  }, 30_000);

  it("stops searchAll with limit paging-time too", async () => {
    const drained = await pagedPastMaxMs("searchAll", 45_000);
    expect(drained.items.length).toBeLessThanOrEqual(4);
  }, 30_000);

  it("stops with MalformedResponseError when a next link comes back (a cycle through three pages), quoting no server text", async () => {
    const server = await pool.start();
    server.handle((req, res) => {
      const n = Number(new URL(req.url, server.url).searchParams.get("_page") ?? "1");
      // 1 → 2 → 3 → 2 → …, and the links carry PHI.
      fhirJson(res, 200, bundle(n, `${server.url}/Patient?_page=${n === 3 ? 2 : n + 1}&name=${PHI}`));
    });
    for (const mode of ["searchPages", "searchAll"] as const) {
      const before = server.requests.length;
      const drained = await drain(iterate(client(server), mode, { name: "x" }), 10_000, 1_000);
      const error = expectThrewTyped(drained, "malformed-response");
      expect(drained.items).toHaveLength(3);
      expect(server.requests.length - before).toBe(3);
      expect(error.message).not.toContain(PHI);
    }
  }, 30_000);
});

describe("pages that are not Bundles", () => {
  const PAGES: Array<[string, string | undefined, string]> = [
    ["an HTML page", "text/html", `<!doctype html><html><body>Sign in (${PHI})</body></html>`],
    ["a plain-text page", "text/plain", `Service unavailable for ${PHI}`],
    ["null", FHIR_JSON, "null"],
    ["an array", FHIR_JSON, JSON.stringify([bundle(1)])],
    ["a JSON string", FHIR_JSON, JSON.stringify("Bundle")],
    ["a Patient instead of a Bundle", FHIR_JSON, JSON.stringify({ resourceType: "Patient", id: "p1" })],
    ["an object without resourceType", FHIR_JSON, JSON.stringify({ type: "searchset", entry: [] })],
  ];

  it.each(PAGES)("a first page that is %s: ContractViolationError keeping the body, from search, searchPages and searchAll", async (_label, contentType, body) => {
    const server = await pool.start((_req, res) => raw(res, 200, contentType, body));
    const fhir = client(server);
    const result = await fhir.Patient.search();
    const error = expectTyped(result.error, "contract-violation");
    // The body as received: parsed JSON, or the text itself.
    expect((error as unknown as { data: unknown }).data).toEqual(contentType === FHIR_JSON ? JSON.parse(body) : body);
    for (const mode of ["searchPages", "searchAll"] as const) {
      const drained = await drain(iterate(fhir, mode), 10_000, 100);
      expectThrewTyped(drained, "contract-violation");
      expect(drained.items).toEqual([]);
    }
  }, 30_000);

  it.each(PAGES)("a later page that is %s ends searchPages and searchAll with a typed error after the good page", async (_label, contentType, body) => {
    const server = await pool.start((req, res) => {
      if (new URL(req.url, server.url).searchParams.get("_page") === "2") return raw(res, 200, contentType, body);
      fhirJson(res, 200, bundle(1, `${server.url}/Patient?_page=2`));
    });
    const pages = await drain(client(server).Patient.searchPages(), 10_000, 100);
    expectThrewTyped(pages, "contract-violation");
    expect(pages.items).toHaveLength(1);
    const all = await drain(client(server).Patient.searchAll(), 10_000, 100);
    expectThrewTyped(all, "contract-violation");
    expect(all.items.map((p) => p.id)).toEqual(["p1"]);
  }, 30_000);

  it("a page whose JSON is cut short: MalformedResponseError whose message quotes no body text", async () => {
    const server = await pool.start((_req, res) => raw(res, 200, FHIR_JSON, `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","name":"${PHI}`));
    const drained = await drain(client(server).Patient.searchPages(), 10_000, 100);
    const error = expectThrewTyped(drained, "malformed-response");
    expect(error.message).not.toContain(PHI);
    expect((error as unknown as { bodyPreview: string }).bodyPreview).toContain(PHI);
  }, 30_000);
});

describe("Bundles with broken links and entries", () => {
  const LINK_KINDS = ["contract-violation", "malformed-response"];
  const URL_KINDS = ["malformed-response", "untrusted-url", "contract-violation"];
  /** Shapes no page may have: the iteration must end with a typed error. */
  const MUST_FAIL: Array<[string, Record<string, unknown>, readonly string[]]> = [
    ["link: {}", { link: {} }, LINK_KINDS],
    ['link: "x"', { link: "x" }, LINK_KINDS],
    ["a next link http://[::1 (not a URL)", { link: [{ relation: "next", url: "http://[::1" }] }, URL_KINDS],
    ["entry: {}", { entry: {} }, LINK_KINDS],
    ['entry: "x"', { entry: "x" }, LINK_KINDS],
    ["entry: [null]", { entry: [null] }, LINK_KINDS],
  ];

  it.each(MUST_FAIL)("%s: searchAll and searchPages end with a typed error, never a TypeError", async (label, fields, kinds) => {
    const server = await pool.start((_req, res) => fhirJson(res, 200, { resourceType: "Bundle", type: "searchset", entry: [], ...fields }));
    const fhir = client(server);
    expectThrewTyped(await drain(fhir.Patient.searchAll(), 10_000, 100), ...kinds);
    const pages = await drain(fhir.Patient.searchPages(), 10_000, 100);
    // searchPages hands a page over as it is: entries are the caller's to read; links are its own.
    if (!(label.startsWith("entry") && pages.outcome === "done")) expectThrewTyped(pages, ...kinds);
    expect(server.requests.every((r) => r.url.startsWith("/Patient"))).toBe(true);
  }, 30_000);

  /** Odd shapes a client may read past: a typed error, or an end without a further request; never a TypeError or a hang. */
  const MUST_NOT_CRASH: Array<[string, Record<string, unknown>, readonly string[]]> = [
    ["link: [null]", { link: [null] }, LINK_KINDS],
    ["a next link whose url is a number", { link: [{ relation: "next", url: 42 }] }, URL_KINDS],
    ["a next link whose url is an object with a poisoned toString", { link: [{ relation: "next", url: { toString: 0 } }] }, URL_KINDS],
    ["a next link http://[::1]:99999/Patient (port out of range)", { link: [{ relation: "next", url: "http://[::1]:99999/Patient" }] }, URL_KINDS],
    ["entry: [{ resource: null }, 7, \"x\"]", { entry: [{ resource: null }, 7, "x"] }, LINK_KINDS],
    ["entry: [{ resource: [] }, { resource: \"x\" }, { search: null, resource: {} }]", { entry: [{ resource: [] }, { resource: "x" }, { search: null, resource: {} }] }, LINK_KINDS],
  ];

  it.each(MUST_NOT_CRASH)("%s: searchAll and searchPages end typed or cleanly, never with a TypeError", async (_label, fields, kinds) => {
    const server = await pool.start((_req, res) => fhirJson(res, 200, { resourceType: "Bundle", type: "searchset", entry: [], ...fields }));
    const fhir = client(server);
    for (const mode of ["searchAll", "searchPages"] as const) {
      const drained = await drain(iterate(fhir, mode), 10_000, 100);
      if (drained.outcome !== "done") expectThrewTyped(drained, ...kinds);
    }
    expect(server.requests).toHaveLength(2);
  }, 30_000);
});

describe("next links that leave the base URL", () => {
  const ELSEWHERE: Array<[string, (api: TestServer, other: TestServer) => string]> = [
    ["another origin, PHI in the path", (_api, other) => `${other.url}/Patient/${PHI}?_page=2`],
    ["the same port by another host name (localhost)", (api) => api.url.replace("127.0.0.1", "localhost") + "/Patient?_page=2"],
    ["userinfo that looks like the API origin", (api, other) => `http://${api.url.slice(7)}@${other.url.slice(7)}/Patient?_page=2`],
    ["a backslash before the @", (api, other) => `http://${other.url.slice(7)}\\@${api.url.slice(7)}/Patient?_page=2`],
    ["a protocol-relative URL", (_api, other) => `//${other.url.slice(7)}/Patient?_page=2`],
    ["a file: URL", () => "file:///etc/passwd"],
    ["a javascript: URL", () => "javascript:alert(1)"],
  ];

  it.each(ELSEWHERE)("%s: UntrustedUrlError naming origins only; nothing reaches the other origin", async (_label, link) => {
    const other = await pool.start((_req, res) => fhirJson(res, 200, bundle(99)));
    const api = await pool.start();
    const target = link(api, other);
    api.handle((req, res) => {
      if (new URL(req.url, api.url).searchParams.get("_page") === "2") return fhirJson(res, 200, bundle(2)); // only reachable by following the link home
      fhirJson(res, 200, bundle(1, target));
    });
    const events = recorder();
    const drained = await drain(client(api, { onEvent: events.onEvent, logger: events.logger }).Patient.searchAll(), 10_000, 100);
    const error = expectThrewTyped(drained, "untrusted-url", "malformed-response");
    expect(drained.items.map((p) => p.id)).toEqual(["p1"]);
    expect(other.requests).toEqual([]);
    expect(api.requests).toHaveLength(1);
    expect(error.message).not.toContain(PHI);
    expectNoSecrets({ message: error.message, meta: error.meta, events: events.events }, SECRETS);
  }, 30_000);
});

describe("what a hostile page cannot do", () => {
  it("a Bundle with __proto__ and constructor members pages normally and leaves Object.prototype clean", async () => {
    const server = await pool.start((req, res) => {
      const second = new URL(req.url, server.url).searchParams.get("_page") === "2";
      raw(
        res,
        200,
        FHIR_JSON,
        `{"resourceType":"Bundle","type":"searchset","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted2":"yes"}},` +
          `"entry":[{"__proto__":{"isAdmin":true},"resource":{"resourceType":"Patient","id":"p${second ? 2 : 1}","__proto__":{"polluted":"yes"}}}]` +
          (second ? "}" : `,"link":[{"relation":"next","url":"${server.url}/Patient?_page=2","__proto__":{"relation":"next"}}]}`),
      );
    });
    const drained = await drain(client(server).Patient.searchAll(), 10_000, 100);
    expect(drained.outcome).toBe("done");
    expect(drained.items.map((p) => p.id)).toEqual(["p1", "p2"]);
    expectPrototypeClean();
  }, 30_000);

  it("a page of 10,000 entries each linking next (only the first counts) reads as one page", async () => {
    const server = await pool.start((_req, res) => {
      const links = Array.from({ length: 10_000 }, (_, i) => ({ relation: "next", url: `${server.url}/Patient?_page=${i + 2}` }));
      fhirJson(res, 200, { ...(bundle(1) as Bundle), link: links });
    });
    server.requests.length = 0;
    const drained = await drain(client(server, { paging: { maxPages: 5 } }).Patient.searchPages(), 20_000, 100);
    // Whichever way it ends, it ends typed and within the page cap.
    if (drained.outcome !== "done") expectThrewTyped(drained);
    expect(drained.items.length).toBeLessThanOrEqual(5);
    expect(server.requests.length).toBeLessThanOrEqual(6);
  }, 30_000);
});
